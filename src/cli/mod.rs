//! The `dpolint` command line: arguments, output choice and exit codes. Only the binary uses this.

mod convert;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dpolint::render::{Format, RenderOptions, renderer};
use dpolint::{Error, Options, Rule, RuleSet, Severity, Target, Validator};

/// Exit code when the tool could not do its job.
const EXIT_TROUBLE: u8 = 2;

#[derive(Parser)]
#[command(name = "dpolint", version, about = "A fast, exact linter for DPO preference datasets (Fireworks layout)")]
#[command(after_help = "Exit codes: 0 no errors, 1 errors found (or warnings with --deny-warnings), 2 could not run.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check JSONL files, shard directories or standard input (`-`); report every problem at once.
    Check(CheckArgs),
    /// List the rules with their codes, names and severities per target.
    Rules(RulesArgs),
    /// Print one rule's documentation page (e.g. `dpolint rule DPO104` or `dpolint rule invalid-role`).
    Rule {
        /// A code (`DPO104`) or name (`invalid-role`).
        rule: String,
    },
    /// Convert TRL, HH-RLHF, `UltraFeedback`, LLaMA-Factory, Orca, Nectar, SHP, PKU, ... into the
    /// target layout; every dropped record is counted with its reason.
    Convert(convert::ConvertArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// `.jsonl` files, directories of `.jsonl` shards (one dataset each), or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format [default: full on a terminal, concise otherwise].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,

    /// Whose rules to apply.
    #[arg(long, value_enum, default_value_t = TargetArg::Fireworks)]
    target: TargetArg,

    /// Report only these rules: codes (DPO104), prefixes (DPO1) or names (invalid-role); repeat or
    /// separate with commas.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    select: Vec<String>,

    /// Never report these rules (same forms as --select).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    ignore: Vec<String>,

    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,

    /// Findings drawn per rule per file in human formats; 0 draws all (machine formats are never
    /// capped).
    #[arg(long, default_value_t = 20, value_name = "N")]
    max_per_rule: usize,

    /// Worker threads [default: all cores]; the output is the same for any count.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Deepest nesting of arrays and objects accepted in a record.
    #[arg(long, default_value_t = 128, value_name = "N")]
    max_depth: usize,

    /// Read files with `read` instead of memory maps (safe against other processes truncating them).
    #[arg(long)]
    no_mmap: bool,

    /// When to use colours in the full format.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Print only findings, without the per-dataset summary lines.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct RulesArgs {
    /// Show the severities of one target only.
    #[arg(long, value_enum)]
    target: Option<TargetArg>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Full,
    Concise,
    Json,
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum TargetArg {
    Fireworks,
    Openai,
    Together,
}

impl From<TargetArg> for Target {
    fn from(target: TargetArg) -> Target {
        match target {
            TargetArg::Fireworks => Target::Fireworks,
            TargetArg::Openai => Target::OpenAi,
            TargetArg::Together => Target::Together,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Rules(args) => rules(&args).map(|()| ExitCode::SUCCESS),
        Command::Rule { rule } => show_rule(&rule),
        Command::Convert(args) => convert::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error @ Error::LayoutNotDetected { .. }) => {
            eprintln!("dpolint: {error}");
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("dpolint: error: {error}");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode, Error> {
    let target = Target::from(args.target);
    let rules = RuleSet::from_selectors(target, &args.select, &args.ignore).map_err(Error::InvalidOptions)?;
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let format = match args.format {
        Some(FormatArg::Full) => Format::Full,
        Some(FormatArg::Json) => Format::Json,
        Some(FormatArg::Jsonl) => Format::Jsonl,
        None if terminal => Format::Full,
        Some(FormatArg::Concise) | None => Format::Concise,
    };
    if args.threads == Some(0) {
        return Err(Error::InvalidOptions("--threads must be at least 1".into()));
    }
    let options = Options::new(target)
        .with_rules(rules)
        .with_threads(args.threads.unwrap_or(0))
        .with_max_depth(args.max_depth)
        .with_memory_map(!args.no_mmap)
        .with_source_lines(format == Format::Full);
    let validator = Validator::new(options)?;

    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()),
    };
    let mut render_options = RenderOptions::new(target);
    render_options.max_per_rule = args.max_per_rule;
    render_options.color = color;
    render_options.quiet = args.quiet;
    render_options.width = terminal_size::terminal_size().map_or(100, |(width, _)| usize::from(width.0)).clamp(40, 200);
    // Lines reach a terminal as they are found; a pipe gets large writes.
    let writer: Box<dyn Write> = if terminal {
        Box::new(io::LineWriter::new(stdout.lock()))
    } else {
        Box::new(io::BufWriter::with_capacity(1 << 16, stdout.lock()))
    };
    let mut output = renderer(format, writer, &render_options);
    let summary = validator.check_paths(&args.paths, &mut *output)?;
    output.finish(&summary).map_err(Error::Report)?;
    Ok(ExitCode::from(summary.exit_code(args.deny_warnings)))
}

fn severity_cell(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Error) => "error",
        Some(Severity::Warning) => "warning",
        Some(Severity::Info) => "info",
        None => "off",
    }
}

fn rules(args: &RulesArgs) -> Result<(), Error> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let targets: Vec<Target> = match args.target {
        Some(target) => vec![target.into()],
        None => Target::ALL.to_vec(),
    };
    let write = |out: &mut io::BufWriter<io::StdoutLock<'_>>| -> io::Result<()> {
        let mut category = None;
        write!(out, "{:<8}{:<25}", "code", "name")?;
        for target in &targets {
            write!(out, "{:<11}", target.as_str())?;
        }
        writeln!(out, "{:<9}summary", "fixable")?;
        for &rule in Rule::ALL {
            if category != Some(rule.category()) {
                category = Some(rule.category());
                writeln!(out, "\n{} ({}xx)", rule.category().title(), &rule.code()[..4])?;
            }
            write!(out, "{:<8}{:<25}", rule.code(), rule.name())?;
            for &target in &targets {
                write!(out, "{:<11}", severity_cell(rule.default_severity(target)))?;
            }
            writeln!(out, "{:<9}{}", if rule.is_fixable() { "yes" } else { "" }, rule.summary())?;
        }
        let unsupported: Vec<&str> =
            targets.iter().filter(|target| !target.is_supported()).map(|target| target.as_str()).collect();
        if !unsupported.is_empty() {
            writeln!(
                out,
                "\n(the {} profile(s) are listed as the rule book defines them, but `check --target` supports only fireworks so far)",
                unsupported.join(" and ")
            )?;
        }
        writeln!(out, "\n`dpolint rule CODE` prints a rule's page.")?;
        out.flush()
    };
    write(&mut out).map_err(Error::Report)?;
    Ok(())
}

fn show_rule(name: &str) -> Result<ExitCode, Error> {
    let Some(rule) = Rule::find(name) else {
        let known = Rule::ALL.iter().map(|rule| rule.code()).collect::<Vec<_>>().join(", ");
        return Err(Error::InvalidOptions(format!("unknown rule `{name}`; known codes: {known}")));
    };
    let mut out = io::stdout().lock();
    write!(out, "{}", rule.docs()).map_err(Error::Report)?;
    out.flush().map_err(Error::Report)?;
    Ok(ExitCode::SUCCESS)
}
