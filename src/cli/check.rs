//! `dpolint check`: arguments, the configuration file, the output choice and the progress bar.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use dpolint::render::{Format, Render, RenderOptions, renderer};
use dpolint::tokens::TokenCounter;
use dpolint::{DatasetSummary, Diagnostic, Error, Options, Sink, Target, Validator};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{ConfigArgs, TargetArg};

/// Inputs smaller than this finish before a progress bar would tell anyone anything.
const PROGRESS_THRESHOLD: u64 = 100 << 20;

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// `.jsonl` files, directories of `.jsonl` shards (one dataset each), or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format [default: full on a terminal, concise otherwise].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,

    /// Whose rules to apply [default: the config file's, or fireworks].
    #[arg(long, value_enum)]
    target: Option<TargetArg>,

    /// Report only these rules: codes (DPO104), prefixes (DPO1) or names (invalid-role); repeat or
    /// separate with commas. Replaces the config file's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    select: Vec<String>,

    /// Never report these rules (same forms as --select); added to the config file's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    ignore: Vec<String>,

    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,

    /// Findings drawn per rule per file in human formats; 0 draws all (machine formats are never
    /// capped) [default: 20].
    #[arg(long, value_name = "N")]
    max_per_rule: Option<usize>,

    /// The DPO304 context budget in tokens [default: 32768 on fireworks and together, 65536 on
    /// openai].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_tokens: Option<u64>,

    /// Count tokens for DPO304 exactly with this Hugging Face `tokenizer.json` instead of
    /// estimating them.
    #[arg(long, value_name = "FILE")]
    tokenizer: Option<PathBuf>,

    /// Worker threads [default: all cores]; the output is the same for any count.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Deepest nesting of arrays and objects accepted in a record (deeper is DPO003).
    #[arg(long, default_value_t = 128, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_depth: u64,

    /// The longest line checked, in bytes (longer is DPO010 and is skipped without being read into
    /// memory) [default: 268435456, 256 MiB].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1024..=u64::from(u32::MAX)))]
    max_line_bytes: Option<u64>,

    /// Read files with `read` instead of memory maps (safe against other processes truncating them).
    #[arg(long)]
    no_mmap: bool,

    /// When to use colours in the full format.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Print only findings: no per-dataset summary lines, no progress bar.
    #[arg(short, long)]
    quiet: bool,

    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Full,
    Concise,
    Json,
    Jsonl,
    /// GitHub Actions workflow commands (annotations on the pull request's files).
    Github,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

pub(crate) fn run(args: &CheckArgs) -> Result<ExitCode, Error> {
    let config = args.config.load()?;
    let target = args.target.map(Target::from).or(config.as_ref().and_then(|config| config.target)).unwrap_or_default();
    let rules = match &config {
        Some(config) => config.rule_set(target, &args.select, &args.ignore)?,
        None => dpolint::RuleSet::from_selectors(target, &args.select, &args.ignore).map_err(Error::InvalidOptions)?,
    };
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let format = match args.format {
        Some(FormatArg::Full) => Format::Full,
        Some(FormatArg::Json) => Format::Json,
        Some(FormatArg::Jsonl) => Format::Jsonl,
        Some(FormatArg::Github) => Format::Github,
        Some(FormatArg::Sarif) => Format::Sarif,
        None if terminal => Format::Full,
        Some(FormatArg::Concise) | None => Format::Concise,
    };
    if args.threads == Some(0) {
        return Err(Error::InvalidOptions("--threads must be at least 1".into()));
    }
    let tokenizer = args.tokenizer.clone().or_else(|| config.as_ref().and_then(|config| config.tokenizer.clone()));
    let tokens = match tokenizer {
        Some(path) => token_counter(&path)?,
        None => TokenCounter::estimate(),
    };
    let mut options = Options::new(target)
        .with_rules(rules)
        .with_threads(args.threads.unwrap_or(0))
        .with_max_depth(usize::try_from(args.max_depth).unwrap_or(usize::MAX))
        .with_max_line_bytes(
            args.max_line_bytes
                .map_or(dpolint::DEFAULT_MAX_LINE_BYTES, |bytes| usize::try_from(bytes).unwrap_or(usize::MAX)),
        )
        .with_memory_map(!args.no_mmap)
        .with_max_tokens(args.max_tokens.or(config.as_ref().and_then(|config| config.max_tokens)))
        .with_token_counter(tokens)
        // GitHub and SARIF use the source line to find where a span ends on its line.
        .with_source_lines(matches!(format, Format::Full | Format::Github | Format::Sarif));
    if let Some(config) = config.as_ref().filter(|config| !config.per_file_ignores.is_empty()) {
        options = options.with_per_file_ignores(config.per_file_ignores.clone());
    }
    let validator = Validator::new(options)?;

    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()),
    };
    let mut render_options = RenderOptions::new(target);
    render_options.max_per_rule =
        args.max_per_rule.or(config.as_ref().and_then(|config| config.max_per_rule)).unwrap_or(20);
    render_options.color = color;
    render_options.quiet = args.quiet;
    render_options.width = terminal_size::terminal_size().map_or(100, |(width, _)| usize::from(width.0)).clamp(40, 200);

    let bar = progress_bar(args, format);
    // Lines reach a terminal as they are found; a pipe gets large writes.
    let writer: Box<dyn Write> = match (&bar, terminal) {
        (Some(bar), true) => Box::new(io::LineWriter::new(AroundBar { inner: stdout.lock(), bar: bar.clone() })),
        (None, true) => Box::new(io::LineWriter::new(stdout.lock())),
        (_, false) => Box::new(io::BufWriter::with_capacity(1 << 16, stdout.lock())),
    };
    let mut output = renderer(format, writer, &render_options);
    let summary = match &bar {
        Some(bar) => validator.check_paths(&args.paths, &mut WithProgress { inner: &mut *output, bar }),
        None => validator.check_paths(&args.paths, &mut *output),
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    output.finish(&summary).map_err(Error::Report)?;
    let deny_warnings = args.deny_warnings || config.as_ref().and_then(|config| config.deny_warnings).unwrap_or(false);
    Ok(ExitCode::from(summary.exit_code(deny_warnings)))
}

#[cfg(feature = "tokenizer")]
fn token_counter(path: &Path) -> Result<TokenCounter, Error> {
    TokenCounter::from_file(path)
}

#[cfg(not(feature = "tokenizer"))]
fn token_counter(path: &Path) -> Result<TokenCounter, Error> {
    Err(Error::InvalidOptions(format!(
        "{}: this dpolint was built without the `tokenizer` feature, so it cannot load a tokenizer",
        path.display()
    )))
}

/// A bar on standard error when it is a terminal, the output is for people, and the input is
/// large enough (its size known: standard input has none).
fn progress_bar(args: &CheckArgs, format: Format) -> Option<ProgressBar> {
    if args.quiet || !matches!(format, Format::Full | Format::Concise) || !io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = args.paths.iter().map(|path| input_size(path)).sum();
    if total < PROGRESS_THRESHOLD {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} checking {bar:40} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    Some(bar)
}

/// Bytes of a file, or of the `.jsonl` files directly in a directory; 0 when unknown.
fn input_size(path: &Path) -> u64 {
    let Ok(metadata) = std::fs::metadata(path) else { return 0 };
    if metadata.is_file() {
        return metadata.len();
    }
    if !metadata.is_dir() {
        return 0;
    }
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|extension| extension == "jsonl"))
            .filter_map(|entry| entry.metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .map(|metadata| metadata.len())
            .sum()
    })
}

/// Writes to the terminal with the bar lifted out of the way, so that findings and the bar do not
/// draw over each other.
struct AroundBar<W> {
    inner: W,
    bar: ProgressBar,
}

impl<W: Write> Write for AroundBar<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bar.suspend(|| self.inner.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.bar.suspend(|| self.inner.flush())
    }
}

/// Passes everything to the renderer and moves the bar along.
struct WithProgress<'a> {
    inner: &'a mut dyn Render,
    bar: &'a ProgressBar,
}

impl Sink for WithProgress<'_> {
    fn start_dataset(&mut self, path: &str) -> io::Result<()> {
        self.inner.start_dataset(path)
    }

    fn diagnostic(&mut self, diagnostic: Diagnostic) -> io::Result<()> {
        self.inner.diagnostic(diagnostic)
    }

    fn finish_dataset(&mut self, summary: &DatasetSummary) -> io::Result<()> {
        self.inner.finish_dataset(summary)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn progress(&mut self, bytes: u64) {
        self.bar.inc(bytes);
    }
}
