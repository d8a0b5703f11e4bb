//! The `dpolint` command line: arguments, output choice and exit codes. Only the binary uses this.

mod check;
mod convert;
mod stats;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use dpolint::config::{self, Config};
use dpolint::{Error, Rule, RuleSet, Severity, Target};

/// Exit code when the tool could not do its job.
const EXIT_TROUBLE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "dpolint",
    version,
    about = "A fast, exact linter for DPO preference datasets (Fireworks, OpenAI and Together layouts)"
)]
#[command(after_help = "Exit codes: 0 no errors, 1 errors found (or warnings with --deny-warnings), 2 could not run.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check JSONL files, shard directories or standard input (`-`); report every problem at once.
    Check(check::CheckArgs),
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
    /// Statistics before an upload: counts, roles, lengths (characters and estimated tokens), length
    /// bias, duplicates.
    Stats(stats::StatsArgs),
    /// Print a shell completion script (e.g. `dpolint completions bash > ~/.local/share/bash-completion/completions/dpolint`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Where the configuration comes from (`dpolint.toml`, `.dpolint.toml` or `[tool.dpolint]` in
/// `pyproject.toml`, found by walking up from the working directory).
#[derive(Args)]
pub(crate) struct ConfigArgs {
    /// Read the configuration from this file instead of looking for one.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    config: Option<PathBuf>,

    /// Ignore every configuration file.
    #[arg(long)]
    isolated: bool,
}

impl ConfigArgs {
    /// The configuration in force, if any.
    pub(crate) fn load(&self) -> Result<Option<Config>, Error> {
        if self.isolated {
            return Ok(None);
        }
        if let Some(path) = &self.config {
            return config::load(path).map(Some);
        }
        let cwd = std::env::current_dir().map_err(|source| Error::Io { path: ".".into(), source })?;
        config::discover(&cwd)
    }
}

#[derive(Args)]
struct RulesArgs {
    /// Show the effective severities on one target: its defaults with the configuration file's
    /// `select`, `ignore` and `severity` applied (and `--select`/`--ignore`).
    #[arg(long, value_enum)]
    target: Option<TargetArg>,

    /// With --target: report only these rules (as `check --select`).
    #[arg(long, value_delimiter = ',', value_name = "RULE", requires = "target")]
    select: Vec<String>,

    /// With --target: never report these rules (as `check --ignore`).
    #[arg(long, value_delimiter = ',', value_name = "RULE", requires = "target")]
    ignore: Vec<String>,

    #[command(flatten)]
    config: ConfigArgs,
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

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Rules(args) => rules(&args).map(|()| ExitCode::SUCCESS),
        Command::Rule { rule } => show_rule(&rule),
        Command::Convert(args) => convert::run(&args),
        Command::Stats(args) => stats::run(&args),
        Command::Completions { shell } => {
            let mut out = io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "dpolint", &mut out);
            out.flush().map_err(Error::Report).map(|()| ExitCode::SUCCESS)
        }
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

fn severity_cell(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Error) => "error",
        Some(Severity::Warning) => "warning",
        Some(Severity::Info) => "info",
        None => "off",
    }
}

fn rules(args: &RulesArgs) -> Result<(), Error> {
    // One column per target; with --target, that target's effective severities.
    let columns: Vec<(Target, RuleSet)> = match args.target {
        Some(target) => {
            let target = Target::from(target);
            let rules = match args.config.load()? {
                Some(config) => config.rule_set(target, &args.select, &args.ignore)?,
                None => RuleSet::from_selectors(target, &args.select, &args.ignore).map_err(Error::InvalidOptions)?,
            };
            vec![(target, rules)]
        }
        None => Target::ALL.iter().map(|&target| (target, RuleSet::defaults(target))).collect(),
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let write = |out: &mut io::BufWriter<io::StdoutLock<'_>>| -> io::Result<()> {
        let mut category = None;
        write!(out, "{:<8}{:<25}", "code", "name")?;
        for (target, _) in &columns {
            write!(out, "{:<11}", target.as_str())?;
        }
        writeln!(out, "{:<9}summary", "fixable")?;
        for &rule in Rule::ALL {
            if category != Some(rule.category()) {
                category = Some(rule.category());
                writeln!(out, "\n{} ({}xx)", rule.category().title(), &rule.code()[..4])?;
            }
            write!(out, "{:<8}{:<25}", rule.code(), rule.name())?;
            for (_, rules) in &columns {
                write!(out, "{:<11}", severity_cell(rules.severity(rule)))?;
            }
            writeln!(out, "{:<9}{}", if rule.is_fixable() { "yes" } else { "" }, rule.summary())?;
        }
        if let [(target, _)] = columns.as_slice() {
            writeln!(
                out,
                "\n{}: at least {} examples, at most {}; DPO304 budget {} tokens.",
                target.display_name(),
                target.min_examples(),
                target.max_examples(),
                target.default_max_tokens()
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
