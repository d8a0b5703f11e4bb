//! `dpolint convert`: arguments, the report, exit codes.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};
use dpolint::Error;
use dpolint::convert::{
    ConvertOptions, Converter, FieldMap, Layout, MultiTurnPolicy, Pairing, PkuAxis, PromptSplit, ScoreKey,
};

use super::TargetArg;

/// Exit code of a conversion stopped by Ctrl-C (SIGINT): 128 + 2, as shells report a process that
/// the signal ended.
const EXIT_INTERRUPTED: u8 = 130;

#[derive(Args)]
pub(crate) struct ConvertArgs {
    /// Source files (shards of one dataset: JSONL, JSON arrays, gzip/zstd, Parquet, CSV), or `-`.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// The JSONL file to write (never one of the inputs; written whole or not at all), or `-` for
    /// standard output (the report then goes to standard error).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// The source layout (detected when not given): fireworks (also openai), trl, hh, sharegpt,
    /// alpaca, messages-pair, chosen-rejected-messages, orca, ultrafeedback, nectar, shp, pku,
    /// stack-exchange, mapped.
    #[arg(long = "from", value_name = "LAYOUT")]
    from: Option<String>,

    /// Write every dropped record, with its reason and location, to this JSONL file.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,

    /// Only detect the layout and explain it; write nothing.
    #[arg(long)]
    detect: bool,

    /// The target layout's provider.
    #[arg(long, value_enum, default_value_t = TargetArg::Fireworks)]
    target: TargetArg,

    /// Prompts with earlier turns: drop them (one-turn targets), keep them (Together), or flatten
    /// the earlier turns into the last user message (lossy).
    #[arg(long, value_name = "POLICY", default_value = "drop")]
    multi_turn: String,

    /// Join consecutive same-role turns with a blank line instead of dropping the row.
    #[arg(long)]
    merge_consecutive: bool,

    /// How scored or ranked candidates pair up.
    #[arg(long, value_enum, default_value_t = PairingArg::BestVsWorst)]
    pairing: PairingArg,

    /// Seed of `--pairing best-vs-random`.
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// The smallest score difference a scored pair needs (otherwise it is a tie).
    #[arg(long, default_value_t = 0.0)]
    min_margin: f64,

    /// `UltraFeedback` score: fine-grained (default), overall, or an aspect (helpfulness, honesty,
    /// `instruction_following`, truthfulness).
    #[arg(long, value_name = "KEY", default_value = "fine-grained")]
    score: String,

    /// PKU-SafeRLHF label that picks the preferred response.
    #[arg(long, value_enum, default_value_t = AxisArg::Safer)]
    axis: AxisArg,

    /// Split plain-text chosen/rejected pairs without a prompt at their shared beginning (lossy).
    #[arg(long, value_enum)]
    prompt_split: Option<PromptSplitArg>,

    /// Fields of the `mapped` layout: `prompt=FIELD,chosen=FIELD,rejected=FIELD[,system=FIELD]`.
    #[arg(long, value_name = "SPEC")]
    map: Option<String>,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// The longest record read, in bytes (a longer JSONL line or JSON array element is dropped as
    /// `parse-error` and skipped without being read into memory) [default: 268435456, 256 MiB].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1024..=u64::from(u32::MAX)))]
    max_line_bytes: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PairingArg {
    BestVsWorst,
    BestVsRandom,
    AllPairs,
}

#[derive(Clone, Copy, ValueEnum)]
enum AxisArg {
    Safer,
    Better,
}

#[derive(Clone, Copy, ValueEnum)]
enum PromptSplitArg {
    Char,
}

fn options(args: &ConvertArgs) -> Result<ConvertOptions, Error> {
    let invalid = Error::InvalidOptions;
    let mut options = ConvertOptions::default();
    options.target = args.target.into();
    options.layout = args.from.as_deref().map(str::parse::<Layout>).transpose().map_err(invalid)?;
    options.multi_turn = args.multi_turn.parse::<MultiTurnPolicy>().map_err(invalid)?;
    options.merge_consecutive = args.merge_consecutive;
    options.pairing = match args.pairing {
        PairingArg::BestVsWorst => Pairing::BestVsWorst,
        PairingArg::BestVsRandom => Pairing::BestVsRandom { seed: args.seed },
        PairingArg::AllPairs => Pairing::AllPairs,
    };
    options.min_margin = args.min_margin;
    options.score_key = match args.score.as_str() {
        "fine-grained" | "fine-grained_score" => ScoreKey::FineGrained,
        "overall" | "overall_score" => ScoreKey::Overall,
        aspect @ ("helpfulness" | "honesty" | "instruction_following" | "truthfulness") => {
            ScoreKey::Aspect(aspect.to_string())
        }
        other => {
            return Err(invalid(format!(
                "unknown score `{other}` (expected fine-grained, overall, helpfulness, honesty, instruction_following or truthfulness)"
            )));
        }
    };
    options.pku_axis = match args.axis {
        AxisArg::Safer => PkuAxis::Safer,
        AxisArg::Better => PkuAxis::Better,
    };
    options.prompt_split = if args.prompt_split.is_some() { PromptSplit::Char } else { PromptSplit::None };
    options.map = args.map.as_deref().map(str::parse::<FieldMap>).transpose().map_err(invalid)?;
    if options.map.is_some() && options.layout.is_none() {
        options.layout = Some(Layout::Mapped);
    }
    if args.threads == Some(0) {
        return Err(invalid("--threads must be at least 1".into()));
    }
    options.threads = args.threads.unwrap_or(0);
    if let Some(bytes) = args.max_line_bytes {
        options.max_record_bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
    }
    Ok(options)
}

pub(crate) fn run(args: &ConvertArgs) -> Result<ExitCode, Error> {
    let converter = Converter::new(options(args)?)?;
    let stdout = io::stdout();
    let report_error = Error::Report;
    if args.detect {
        let detection = converter.detect_files(&args.inputs)?;
        let mut out = stdout.lock();
        let text = match detection.layout {
            Some(layout) => format!("{layout}: {}\n", detection.reason),
            None => format!("no layout detected: {}\n", detection.reason),
        };
        out.write_all(text.as_bytes()).map_err(report_error)?;
        return Ok(ExitCode::from(u8::from(detection.layout.is_none())));
    }
    let Some(output) = &args.output else {
        return Err(Error::InvalidOptions(
            "say where to write: `-o OUT.jsonl` (or use `--detect` to only detect the layout)".into(),
        ));
    };
    // Ctrl-C (or SIGTERM, SIGHUP) stops between batches and removes the unfinished output. A run blocked in a read (a
    // stalled pipe or FIFO, a FIFO no one opens) never gets to the flag, so when the process is
    // still here after a moment the handler removes the temporary files itself and exits.
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let _ = ctrlc::set_handler(move || {
        flag.store(true, Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_millis(500));
        dpolint::convert::abandon_unfinished_outputs();
        eprintln!("dpolint: error: {}", Error::Interrupted);
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    });
    let converter = converter.with_cancel_flag(cancel);
    let report = if args.inputs.len() == 1 && args.inputs[0] == std::path::Path::new("-") {
        converter.convert_stdin(output, args.rejects.as_deref())
    } else {
        converter.convert_files(&args.inputs, output, args.rejects.as_deref())
    };
    let report = match report {
        Err(Error::Interrupted) => {
            eprintln!("dpolint: error: {}", Error::Interrupted);
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
        report => report?,
    };
    let text = match args.format {
        ReportFormat::Human => report.to_human(3),
        ReportFormat::Json => report.to_json() + "\n",
    };
    // With `-o -` the records own standard output: the report goes to standard error.
    if output == std::path::Path::new("-") {
        io::stderr().lock().write_all(text.as_bytes()).map_err(report_error)?;
    } else {
        let mut out = stdout.lock();
        out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(report_error)?;
    }
    Ok(ExitCode::from(report.exit_code()))
}
