//! `dpolint stats`: arguments and output of the dataset statistics.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use dpolint::Error;
use dpolint::stats::collect_stats;

#[derive(Args)]
pub(crate) struct StatsArgs {
    /// A `.jsonl` file, a directory of `.jsonl` shards (one dataset), or `-` for standard input.
    #[arg(value_name = "PATH")]
    path: PathBuf,

    /// Output format: a readable table with histograms, or one JSON document (keys documented in
    /// the `dpolint::stats` module).
    #[arg(long, value_enum, default_value_t = StatsFormat::Human)]
    format: StatsFormat,

    /// Worker threads [default: all cores]; the output is the same for any count.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatsFormat {
    Human,
    Json,
}

/// Prints the statistics of one dataset; exit code 0 (an unreadable path is an `Err`: exit 2).
pub(crate) fn run(args: &StatsArgs) -> Result<ExitCode, Error> {
    if args.threads == Some(0) {
        return Err(Error::InvalidOptions("--threads must be at least 1".into()));
    }
    let stats = collect_stats(&args.path, args.threads.unwrap_or(0))?;
    let stdout = io::stdout();
    let text = match args.format {
        StatsFormat::Human => {
            let width = if stdout.is_terminal() {
                terminal_size::terminal_size().map_or(100, |(width, _)| usize::from(width.0)).clamp(40, 200)
            } else {
                100
            };
            stats.to_table(width)
        }
        StatsFormat::Json => stats.to_json() + "\n",
    };
    let mut out = stdout.lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(Error::Report)?;
    Ok(ExitCode::SUCCESS)
}
