//! Deterministic synthetic DPO datasets for benchmarks:
//! `gen_dpo OUT.jsonl N [--bad-every K] [--seed S] [--layout fireworks|trl]`.
//!
//! The shape and size distribution follow the team's benchmark generator: text lengths are log-normal
//! (mean 20 words for system prompts, 60 for user turns, 120 and 60 for the two answers), 30% of
//! records have a system message and 10% a tool definition, the text carries Unicode, quotes,
//! backslashes, tabs and newlines, and 20% of records escape every non-ASCII character (`\u00e9`).
//! With `--bad-every K`, one record in K carries one of six schema errors. Same arguments, same
//! bytes, on every machine.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

#[path = "../bench/generator.rs"]
mod generator;

use generator::{DEFECTS, Random, record, trl_record};

fn run() -> io::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let (mut bad_every, mut seed, mut trl) = (0usize, 7u64, false);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--bad-every" => bad_every = iter.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--seed" => seed = iter.next().and_then(|v| v.parse().ok()).unwrap_or(7),
            "--layout" => trl = iter.next().is_some_and(|layout| layout == "trl"),
            _ => positional.push(arg.clone()),
        }
    }
    let (Some(path), Some(count)) = (positional.first(), positional.get(1).and_then(|n| n.parse::<usize>().ok()))
    else {
        eprintln!("usage: gen_dpo OUT.jsonl N [--bad-every K] [--seed S] [--layout fireworks|trl]");
        return Ok(ExitCode::from(2));
    };
    let mut random = Random(seed);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    for i in 0..count {
        if trl {
            out.write_all(trl_record(&mut random).as_bytes())?;
            continue;
        }
        let defect = (bad_every > 0 && i % bad_every == bad_every - 1).then(|| DEFECTS[random.below(DEFECTS.len())]);
        out.write_all(record(&mut random, defect).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    run().unwrap_or_else(|error| {
        eprintln!("gen_dpo: {error}");
        ExitCode::from(2)
    })
}
