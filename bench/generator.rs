//! The benchmark data generator's core, shared by `examples/gen_dpo.rs` (the command) and the
//! benches (`#[path]`-included; it is not part of the library).

use std::fmt::Write as _;

const WORDS: &[&str] = &[
    "the",
    "model",
    "should",
    "answer",
    "with",
    "care",
    "and",
    "cite",
    "sources",
    "when",
    "possible",
    "relativity",
    "energy",
    "mass",
    "équation",
    "naïve",
    "café",
    "東京",
    "数据",
    "данные",
    "🚀",
    "\"quoted\"",
    "back\\slash",
    "tab\tnewline\n",
    "code",
    "`fn",
    "main()",
    "{}`",
    "<tag>",
    "&",
    "100%",
    "3.14159",
];

/// splitmix64: small, fast and the same everywhere.
pub struct Random(pub u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// exp(N(0, sigma)) by Box-Muller.
    fn log_normal(&mut self, sigma: f64) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        (normal * sigma).exp()
    }
}

fn text(random: &mut Random, mean_words: f64) -> String {
    // A log-normal sample is positive: the cast cannot lose a sign.
    #[allow(clippy::cast_sign_loss)]
    let words = ((random.log_normal(0.8) * mean_words) as usize).max(1);
    (0..words).map(|_| WORDS[random.below(WORDS.len())]).collect::<Vec<_>>().join(" ")
}

/// A JSON string literal, escaping like Python's `json.dumps` (`ascii`: every non-ASCII as `\uXXXX`).
fn quote(text: &str, ascii: bool, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ascii && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn message(role: &str, content: &str, ascii: bool, out: &mut String) {
    out.push_str("{\"role\": ");
    quote(role, ascii, out);
    out.push_str(", \"content\": ");
    quote(content, ascii, out);
    out.push('}');
}

const TOOL: &str = r#"[{"type": "function", "function": {"name": "get_weather", "description": "Get weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]"#;

/// The six schema errors of `--bad-every`.
#[derive(Clone, Copy)]
pub enum Defect {
    MissingNonPreferred,
    RobotRole,
    NullContent,
    UserOutput,
    EmptyMessages,
    ExtraTurn,
}

pub fn record(random: &mut Random, defect: Option<Defect>) -> String {
    let system = (random.unit() < 0.3).then(|| text(random, 20.0));
    let user = text(random, 60.0);
    let tools = random.unit() < 0.1;
    let preferred = text(random, 120.0);
    let non_preferred = text(random, 60.0);
    let ascii = random.unit() < 0.2;

    let mut out = String::with_capacity(4096);
    out.push_str("{\"input\": {\"messages\": [");
    if !matches!(defect, Some(Defect::EmptyMessages)) {
        if let Some(system) = &system {
            message("system", system, ascii, &mut out);
            out.push_str(", ");
        }
        let role = if matches!(defect, Some(Defect::RobotRole)) { "robot" } else { "user" };
        message(role, &user, ascii, &mut out);
    }
    out.push(']');
    if tools {
        out.push_str(", \"tools\": ");
        out.push_str(TOOL);
    }
    out.push_str("}, \"preferred_output\": [");
    match defect {
        Some(Defect::NullContent) => out.push_str("{\"role\": \"assistant\", \"content\": null}"),
        Some(Defect::UserOutput) => message("user", &preferred, ascii, &mut out),
        _ => message("assistant", &preferred, ascii, &mut out),
    }
    if matches!(defect, Some(Defect::ExtraTurn)) {
        out.push_str(", ");
        message("assistant", "extra turn", ascii, &mut out);
    }
    out.push(']');
    if !matches!(defect, Some(Defect::MissingNonPreferred)) {
        out.push_str(", \"non_preferred_output\": [");
        message("assistant", &non_preferred, ascii, &mut out);
        out.push(']');
    }
    out.push_str("}\n");
    out
}

/// The same draws as [`record`], written in TRL's `prompt`/`chosen`/`rejected` layout (string
/// fields, the system prompt folded away), for converter benchmarks.
pub fn trl_record(random: &mut Random) -> String {
    let _system = (random.unit() < 0.3).then(|| text(random, 20.0));
    let user = text(random, 60.0);
    let _tools = random.unit() < 0.1;
    let preferred = text(random, 120.0);
    let non_preferred = text(random, 60.0);
    let ascii = random.unit() < 0.2;
    let mut out = String::with_capacity(4096);
    for (key, value) in [("prompt", &user), ("chosen", &preferred), ("rejected", &non_preferred)] {
        out.push_str(if key == "prompt" { "{\"" } else { ", \"" });
        out.push_str(key);
        out.push_str("\": ");
        quote(value, ascii, &mut out);
    }
    out.push_str("}\n");
    out
}

/// Every defect of `--bad-every`, in a fixed order.
pub const DEFECTS: [Defect; 6] = [
    Defect::MissingNonPreferred,
    Defect::RobotRole,
    Defect::NullContent,
    Defect::UserOutput,
    Defect::EmptyMessages,
    Defect::ExtraTurn,
];

/// `count` records as one JSONL text, one in `bad_every` with a defect (0: none).
#[allow(dead_code)] // used by the benches, not by the command
pub fn dataset(count: usize, bad_every: usize, seed: u64) -> String {
    let mut random = Random(seed);
    let mut out = String::new();
    for i in 0..count {
        let defect = (bad_every > 0 && i % bad_every == bad_every - 1).then(|| DEFECTS[random.below(DEFECTS.len())]);
        out.push_str(&record(&mut random, defect));
    }
    out
}
