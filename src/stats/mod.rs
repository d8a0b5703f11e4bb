//! `dpolint stats`: the numbers to look at before an upload. How many examples, how many of them
//! are unreadable, which roles and tools appear, how long prompts and answers are (in characters
//! and in estimated tokens), whether the preferred answers are systematically longer, and how many
//! examples are duplicates or contradict each other.
//!
//! ```
//! let data = concat!(
//!     r#"{"input": {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]}, "#,
//!     r#""preferred_output": [{"role": "assistant", "content": "Paris."}], "#,
//!     r#""non_preferred_output": [{"role": "assistant", "content": "It is Lyon."}]}"#, "\n",
//!     r#"{"input": {"messages": [{"role": "user", "content": "2 + 2?"}]}, "#,
//!     r#""preferred_output": [{"role": "assistant", "content": "4, because two and two make four."}], "#,
//!     r#""non_preferred_output": [{"role": "assistant", "content": "5"}]}"#, "\n",
//!     "not json\n",
//! );
//! let stats = dpolint::stats::collect_stats_bytes("tiny.jsonl", data.as_bytes(), 1)?;
//! assert_eq!((stats.examples, stats.readable, stats.unreadable), (3, 2, 1));
//! assert_eq!(stats.system_message.count, 1);
//! assert_eq!(stats.lengths.preferred.chars.max, Some(33));
//! assert_eq!(stats.length_bias.preferred_longer, 1);
//! assert_eq!(dpolint::stats::estimate_tokens("Capital of France?"), 5);
//! println!("{}", stats.to_table(100));
//! # Ok::<(), dpolint::Error>(())
//! ```
//!
//! Statistics never replace `dpolint check`: a record that does not parse, or lacks a field the
//! numbers need, is counted as unreadable and otherwise skipped, without saying why.
//!
//! # What is counted
//!
//! - An *example* is a non-blank physical line, as in `check`. A *readable* example is a JSON
//!   object with `input.messages` (a non-empty array), `preferred_output` and
//!   `non_preferred_output` (non-empty arrays), where every message of the three is an object with
//!   a string `role` and a `content` that is a string or an array of parts (the `text` of each part
//!   counts). Every other example is *unreadable*. Shares (system message, tools) are shares of the
//!   readable examples.
//! - Lengths are of the decoded text (escapes resolved), in Unicode scalar values and in estimated
//!   tokens ([`estimate_tokens`]). The prompt is all input message contents together; an output is
//!   the contents of all its messages (one, in a valid record). Chat-template tokens are not
//!   counted.
//! - Percentiles are nearest-rank (the smallest length that at least p% of the examples are at
//!   most), read from a fixed log-linear histogram: exact below 32, within 1/64 (1.6%) above
//!   ([`Stats::percentile_relative_error`]). Minimum, maximum, mean and total are exact. Memory
//!   does not grow with the dataset, apart from the duplicate table (about 60 bytes per distinct
//!   record).
//! - Duplicates and conflicts mean what `check`'s DPO403 and DPO404 mean and are counted the same
//!   way (over every record that parses as a JSON object, in file order), so the counts equal the
//!   numbers of those findings.
//!
//! The output is the same for any thread count.
//!
//! # The JSON document
//!
//! [`Stats::to_json`] (`dpolint stats --format json`) writes one object with these keys, always all
//! of them, in this order. Counts are integers; `share` values are fractions in 0..=1; a value that
//! is undefined (a share of zero readable examples, a percentile of no lengths) is `null`.
//!
//! ```text
//! version                  1 (changes only when a key changes meaning or disappears)
//! path                     the dataset as named (`<stdin>` for standard input)
//! files                    files read (shards of a directory)
//! skipped_entries          directory entries that are not shards and were not read (see DPO405)
//! lines                    physical lines
//! examples                 non-blank lines
//! readable, unreadable     examples whose numbers count, and the others
//! system_message           {count, share}: readable examples with a `system` input message
//! tools                    {examples, share, definitions}: readable examples with a non-empty
//!                          `input.tools` array, and the tool definitions in them
//! roles                    {input, output}: each {system, user, assistant, tool, other}, messages
//!                          by role (`other`: any other string, "User" and "human" included)
//! lengths                  {prompt, preferred, non_preferred}: each {chars, tokens}, each a
//!                          distribution {count, min, p50, p90, p99, max, mean, total, histogram};
//!                          histogram: up to 20 bins [{from, to, count}] (lengths from..=to) of
//!                          equal width on a log scale between min and max
//! length_bias              {pairs, preferred_longer, non_preferred_longer, equal,
//!                          preferred_longer_share, mean_length_ratio}: pairs compared by
//!                          characters; the ratio is the geometric mean over pairs of
//!                          (preferred + 1) / (non-preferred + 1)
//! duplicates               {duplicate_examples, conflicting_preferences}: DPO403 and DPO404 counts
//! percentile_relative_error  the bound on p50/p90/p99 (1/64)
//! token_estimator          one line naming the estimate
//! ```

mod collect;
mod sketch;
mod table;
mod text;

use serde::Serialize;

pub use collect::{collect_stats, collect_stats_bytes, collect_stats_reader};

/// One line naming the token estimate, as the JSON document and the table state it.
pub const TOKEN_ESTIMATOR: &str = "estimate: ASCII letters 1/4 token, digits 1/2, punctuation 3/8, accented Latin 1, Greek to Arabic 1/2, CJK 1, emoji 2";

/// Estimates how many tokens a model's tokenizer makes of `text`. It is an estimate, not a count:
/// no tokenizer is loaded and nothing is decoded.
///
/// Each character weighs by the class of its first UTF-8 byte, in eighths of a token, as fitted
/// to byte-level BPE vocabularies (`cl100k`, `o200k`, Llama 3, Qwen, Mistral Tekken) on 12,827
/// documents of 14 kinds of text (`bench/tokens/RESULTS.md` in the repository):
///
/// - ASCII letters, spaces and tabs: a quarter token (about four characters a token in English);
/// - ASCII digits: half a token (numbers are split into short groups);
/// - newlines, punctuation, symbols and controls: three eighths (they seldom merge);
/// - 2-byte characters up to U+037F (accented Latin, combining marks): one token, since a
///   diacritic breaks the merges around it; 2-byte characters from U+0380 (Greek, Cyrillic,
///   Hebrew, Arabic): half a token;
/// - 3-byte characters (CJK, kana, Hangul, Indic scripts, most symbols): one token;
/// - 4-byte characters (emoji, rare CJK): two tokens.
///
/// The sum is rounded up: the empty text is 0 tokens, any other at least 1. No byte weighs more
/// than half a token, so the estimate is at most `text.len().div_ceil(2)`: DPO304's fast path
/// relies on that bound.
///
/// Against those vocabularies it is within about 10% on English prose and code in total, and
/// still short on European languages other than English and on low-resource languages; for
/// Russian, CJK, Korean and Hindi the vocabularies disagree with each other more than the
/// estimate errs. Sums of texts (a prompt of several messages) are estimated as the concatenated
/// text is; chat-template tokens are not included.
///
/// ```
/// use dpolint::stats::estimate_tokens;
/// assert_eq!(estimate_tokens(""), 0);
/// assert_eq!(estimate_tokens("Paris."), 2); // 5 letters (10 eighths) and a full stop (3): rounded up
/// assert_eq!(estimate_tokens("café"), 2); // 3 letters (6 eighths) and é (8)
/// assert_eq!(estimate_tokens("2026"), 2); // 4 digits, half a token each
/// assert_eq!(estimate_tokens("東京"), 2);
/// ```
#[must_use]
pub fn estimate_tokens(text: &str) -> u64 {
    text::measure_utf8(text.as_bytes()).tokens()
}

/// Statistics of one dataset. See the [module docs](self) for what each number means; the JSON
/// document ([`Stats::to_json`]) has the same names.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// The dataset as the user named it (`<stdin>` for standard input).
    pub path: String,
    /// Files read (shards for a directory).
    pub files: u64,
    /// Directory entries that are not `.jsonl` shards and were not read (`check` reports them).
    pub skipped_entries: u64,
    /// Physical lines.
    pub lines: u64,
    /// Non-blank physical lines.
    pub examples: u64,
    /// Examples that parse and hold every field the numbers need.
    pub readable: u64,
    /// The other examples (`check` says what is wrong with them).
    pub unreadable: u64,
    /// Readable examples with a `system` input message.
    pub system_message: Share,
    /// Readable examples with tool definitions.
    pub tools: ToolStats,
    /// Messages by role.
    pub roles: RoleStats,
    /// Length distributions.
    pub lengths: Lengths,
    /// Whether preferred answers tend to be longer.
    pub length_bias: LengthBias,
    /// Duplicate examples and conflicting preferences.
    pub duplicates: Duplicates,
    /// The largest relative error of the p50/p90/p99 values (exact below 32).
    pub percentile_relative_error: f64,
    /// The token estimate used ([`TOKEN_ESTIMATOR`]).
    pub token_estimator: &'static str,
}

/// A count and its share of the readable examples.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Share {
    /// Examples.
    pub count: u64,
    /// `count` over the readable examples; `None` when there are none.
    pub share: Option<f64>,
}

/// Tool definitions in `input.tools`.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct ToolStats {
    /// Readable examples whose `input.tools` is a non-empty array.
    pub examples: u64,
    /// `examples` over the readable examples; `None` when there are none.
    pub share: Option<f64>,
    /// Tool definitions over all readable examples.
    pub definitions: u64,
}

/// Message counts by role, over the readable examples.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RoleStats {
    /// Input messages.
    pub input: RoleCounts,
    /// Output messages (preferred and non-preferred together).
    pub output: RoleCounts,
}

/// Messages per role.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RoleCounts {
    /// `"system"`.
    pub system: u64,
    /// `"user"`.
    pub user: u64,
    /// `"assistant"`.
    pub assistant: u64,
    /// `"tool"`.
    pub tool: u64,
    /// Any other role string (including case and alias mistakes such as `"User"` or `"human"`).
    pub other: u64,
}

impl RoleCounts {
    /// Counts one message; returns whether its role is `system`.
    fn count(&mut self, role: &str) -> bool {
        match role {
            "system" => self.system += 1,
            "user" => self.user += 1,
            "assistant" => self.assistant += 1,
            "tool" => self.tool += 1,
            _ => self.other += 1,
        }
        role == "system"
    }

    fn add(&mut self, other: &RoleCounts) {
        self.system += other.system;
        self.user += other.user;
        self.assistant += other.assistant;
        self.tool += other.tool;
        self.other += other.other;
    }

    /// All messages.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.system + self.user + self.assistant + self.tool + self.other
    }
}

/// The three length distributions.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Lengths {
    /// All input message contents of an example together.
    pub prompt: Length,
    /// The preferred output's content.
    pub preferred: Length,
    /// The non-preferred output's content.
    pub non_preferred: Length,
}

/// One text's length distribution, in characters and in estimated tokens.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Length {
    /// Unicode scalar values.
    pub chars: Distribution,
    /// Estimated tokens ([`estimate_tokens`]).
    pub tokens: Distribution,
}

/// A distribution of lengths over the readable examples. Every value is `None` when there are
/// none.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Distribution {
    /// Lengths counted (the readable examples).
    pub count: u64,
    /// The shortest (exact).
    pub min: Option<u64>,
    /// The median (nearest rank, within [`Stats::percentile_relative_error`]).
    pub p50: Option<u64>,
    /// The 90th percentile (same bound).
    pub p90: Option<u64>,
    /// The 99th percentile (same bound).
    pub p99: Option<u64>,
    /// The longest (exact).
    pub max: Option<u64>,
    /// The mean (exact up to floating point).
    pub mean: Option<f64>,
    /// The sum over all examples (exact).
    pub total: u64,
    /// Up to 20 bins of equal width on a log scale between `min` and `max`; a length is placed by
    /// its histogram bucket, so counts near a bin edge can be one bin off (within the same 1.6%).
    pub histogram: Vec<HistogramBin>,
}

/// One bin of a [`Distribution`]'s histogram.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct HistogramBin {
    /// The shortest length in the bin.
    pub from: u64,
    /// The longest length in the bin (inclusive).
    pub to: u64,
    /// Examples in the bin.
    pub count: u64,
}

/// Whether the preferred answers are systematically longer (by characters). DPO learns whatever
/// separates preferred from non-preferred answers, length included.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct LengthBias {
    /// Pairs compared (the readable examples).
    pub pairs: u64,
    /// Pairs whose preferred answer is longer.
    pub preferred_longer: u64,
    /// Pairs whose non-preferred answer is longer.
    pub non_preferred_longer: u64,
    /// Pairs of equal length.
    pub equal: u64,
    /// `preferred_longer` over `pairs`; about 0.5 (with few equal pairs) when length tells nothing.
    pub preferred_longer_share: Option<f64>,
    /// The geometric mean over pairs of (preferred + 1) / (non-preferred + 1) characters: 1 when
    /// neither side is longer on average, 2 when preferred answers are typically twice as long.
    pub mean_length_ratio: Option<f64>,
}

/// Counts of `check`'s dataset-wide findings.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Duplicates {
    /// Records equal (as parsed JSON) to an earlier record (DPO403).
    pub duplicate_examples: u64,
    /// Records whose input and answers appear earlier with the answers swapped (DPO404).
    pub conflicting_preferences: u64,
}

impl Stats {
    /// The JSON document of `dpolint stats --format json` (keys in the [module docs](self)),
    /// pretty-printed, without a final newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Document<'a> {
            version: u32,
            #[serde(flatten)]
            stats: &'a Stats,
        }
        // Plain data with string keys: serializing cannot fail.
        serde_json::to_string_pretty(&Document { version: 1, stats: self }).unwrap_or_default()
    }

    /// The human report: counts, a table of the length distributions, the length bias,
    /// duplicates, and a small histogram per length distribution, laid out for a terminal
    /// `width` columns wide (at least 40 are used).
    #[must_use]
    pub fn to_table(&self, width: usize) -> String {
        table::render(self, width)
    }
}

#[cfg(test)]
mod tests {
    use super::collect::Collector;
    use super::*;
    use crate::validate::dataset::{Dataset, Shard};
    use crate::{Error, Options, Validator};
    use std::path::Path;

    /// A BOM, a CRLF line, a blank line, five unreadable records, a duplicate, a conflict, roles
    /// outside the usual ones, content parts, escapes and CJK text.
    const SAMPLE: &str = concat!(
        "\u{feff}",
        r#"{"input": {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]}, "preferred_output": [{"role": "assistant", "content": "Paris."}], "non_preferred_output": [{"role": "assistant", "content": "Lyon."}]}"#,
        "\n",
        r#"{"input": {"messages": [{"role": "user", "content": "2 + 2?"}], "tools": [{"type": "function", "function": {"name": "calc"}}]}, "preferred_output": [{"role": "assistant", "content": "4"}], "non_preferred_output": [{"role": "assistant", "content": "5 or so"}]}"#,
        "\r\n",
        "   \n",
        "not json\n",
        "[1, 2]\n",
        r#"{"input": {"messages": []}, "preferred_output": [], "non_preferred_output": []}"#,
        "\n",
        // Line 1 again, keys reordered and spaced differently: a duplicate.
        r#"{"non_preferred_output":[{"content":"Lyon.","role":"assistant"}],"preferred_output":[{"role":"assistant","content":"Paris."}],"input":{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Capital of France?"}]}}"#,
        "\n",
        // Line 1 with the answers swapped: a conflict.
        r#"{"input": {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]}, "preferred_output": [{"role": "assistant", "content": "Lyon."}], "non_preferred_output": [{"role": "assistant", "content": "Paris."}]}"#,
        "\n",
        r#"{"input": {"messages": [{"role": "User", "content": "日本語 \u00e9"}]}, "preferred_output": [{"role": "assistant", "content": [{"type": "text", "text": "ok"}, {"type": "image_url"}]}], "non_preferred_output": [{"role": "gpt", "content": "o\u006b"}]}"#,
        "\n",
        r#"{"input": {"messages": [{"role": "user", "content": null}]}, "preferred_output": [{"role": "assistant", "content": "a"}], "non_preferred_output": [{"role": "assistant", "content": "b"}]}"#,
        "\n",
    );

    /// SAMPLE with a line of invalid UTF-8 at the end, without a final newline.
    fn sample() -> Vec<u8> {
        let mut bytes = SAMPLE.as_bytes().to_vec();
        bytes.extend_from_slice(b"{\"a\": \"\xff\"}");
        bytes
    }

    fn collect(bytes: &[u8], threads: usize, chunk_size: usize) -> Stats {
        let dataset = Dataset {
            display: "sample.jsonl".into(),
            shards: vec![Shard::Bytes { display: "sample.jsonl".into(), bytes }],
            layout_problems: Vec::new(),
        };
        Collector::new(threads).unwrap().with_chunk_size(chunk_size).collect(dataset).unwrap()
    }

    #[test]
    fn counts_examples_roles_shares_and_duplicates_exactly() {
        let stats = collect(&sample(), 1, 1 << 20);
        assert_eq!((stats.files, stats.lines, stats.examples), (1, 11, 10));
        assert_eq!((stats.readable, stats.unreadable), (5, 5));
        assert_eq!(stats.system_message, Share { count: 3, share: Some(0.6) });
        assert_eq!(stats.tools, ToolStats { examples: 1, share: Some(0.2), definitions: 1 });
        assert_eq!(stats.roles.input, RoleCounts { system: 3, user: 4, assistant: 0, tool: 0, other: 1 });
        assert_eq!(stats.roles.output, RoleCounts { system: 0, user: 0, assistant: 9, tool: 0, other: 1 });
        assert_eq!(stats.duplicates, Duplicates { duplicate_examples: 1, conflicting_preferences: 1 });
    }

    #[test]
    fn length_distributions_are_exact_on_small_lengths() {
        let stats = collect(&sample(), 1, 1 << 20);
        // Prompts: 27, 6, 27, 27 and "日本語 é" (5 characters: 3 CJK, a space, é).
        let prompt = &stats.lengths.prompt.chars;
        assert_eq!((prompt.count, prompt.min, prompt.max, prompt.total), (5, Some(5), Some(27), 92));
        assert_eq!((prompt.p50, prompt.p90, prompt.p99), (Some(27), Some(27), Some(27)));
        assert_eq!(prompt.mean, Some(18.4));
        // Tokens, in eighths: 25 letters and blanks and 2 marks, 2 * 25 + 3 * 2 = 56 -> 7; "2 + 2?"
        // 4 + 2 + 3 + 2 + 4 + 3 = 18 -> 3; three CJK, a blank and é, 3 * 8 + 2 + 8 = 34 -> 5.
        let tokens = &stats.lengths.prompt.tokens;
        assert_eq!((tokens.min, tokens.p50, tokens.max, tokens.total), (Some(3), Some(7), Some(7), 29));
        assert_eq!(estimate_tokens("Be brief.Capital of France?"), 7);
        assert_eq!(estimate_tokens("2 + 2?"), 3);
        assert_eq!(estimate_tokens("日本語 é"), 5);
        // Preferred: 6, 1, 6, 5 and the text part "ok" (2); non-preferred: 5, 7, 5, 6, 2.
        let preferred = &stats.lengths.preferred.chars;
        assert_eq!((preferred.min, preferred.p50, preferred.p90, preferred.max), (Some(1), Some(5), Some(6), Some(6)));
        let non_preferred = &stats.lengths.non_preferred.chars;
        assert_eq!((non_preferred.min, non_preferred.p50, non_preferred.max), (Some(2), Some(5), Some(7)));
        assert_eq!(non_preferred.total, 25);
        let bins: u64 = prompt.histogram.iter().map(|bin| bin.count).sum();
        assert_eq!(bins, 5);
        assert_eq!(prompt.histogram.first().map(|bin| bin.from), Some(5));
        assert_eq!(prompt.histogram.last().map(|bin| bin.to), Some(27));
    }

    #[test]
    fn length_bias_compares_pairs() {
        let stats = collect(&sample(), 1, 1 << 20);
        let bias = stats.length_bias;
        assert_eq!((bias.pairs, bias.preferred_longer, bias.non_preferred_longer, bias.equal), (5, 2, 2, 1));
        assert_eq!(bias.preferred_longer_share, Some(0.4));
        // (7/6 * 2/8 * 7/6 * 6/7 * 3/3) ^ (1/5)
        let expected = (7.0_f64 / 24.0).powf(0.2);
        assert!((bias.mean_length_ratio.unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn duplicate_counts_equal_checks_findings() {
        let bytes = sample();
        let report =
            Validator::new(Options::default().with_threads(1)).unwrap().check_bytes("sample.jsonl", &bytes).unwrap();
        let count = |code: &str| report.diagnostics.iter().filter(|d| d.rule.code() == code).count() as u64;
        let stats = collect(&bytes, 1, 1 << 20);
        assert_eq!(stats.duplicates.duplicate_examples, count("DPO403"));
        assert_eq!(stats.duplicates.conflicting_preferences, count("DPO404"));
        assert_eq!(stats.examples, report.datasets[0].examples);
        assert_eq!(stats.lines, report.datasets[0].lines);
    }

    /// Many records of varied lengths, with repeats, swaps and broken lines among them.
    fn generated(records: usize) -> String {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let words = ["alpha", "β-test", "数据", "emoji 🚀", "line\\nbreak", "\\u00e9t\\u00e9", "\\\"quoted\\\""];
        let mut text = |count: u64| -> String {
            (0..count).map(|_| words[(next() % words.len() as u64) as usize]).collect::<Vec<_>>().join(" ")
        };
        let mut lines = Vec::new();
        let mut state2 = 7u64;
        for index in 0..records {
            state2 = state2.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let (prompt, good, bad) =
                (text(1 + state2 % 40), text(1 + (state2 >> 8) % 200), text(1 + (state2 >> 20) % 90));
            let system = if index % 3 == 0 { r#"{"role": "system", "content": "Be kind."}, "# } else { "" };
            lines.push(format!(
                r#"{{"input": {{"messages": [{system}{{"role": "user", "content": "{prompt}"}}]}}, "preferred_output": [{{"role": "assistant", "content": "{good}"}}], "non_preferred_output": [{{"role": "assistant", "content": "{bad}"}}]}}"#
            ));
            match index % 97 {
                5 => lines.push(lines[lines.len() - 1].clone()),
                11 => lines.push(
                    lines[lines.len() - 1]
                        .replace("preferred_output", "x")
                        .replace("non_x", "preferred_output")
                        .replace("\"x\"", "\"non_preferred_output\""),
                ),
                13 => lines.push("{broken".into()),
                _ => {}
            }
        }
        lines.join("\n") + "\n"
    }

    #[test]
    fn the_same_numbers_for_any_thread_count_and_chunk_size() {
        let data = generated(1_200);
        let reference = collect(data.as_bytes(), 1, 1 << 20);
        assert!(reference.duplicates.duplicate_examples > 0 && reference.duplicates.conflicting_preferences > 0);
        assert!(reference.unreadable > 0);
        for (threads, chunk_size) in [(1, 1), (2, 700), (3, 4096), (4, 1), (8, 65_536)] {
            let stats = collect(data.as_bytes(), threads, chunk_size);
            assert_eq!(stats, reference, "{threads} threads, {chunk_size}-byte chunks");
            assert_eq!(stats.to_json(), reference.to_json());
            assert_eq!(stats.to_table(100), reference.to_table(100));
        }
        let sample = sample();
        let reference = collect(&sample, 1, 1 << 20);
        for threads in [2, 4] {
            for chunk_size in [1, 13, 200] {
                assert_eq!(collect(&sample, threads, chunk_size), reference);
            }
        }
    }

    #[test]
    fn percentiles_are_within_the_bound_of_exact_ones() {
        let data = generated(3_000);
        let stats = collect(data.as_bytes(), 2, 10_000);
        // The exact lengths, from serde_json's decoding of every readable record.
        let mut lengths: [Vec<u64>; 3] = Default::default();
        for line in data.lines() {
            let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let text = |value: &serde_json::Value| value["content"].as_str().unwrap().chars().count() as u64;
            lengths[0].push(record["input"]["messages"].as_array().unwrap().iter().map(text).sum());
            lengths[1].push(text(&record["preferred_output"][0]));
            lengths[2].push(text(&record["non_preferred_output"][0]));
        }
        let distributions =
            [&stats.lengths.prompt.chars, &stats.lengths.preferred.chars, &stats.lengths.non_preferred.chars];
        for (exact, distribution) in lengths.iter_mut().zip(distributions) {
            exact.sort_unstable();
            assert_eq!(distribution.count, exact.len() as u64);
            assert_eq!(distribution.total, exact.iter().sum::<u64>());
            assert_eq!((distribution.min, distribution.max), (exact.first().copied(), exact.last().copied()));
            for (percent, value) in [(50, distribution.p50), (90, distribution.p90), (99, distribution.p99)] {
                let truth = exact[(exact.len() * percent).div_ceil(100) - 1] as f64;
                let value = value.unwrap() as f64;
                assert!(
                    (value - truth).abs() <= truth * stats.percentile_relative_error,
                    "p{percent}: {value} vs {truth}"
                );
            }
        }
    }

    #[test]
    fn files_directories_streams_and_bytes_agree() {
        let data = generated(500);
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("all.jsonl");
        std::fs::write(&file, &data).unwrap();
        let from_file = collect_stats(&file, 2).unwrap();
        let from_bytes = collect_stats_bytes(&file.display().to_string(), data.as_bytes(), 3).unwrap();
        let from_reader = collect_stats_reader(&file.display().to_string(), data.as_bytes(), 1).unwrap();
        assert_eq!(from_file, from_bytes);
        assert_eq!(from_file, from_reader);

        // The same lines in two shards, plus an entry that is not a shard.
        let shards = tempfile::tempdir().unwrap();
        let lines: Vec<&str> = data.lines().collect();
        let (first, second) = lines.split_at(lines.len() / 2);
        std::fs::write(shards.path().join("a.jsonl"), first.join("\n") + "\n").unwrap();
        std::fs::write(shards.path().join("b.jsonl"), second.join("\n") + "\n").unwrap();
        std::fs::write(shards.path().join("notes.txt"), "not a shard").unwrap();
        let from_shards = collect_stats(shards.path(), 2).unwrap();
        assert_eq!((from_shards.files, from_shards.skipped_entries), (2, 1));
        assert_eq!(from_shards.lengths, from_file.lengths);
        assert_eq!(from_shards.duplicates, from_file.duplicates);
        assert_eq!((from_shards.examples, from_shards.unreadable), (from_file.examples, from_file.unreadable));
    }

    #[test]
    fn missing_paths_fail_with_the_path() {
        let error = collect_stats(Path::new("/no/such/dataset.jsonl"), 1).unwrap_err();
        assert!(matches!(error, Error::Io { .. }));
        assert!(error.to_string().contains("/no/such/dataset.jsonl"));
    }

    #[test]
    fn empty_and_unreadable_datasets_have_null_numbers() {
        for data in ["", "\n\n", "nope\n{\"input\": 1}\n"] {
            let stats = collect(data.as_bytes(), 2, 3);
            assert_eq!(stats.readable, 0);
            assert_eq!(stats.lengths.prompt.chars.p50, None);
            assert_eq!(stats.length_bias.mean_length_ratio, None);
            assert_eq!(stats.system_message.share, None);
            let json: serde_json::Value = serde_json::from_str(&stats.to_json()).unwrap();
            assert!(json["lengths"]["preferred"]["tokens"]["p99"].is_null());
            assert!(stats.to_table(80).contains("no readable pairs"));
        }
    }

    #[test]
    fn json_keys_are_stable() {
        let stats = collect(&sample(), 1, 1 << 20);
        let json: serde_json::Value = serde_json::from_str(&stats.to_json()).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = vec![
            "version",
            "path",
            "files",
            "skipped_entries",
            "lines",
            "examples",
            "readable",
            "unreadable",
            "system_message",
            "tools",
            "roles",
            "lengths",
            "length_bias",
            "duplicates",
            "percentile_relative_error",
            "token_estimator",
        ];
        expected.sort_unstable();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected);
        assert_eq!(json["version"], 1);
        assert_eq!(json["duplicates"]["conflicting_preferences"], 1);
        assert_eq!(json["lengths"]["non_preferred"]["chars"]["p50"], 5);
        assert_eq!(json["length_bias"]["preferred_longer_share"], 0.4);
        assert_eq!(json["roles"]["output"]["other"], 1);
        let distribution = json["lengths"]["prompt"]["tokens"].as_object().unwrap();
        let mut keys: Vec<&str> = distribution.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["count", "histogram", "max", "mean", "min", "p50", "p90", "p99", "total"]);
    }

    #[test]
    fn the_table_shows_every_section_and_fits_its_width() {
        let stats = collect(generated(300).as_bytes(), 1, 1 << 20);
        for width in [40, 80, 100, 160] {
            let table = stats.to_table(width);
            for needle in
                ["examples", "unreadable", "system message", "prompt tokens~", "length bias", "DPO404", "log scale"]
            {
                assert!(table.contains(needle), "{needle} missing at width {width}:\n{table}");
            }
            // Everything fits 80 columns (but the dataset's name); histograms fit narrower ones too.
            let histograms = table.find("histograms").unwrap();
            for line in table[..histograms].lines().skip(1) {
                assert!(line.chars().count() <= 80, "too wide: {line:?}");
            }
            for line in table[histograms..].lines() {
                assert!(line.chars().count() <= width, "too wide at {width}: {line:?}");
            }
        }
    }
}
