//! `dpolint convert` never loses data and never leaves half a file: an interrupt (SIGINT, while busy
//! or while blocked on a stalled input), an input error in a later shard and a full disk all end
//! with no partial output beside OUT and an earlier OUT untouched; and under any mix of inputs every
//! record read is either written or dropped (and then in the rejects file).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::child::{Finished, Input, dpolint, entries, run, wait};

/// The exit code of an interrupted run (128 + SIGINT, as shells report it).
const INTERRUPTED: i32 = 130;

/// How long an interrupted child may take to end: generous for a debug build, short of a hang.
const END_DEADLINE: Duration = Duration::from_secs(30);

/// A TRL-layout line; every tenth is an identical pair, which is dropped.
fn trl_line(i: u64) -> String {
    let rejected = if i % 10 == 9 { format!("Answer {i}.") } else { format!("Not answer {i}.") };
    format!(
        r#"{{"prompt": "Question {i}: what is the answer, with some padding to make the line longer?", "chosen": "Answer {i}.", "rejected": "{rejected}"}}"#
    ) + "\n"
}

fn trl_lines(range: std::ops::Range<u64>) -> String {
    range.map(trl_line).collect()
}

/// Starts `dpolint convert - <args>` with a standard input this test writes to.
fn spawn_reading_stdin(args: &[&std::ffi::OsStr]) -> (Child, std::process::ChildStdin) {
    let mut command = dpolint(["convert", "-", "--format", "json", "--threads", "2"]);
    command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("start dpolint");
    let stdin = child.stdin.take().expect("piped stdin");
    (child, stdin)
}

/// Waits until `dir` holds an entry not in `known` (the temporary output file) whose size is at
/// least `min_len`; fails if the child ends first.
#[track_caller]
fn wait_for_partial(dir: &Path, known: &[&str], min_len: u64, child: &mut Child) -> PathBuf {
    let started = Instant::now();
    loop {
        for name in entries(dir) {
            if known.contains(&name.as_str()) {
                continue;
            }
            let path = dir.join(&name);
            if fs::metadata(&path).is_ok_and(|metadata| metadata.len() >= min_len) {
                return path;
            }
        }
        if let Some(status) = child.try_wait().expect("poll the child") {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            panic!("the child ended ({status}) before its temporary output appeared: {stderr}");
        }
        assert!(started.elapsed() < Duration::from_mins(1), "no temporary output appeared in {}", dir.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends SIGINT to the child (as Ctrl-C in a terminal does).
fn interrupt(child: &Child) {
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("run kill");
    assert!(status.success(), "kill -INT failed: {status}");
}

#[track_caller]
fn expect_interrupted(finished: &Finished) {
    finished.expect_code(INTERRUPTED);
    assert!(finished.stderr.contains("interrupted"), "stderr does not say it was interrupted: {}", finished.stderr);
    assert!(finished.stdout.is_empty(), "an interrupted run printed a report: {}", finished.stdout_text());
}

#[test]
fn sigint_while_converting_removes_the_unfinished_files_and_keeps_the_earlier_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let rejects = dir.path().join("rejects.jsonl");
    fs::write(&out, "from an earlier run\n").unwrap();
    fs::write(&rejects, "earlier rejects\n").unwrap();
    let (mut child, mut stdin) =
        spawn_reading_stdin(&["-o".as_ref(), out.as_os_str(), "--rejects".as_ref(), rejects.as_os_str()]);
    // An endless input: the run can only end by the interrupt (or the deadline).
    let writer = std::thread::spawn(move || {
        let mut i = 0;
        loop {
            if stdin.write_all(trl_lines(i..i + 1000).as_bytes()).is_err() {
                break;
            }
            i += 1000;
        }
    });
    // The output buffer holds 1 MiB: a temporary file with bytes in it means records were written.
    let partial = wait_for_partial(dir.path(), &["out.jsonl", "rejects.jsonl"], 1, &mut child);
    interrupt(&child);
    let finished = wait(child, END_DEADLINE);
    writer.join().unwrap();
    expect_interrupted(&finished);
    assert!(!partial.exists());
    assert_eq!(entries(dir.path()), ["out.jsonl", "rejects.jsonl"]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "from an earlier run\n");
    assert_eq!(fs::read_to_string(&rejects).unwrap(), "earlier rejects\n");
}

#[test]
fn sigint_while_standard_input_stalls_ends_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let (mut child, mut stdin) = spawn_reading_stdin(&["-o".as_ref(), out.as_os_str()]);
    // Some records (more than the 64 KiB read to recognise the container, which comes before the
    // temporary output is created), then nothing more, with the pipe held open: the child waits in
    // a read that no flag check can reach.
    stdin.write_all(trl_lines(0..2_000).as_bytes()).unwrap();
    stdin.flush().unwrap();
    wait_for_partial(dir.path(), &[], 0, &mut child);
    interrupt(&child);
    let finished = wait(child, END_DEADLINE);
    drop(stdin);
    expect_interrupted(&finished);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn sigint_while_opening_a_fifo_no_one_writes_ends_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let fifo = input.join("pairs.jsonl");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success());
    let out = dir.path().join("out.jsonl");
    fs::write(&out, "from an earlier run\n").unwrap();
    let mut command = dpolint(["convert", "--format", "json", "--threads", "2", "-o"]);
    command.arg(&out).arg(&fifo);
    let (mut child, _) = crate::child::spawn(&mut command, Input::Null);
    // The child opens the FIFO after creating its temporary output, and blocks there for good.
    wait_for_partial(dir.path(), &["in", "out.jsonl"], 0, &mut child);
    interrupt(&child);
    let finished = wait(child, END_DEADLINE);
    expect_interrupted(&finished);
    assert_eq!(entries(dir.path()), ["in", "out.jsonl"]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "from an earlier run\n");
}

/// A gzip stream of `text`, cut in half.
fn truncated_gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    let mut bytes = encoder.finish().unwrap();
    bytes.truncate(bytes.len() / 2);
    bytes
}

/// A directory `data/` of two shards, a good one (about 2 MiB of output, so records reach the
/// temporary file before the second shard is read) and `bad` (written by `make_bad`), converted
/// into a pre-existing OUT beside `data/`: exit 2 naming the bad shard, saying `cause`, OUT unchanged
/// and no temporary file left.
#[track_caller]
fn error_in_the_second_shard(bad_name: &str, make_bad: impl FnOnce(&Path), cause: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::write(data.join("part-0.jsonl"), trl_lines(0..12_000)).unwrap();
    let bad = data.join(bad_name);
    make_bad(&bad);
    let out = dir.path().join("out.jsonl");
    let rejects = dir.path().join("rejects.jsonl");
    fs::write(&out, "from an earlier run\n").unwrap();
    let mut command = dpolint(["convert", "--format", "json", "--threads", "2", "--from", "trl", "-o"]);
    command.arg(&out).arg("--rejects").arg(&rejects).arg(&data);
    let finished = run(&mut command, Input::Null);
    finished.expect_trouble(&bad.display().to_string(), cause);
    assert!(finished.stdout.is_empty(), "a failed run printed a report: {}", finished.stdout_text());
    assert_eq!(entries(dir.path()), ["data", "out.jsonl"]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "from an earlier run\n");
}

#[test]
fn a_truncated_gzip_shard_mid_way_leaves_no_output() {
    let text = trl_lines(0..5_000);
    error_in_the_second_shard("part-1.jsonl.gz", |path| fs::write(path, truncated_gzip(&text)).unwrap(), "truncated");
}

#[test]
fn a_git_lfs_pointer_shard_mid_way_leaves_no_output() {
    let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
    error_in_the_second_shard("part-1.jsonl", |path| fs::write(path, pointer).unwrap(), "LFS pointer");
}

#[cfg(unix)]
#[test]
fn an_unreadable_shard_mid_way_leaves_no_output() {
    use std::os::unix::fs::PermissionsExt;
    // Root reads a file whatever its mode: there the truncated gzip and LFS pointer cases stand in.
    let probe = tempfile::NamedTempFile::new().unwrap();
    fs::set_permissions(probe.path(), fs::Permissions::from_mode(0o000)).unwrap();
    if fs::File::open(probe.path()).is_ok() {
        eprintln!("skipped: this user can read a file with mode 000 (root)");
        return;
    }
    error_in_the_second_shard(
        "part-1.jsonl",
        |path| {
            fs::write(path, trl_lines(0..10)).unwrap();
            fs::set_permissions(path, fs::Permissions::from_mode(0o000)).unwrap();
        },
        "permission denied",
    );
}

#[test]
fn output_on_a_full_device_fails_cleanly() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    fs::write(&input, trl_lines(0..100)).unwrap();
    let mut command = dpolint(["convert", "--format", "json", "-o", "/dev/full"]);
    let finished = run(command.arg(&input), Input::Null);
    finished.expect_trouble("/dev/full", "No space left on device");
    assert!(finished.stdout.is_empty(), "{}", finished.stdout_text());
    assert_eq!(entries(dir.path()), ["pairs.jsonl"]);

    // The rejects file on the full device: the message names it, and OUT is not left half-done.
    let out = dir.path().join("out.jsonl");
    fs::write(&out, "from an earlier run\n").unwrap();
    let mut command = dpolint(["convert", "--format", "json", "--rejects", "/dev/full", "-o"]);
    let finished = run(command.arg(&out).arg(&input), Input::Null);
    finished.expect_trouble("/dev/full", "No space left on device");
    assert_eq!(entries(dir.path()), ["out.jsonl", "pairs.jsonl"]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "from an earlier run\n");
}

/// A filesystem that fills up mid-way, simulated without privileges: a file size limit
/// (`ulimit -f`, with SIGXFSZ ignored so that writes fail with EFBIG instead of killing the
/// process). A real full filesystem (ENOSPC in a directory) needs a small mount, which needs root:
/// `output_on_a_full_filesystem_fails_cleanly` below, where that is allowed.
#[cfg(unix)]
#[test]
fn output_that_outgrows_the_file_size_limit_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    fs::write(&input, trl_lines(0..12_000)).unwrap();
    let out = dir.path().join("out.jsonl");
    fs::write(&out, "from an earlier run\n").unwrap();
    // 256 blocks: 128 or 256 KiB, depending on the shell's unit; the output is about 2 MiB.
    let script = r#"ulimit -f 256 && trap '' XFSZ && exec "$0" "$@""#;
    let mut command = Command::new("sh");
    command.args(["-c", script]).arg(crate::child::binary());
    command.args(["convert", "--format", "json", "--threads", "2", "-o"]).arg(&out).arg(&input);
    let finished = run(&mut command, Input::Null);
    finished.expect_trouble(&out.display().to_string(), "File too large");
    assert_eq!(entries(dir.path()), ["out.jsonl", "pairs.jsonl"]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "from an earlier run\n");
}

/// A 1 MiB tmpfs, unmounted when dropped.
struct SmallMount(PathBuf);

impl Drop for SmallMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A real full filesystem (ENOSPC in a directory), where this user may mount one (root with
/// `CAP_SYS_ADMIN`, as in some containers); skipped elsewhere, where the file size limit above
/// stands in.
#[cfg(target_os = "linux")]
#[test]
fn output_on_a_full_filesystem_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("small");
    fs::create_dir(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "dpolint-test", mount.to_str().unwrap()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let mount = SmallMount(mount);
    let input = dir.path().join("pairs.jsonl");
    fs::write(&input, trl_lines(0..12_000)).unwrap();
    let out = mount.0.join("out.jsonl");
    fs::write(&out, "from an earlier run\n").unwrap();
    let mut command = dpolint(["convert", "--format", "json", "--threads", "2", "-o"]);
    let finished = run(command.arg(&out).arg(&input), Input::Null);
    finished.expect_trouble(&out.display().to_string(), "No space left on device");
    assert_eq!(entries(&mount.0), ["out.jsonl"]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "from an earlier run\n");
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Lines that are not records of any layout (some not even records: the blank ones).
fn junk_lines() -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = [
        "",
        "   ",
        "\t",
        "not json",
        "{",
        "}",
        "[1, 2]",
        "42",
        "null",
        "\"a string\"",
        "{}",
        r#"{"prompt": 1, "chosen": [], "rejected": null}"#,
        r#"{"text": "a reward-model row", "label": 1}"#,
        r#"{"messages": [{"role": "user", "content": "an SFT row"}, {"role": "assistant", "content": "yes"}]}"#,
        r#"{"prompt": "KTO", "completion": "row", "label": true}"#,
        r#"{"a": 1, "a": 2}"#,
        "{\"prompt\": \"x\", \"chosen\": \"y\"} trailing",
        "\u{a0}",
        "\u{feff}{\"prompt\": \"a BOM mid-file\", \"chosen\": \"a\", \"rejected\": \"b\"}",
    ]
    .iter()
    .map(|line| line.as_bytes().to_vec())
    .collect();
    lines.push(b"{\"prompt\": \"\xff\xfe invalid UTF-8\", \"chosen\": \"a\", \"rejected\": \"b\"}".to_vec());
    lines.push(b"{\"prompt\": \"a NUL \x00 byte\", \"chosen\": \"a\", \"rejected\": \"b\"}".to_vec());
    lines.push(format!("{}{}", "[".repeat(1000), "]".repeat(1000)).into_bytes());
    lines
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|byte| matches!(byte, b' ' | b'\t' | b'\r'))
}

/// The layout samples of `tests/convert/` (name, input file, `args` of its `expected.json`).
fn layout_samples() -> Vec<(String, PathBuf, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/convert");
    let mut samples = Vec::new();
    for name in entries(&root) {
        let case = root.join(&name);
        let Ok(expected) = fs::read_to_string(case.join("expected.json")) else { continue };
        let expected: Value = serde_json::from_str(&expected).unwrap();
        let args: Vec<String> = expected["args"]
            .as_array()
            .map(|args| args.iter().map(|arg| arg.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let input = entries(&case).into_iter().find(|file| file.starts_with("input")).expect("an input file");
        samples.push((name, case.join(input), args));
    }
    assert!(samples.len() >= 14, "layout samples: {:?}", samples.iter().map(|(name, ..)| name).collect::<Vec<_>>());
    samples
}

/// Converts `input` with `--from layout` and checks that every record is accounted for:
/// `read == written + dropped`, `read` is the number of records in the source (`records`), every
/// drop is in the report's list and in the rejects file (with its source record), and the output
/// holds `pairs` lines. `sources[line or index]` is the source text of each record.
#[track_caller]
fn assert_accounted(dir: &Path, input: &Path, layout: &str, args: &[String], sources: &[Option<Vec<u8>>]) {
    let out = dir.join("out.jsonl");
    let rejects = dir.join("rejects.jsonl");
    let _ = fs::remove_file(&out);
    let mut command = dpolint(["convert", "--format", "json", "--threads", "2", "--from", layout]);
    // The sample's own arguments, less its `--from` (given above).
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--from" {
            rest.next();
        } else {
            command.arg(arg);
        }
    }
    command.arg("-o").arg(&out).arg("--rejects").arg(&rejects).arg(input);
    let finished = run(&mut command, Input::Null);
    let context = format!("{layout} {args:?} {}", input.display());
    let report: Value = serde_json::from_slice(&finished.stdout)
        .unwrap_or_else(|error| panic!("{context}: no JSON report ({error}); stderr: {}", finished.stderr));
    let count = |key: &str| report[key].as_u64().unwrap_or_else(|| panic!("{context}: no `{key}` in {report}"));
    let (read, written, pairs) = (count("read"), count("written"), count("pairs"));
    let dropped: u64 = report["dropped"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    let records = sources.iter().filter(|source| source.is_some()).count() as u64;
    assert_eq!(read, records, "{context}: records read");
    assert_eq!(read, written + dropped, "{context}: read != written + dropped: {report}");
    finished.expect_code(i32::from(written == 0));
    let drops = report["drops"].as_array().unwrap();
    assert_eq!(drops.len() as u64, dropped, "{context}: the drop list");
    let rejected = fs::read_to_string(&rejects).unwrap();
    let rejected: Vec<Value> = rejected
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("{context}: a rejects line that is not JSON ({error}): {line:?}"))
        })
        .collect();
    assert_eq!(rejected.len() as u64, dropped, "{context}: lines in the rejects file");
    let mut seen = std::collections::BTreeSet::new();
    for reject in &rejected {
        let place = reject["line"].as_u64().or_else(|| reject["index"].as_u64()).expect("a line or an index");
        assert!(seen.insert(place), "{context}: record {place} rejected twice");
        let source = sources.get(place as usize).and_then(Option::as_ref);
        let source = source.unwrap_or_else(|| panic!("{context}: reject {reject} points at no record"));
        let source = source.trim_ascii();
        if let Some(text) = reject.get("record_text") {
            assert_eq!(text.as_str().unwrap(), String::from_utf8_lossy(source), "{context}");
        } else if let Ok(value) = serde_json::from_slice::<Value>(source) {
            assert_eq!(reject["record"], value, "{context}");
        }
    }
    if written > 0 {
        let output = fs::read_to_string(&out).unwrap();
        assert_eq!(output.lines().count() as u64, pairs, "{context}: output lines");
        assert!(output.lines().all(|line| serde_json::from_str::<Value>(line).is_ok()), "{context}");
    } else {
        assert!(!out.exists(), "{context}: an output with no record");
    }
}

#[test]
fn every_record_is_written_or_dropped_under_mixed_inputs() {
    let samples = layout_samples();
    let junk = junk_lines();
    // Records of every layout, to be wrong-layout lines in the others.
    let mut foreign: Vec<Vec<u8>> = Vec::new();
    for (_, input, _) in &samples {
        let text = fs::read(input).unwrap();
        if input.extension().is_some_and(|ext| ext == "jsonl") {
            foreign.extend(text.split(|byte| *byte == b'\n').filter(|line| !is_blank(line)).map(<[u8]>::to_vec));
        } else {
            let array: Vec<Value> = serde_json::from_slice(&text).unwrap();
            foreign.extend(array.iter().map(|value| serde_json::to_vec(value).unwrap()));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, input, args) in &samples {
        let layout = name.as_str();
        let text = fs::read(input).unwrap();
        for seed in 1..=3u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ name.len() as u64);
            let path = dir.path().join(input.file_name().unwrap());
            if input.extension().is_some_and(|ext| ext == "jsonl") {
                // JSONL: junk and foreign lines between the records (never first: the first
                // non-blank byte picks the container), CRLF line ends here and there.
                let own: Vec<&[u8]> = text.split(|byte| *byte == b'\n').filter(|line| !is_blank(line)).collect();
                let mut lines: Vec<Vec<u8>> = vec![own[0].to_vec()];
                for line in &own[1..] {
                    for _ in 0..rng.below(3) {
                        let extra = if rng.below(2) == 0 {
                            &junk[rng.below(junk.len())]
                        } else {
                            &foreign[rng.below(foreign.len())]
                        };
                        lines.push(extra.clone());
                    }
                    lines.push(line.to_vec());
                }
                for _ in 0..rng.below(4) {
                    lines.push(junk[rng.below(junk.len())].clone());
                }
                let mut file = Vec::new();
                // Line numbers are 1-based: index 0 holds no record.
                let mut sources: Vec<Option<Vec<u8>>> = vec![None];
                for line in &lines {
                    file.extend_from_slice(line);
                    file.extend_from_slice(if rng.below(5) == 0 { b"\r\n" } else { b"\n" });
                    sources.push((!is_blank(line)).then(|| line.clone()));
                }
                fs::write(&path, file).unwrap();
                assert_accounted(dir.path(), &path, layout, args, &sources);
            } else {
                // A JSON array: junk values and foreign records between the elements.
                let own: Vec<Value> = serde_json::from_slice(&text).unwrap();
                let junk_values: Vec<Value> =
                    junk.iter().filter_map(|line| serde_json::from_slice(line).ok()).collect();
                let mut elements = Vec::new();
                for value in own {
                    for _ in 0..rng.below(3) {
                        let extra = if rng.below(2) == 0 {
                            junk_values[rng.below(junk_values.len())].clone()
                        } else {
                            serde_json::from_slice(&foreign[rng.below(foreign.len())]).unwrap()
                        };
                        elements.push(extra);
                    }
                    elements.push(value);
                }
                fs::write(&path, serde_json::to_vec_pretty(&elements).unwrap()).unwrap();
                let sources: Vec<Option<Vec<u8>>> =
                    elements.iter().map(|value| Some(serde_json::to_vec(value).unwrap())).collect();
                assert_accounted(dir.path(), &path, layout, args, &sources);
            }
            fs::remove_file(&path).unwrap();
        }
    }
}
