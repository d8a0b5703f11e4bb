//! Running the `dpolint` binary as a child process under a deadline: a hang fails the test instead of
//! blocking CI, and the child's peak memory is sampled while it runs (Linux).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The deadline for any one run: far above what a debug build needs for the inputs of these tests,
/// far below "blocks CI".
pub const DEADLINE: Duration = Duration::from_secs(90);

/// The `dpolint` binary that cargo built for these tests.
pub fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("dpolint")
}

/// A `dpolint` command with `args`, not yet started.
pub fn dpolint<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new(binary());
    command.args(args);
    command
}

/// What the child reads on its standard input.
pub enum Input {
    /// Nothing: standard input is `/dev/null`.
    Null,
    /// These bytes, written by a thread (then standard input is closed).
    Bytes(Vec<u8>),
    /// A file, handed over as the child's standard input (no copy in this process).
    File(File),
}

/// How a run ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Peak resident memory of the child in KiB (`VmHWM`), sampled while it ran; `None` where
    /// `/proc` does not say.
    pub peak_kib: Option<u64>,
}

impl Finished {
    /// The exit code (`None` when a signal ended the child).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts the exit code, and that nothing panicked.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code(), Some(code), "exit status {:?}; stderr: {}", self.status, self.stderr);
        self.expect_no_panic()
    }

    #[track_caller]
    pub fn expect_no_panic(&self) -> &Self {
        assert!(!self.stderr.contains("panicked"), "the child panicked: {}", self.stderr);
        self
    }

    /// Asserts exit code 2 with a message on standard error that names `path` and says `cause`.
    #[track_caller]
    pub fn expect_trouble(&self, path: &str, cause: &str) -> &Self {
        self.expect_code(2);
        assert!(self.stderr.contains(path), "the message does not name {path}: {}", self.stderr);
        assert!(self.stderr.contains(cause), "the message does not say {cause:?}: {}", self.stderr);
        self
    }
}

/// Starts `command` (standard output and error piped) and returns the child.
pub fn spawn(command: &mut Command, input: Input) -> (Child, Option<JoinHandle<()>>) {
    let stdin = match &input {
        Input::Null => Stdio::null(),
        Input::Bytes(_) => Stdio::piped(),
        Input::File(file) => Stdio::from(file.try_clone().expect("duplicate the input file")),
    };
    let mut child = command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("could not start {}: {error}", command.get_program().display()));
    let writer = match input {
        Input::Bytes(bytes) => {
            let mut stdin = child.stdin.take().expect("piped stdin");
            // A child that stops reading early closes the pipe: that is its business, not an error here.
            Some(std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            }))
        }
        _ => None,
    };
    (child, writer)
}

/// Runs `command` to its end, or kills it at the deadline and fails the test (a hang).
#[track_caller]
pub fn run(command: &mut Command, input: Input) -> Finished {
    run_within(command, input, DEADLINE)
}

/// [`run`] with another deadline.
#[track_caller]
pub fn run_within(command: &mut Command, input: Input, deadline: Duration) -> Finished {
    let (child, writer) = spawn(command, input);
    let finished = wait(child, deadline);
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    finished
}

/// Waits for a started child (reading its output meanwhile), or kills it at the deadline and fails.
#[track_caller]
pub fn wait(mut child: Child, deadline: Duration) -> Finished {
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let started = Instant::now();
    let mut peak_kib = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if let Some(sample) = peak_rss_kib(child.id()) {
            peak_kib = Some(peak_kib.map_or(sample, |peak: u64| peak.max(sample)));
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr.map(|reader| reader.join().unwrap_or_default()).unwrap_or_default();
            panic!(
                "the child did not finish within {deadline:?} (a hang?); stderr so far: {}",
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = stdout.map(|reader| reader.join().unwrap_or_default()).unwrap_or_default();
    let stderr = stderr.map(|reader| reader.join().unwrap_or_default()).unwrap_or_default();
    Finished { status, stdout, stderr: String::from_utf8_lossy(&stderr).into_owned(), peak_kib }
}

fn drain(mut reader: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    })
}

/// `VmHWM` of a running process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Entries of `dir` (names), sorted: to show that nothing was left behind.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the directory")
        .map(|entry| entry.expect("directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
