//! The human report of `dpolint stats`: aligned counts, a table of the length distributions, and
//! a small block-character histogram per length distribution.

use std::fmt::Write;

use super::{Distribution, HistogramBin, RoleCounts, Stats};
use crate::rules::record::thousands as grouped;

/// Rows of a histogram; each row has eight heights (the block characters), so 32 levels.
const HISTOGRAM_ROWS: usize = 4;
const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Width of the label column; with the columns of the lengths table, rows fit 80 columns.
const LABEL: usize = 18;

pub(super) fn render(stats: &Stats, width: usize) -> String {
    let width = width.max(40);
    let mut out = String::new();
    // Writing to a `String` cannot fail.
    let _ = write_report(&mut out, stats, width);
    out
}

fn write_report(out: &mut String, stats: &Stats, width: usize) -> std::fmt::Result {
    let files = if stats.files == 1 { "1 file".to_string() } else { format!("{} files", grouped(stats.files)) };
    let skipped = match stats.skipped_entries {
        0 => String::new(),
        n => format!(", {} other entr{} not read", grouped(n), if n == 1 { "y" } else { "ies" }),
    };
    writeln!(out, "{:LABEL$}{} ({files}{skipped})", "dataset", stats.path)?;
    writeln!(out, "{:LABEL$}{} in {} lines", "examples", grouped(stats.examples), grouped(stats.lines))?;
    if stats.unreadable > 0 {
        writeln!(
            out,
            "{:LABEL$}{} ({}), left out below: `dpolint check` says why",
            "unreadable",
            grouped(stats.unreadable),
            percent(stats.unreadable, stats.examples),
        )?;
    } else {
        writeln!(out, "{:LABEL$}0", "unreadable")?;
    }
    writeln!(
        out,
        "{:LABEL$}{} ({} of readable examples)",
        "system message",
        grouped(stats.system_message.count),
        percent(stats.system_message.count, stats.readable)
    )?;
    writeln!(
        out,
        "{:LABEL$}{} examples ({}), {} definitions",
        "tools",
        grouped(stats.tools.examples),
        percent(stats.tools.examples, stats.readable),
        grouped(stats.tools.definitions)
    )?;
    writeln!(out, "{:LABEL$}{}", "input roles", roles(&stats.roles.input))?;
    writeln!(out, "{:LABEL$}{}", "output roles", roles(&stats.roles.output))?;

    writeln!(out)?;
    writeln!(
        out,
        "{:LABEL$}{:>8}{:>8}{:>8}{:>8}{:>10}{:>9}{:>9}",
        "lengths", "min", "p50", "p90", "p99", "max", "mean", "total"
    )?;
    let lengths = &stats.lengths;
    for (name, length) in
        [("prompt", &lengths.prompt), ("preferred", &lengths.preferred), ("non-pref.", &lengths.non_preferred)]
    {
        distribution_row(out, &format!("{name} chars"), &length.chars)?;
        distribution_row(out, &format!("{name} tokens~"), &length.tokens)?;
    }
    writeln!(out, "{:LABEL$}p50/p90/p99 within {:.1}% (exact below 32)", "", stats.percentile_relative_error * 100.0)?;
    writeln!(out, "{:LABEL$}tokens~: estimates, 4 ASCII characters a token, CJK/emoji 1", "")?;

    writeln!(out)?;
    let bias = &stats.length_bias;
    if let Some(ratio) = bias.mean_length_ratio {
        writeln!(
            out,
            "{:LABEL$}preferred longer {}, shorter {}, equal {} of pairs",
            "length bias",
            percent(bias.preferred_longer, bias.pairs),
            percent(bias.non_preferred_longer, bias.pairs),
            percent(bias.equal, bias.pairs)
        )?;
        writeln!(out, "{:LABEL$}mean length ratio {ratio:.2} (geometric: preferred / non-preferred)", "")?;
        let longer = bias.preferred_longer as f64 / bias.pairs as f64;
        let shorter = bias.non_preferred_longer as f64 / bias.pairs as f64;
        // DPO learns whatever separates the answers; a 60/40 split is already a strong signal.
        if longer >= 0.6 || shorter >= 0.6 {
            let side = if longer >= 0.6 { "longer" } else { "shorter" };
            writeln!(out, "{:LABEL$}note: DPO learns this; expect {side} answers after training", "")?;
        }
    } else {
        writeln!(out, "{:LABEL$}no readable pairs", "length bias")?;
    }
    writeln!(out, "{:LABEL$}{} (DPO403)", "duplicates", grouped(stats.duplicates.duplicate_examples))?;
    writeln!(
        out,
        "{:LABEL$}{} (DPO404: the same pair preferred both ways)",
        "conflicts",
        grouped(stats.duplicates.conflicting_preferences)
    )?;

    let panels = [
        ("prompt", &lengths.prompt.chars),
        ("preferred", &lengths.preferred.chars),
        ("non-preferred", &lengths.non_preferred.chars),
    ];
    if panels.iter().any(|(_, distribution)| !distribution.histogram.is_empty()) {
        writeln!(out)?;
        write_histograms(out, &panels, width)?;
    }
    Ok(())
}

fn roles(counts: &RoleCounts) -> String {
    let parts: Vec<String> = [
        ("system", counts.system),
        ("user", counts.user),
        ("assistant", counts.assistant),
        ("tool", counts.tool),
        ("other", counts.other),
    ]
    .iter()
    .filter(|(_, count)| *count > 0)
    .map(|(name, count)| format!("{name} {}", grouped(*count)))
    .collect();
    if parts.is_empty() { "-".to_string() } else { parts.join(", ") }
}

fn distribution_row(out: &mut String, name: &str, distribution: &Distribution) -> std::fmt::Result {
    let cell = |value: Option<u64>| value.map_or_else(|| "-".to_string(), grouped);
    let mean = distribution.mean.map_or_else(|| "-".to_string(), |mean| format!("{mean:.1}"));
    let total = if distribution.count == 0 { "-".to_string() } else { compact(distribution.total) };
    writeln!(
        out,
        "{name:LABEL$}{:>8}{:>8}{:>8}{:>8}{:>10}{mean:>9}{total:>9}",
        cell(distribution.min),
        cell(distribution.p50),
        cell(distribution.p90),
        cell(distribution.p99),
        cell(distribution.max),
    )
}

/// Draws the histograms side by side when they fit, else one under the other.
fn write_histograms(out: &mut String, panels: &[(&str, &Distribution)], width: usize) -> std::fmt::Result {
    const GAP: usize = 3;
    let bins = panels.iter().map(|(_, distribution)| distribution.histogram.len()).max().unwrap_or(1).max(1);
    let side_by_side = width >= panels.len() * (bins + 2) + (panels.len() - 1) * GAP;
    let groups: Vec<&[(&str, &Distribution)]> = if side_by_side { vec![panels] } else { panels.chunks(1).collect() };
    let panel_width = if side_by_side { (width - (panels.len() - 1) * GAP) / panels.len() } else { width };
    // Each bin is the same number of columns wide: two when there is room, else one.
    let bin_width = if panel_width >= 2 * bins + 2 { 2 } else { 1 };
    let panel_width = panel_width.min(2 * bins + 2).max(bins * bin_width);
    writeln!(out, "histograms: characters, log scale")?;
    for (index, group) in groups.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        let drawn: Vec<Vec<String>> =
            group.iter().map(|(name, distribution)| panel(name, distribution, bin_width, panel_width)).collect();
        let height = drawn.iter().map(Vec::len).max().unwrap_or(0);
        for row in 0..height {
            let mut line = String::new();
            for (column, lines) in drawn.iter().enumerate() {
                if column > 0 {
                    line.push_str(&" ".repeat(GAP));
                }
                let text = lines.get(row).map_or("", String::as_str);
                line.push_str(text);
                line.push_str(&" ".repeat(panel_width.saturating_sub(text.chars().count())));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    Ok(())
}

/// One histogram: a title, the bars, and an axis line with the shortest, middle and longest
/// lengths. Every line is at most `panel_width` characters.
fn panel(name: &str, distribution: &Distribution, bin_width: usize, panel_width: usize) -> Vec<String> {
    let bins: &[HistogramBin] = &distribution.histogram;
    let mut lines = vec![clip(name, panel_width)];
    if bins.is_empty() {
        lines.push("(no readable examples)".to_string());
        return lines;
    }
    let tallest = bins.iter().map(|bin| bin.count).max().unwrap_or(1).max(1);
    let levels = HISTOGRAM_ROWS * 8;
    let heights: Vec<usize> = bins
        .iter()
        .map(|bin| {
            let scaled = (u128::from(bin.count) * levels as u128).div_ceil(u128::from(tallest));
            // A non-empty bin always shows (div_ceil makes it at least 1).
            scaled as usize
        })
        .collect();
    for row in (0..HISTOGRAM_ROWS).rev() {
        let mut line = String::new();
        for &height in &heights {
            let level = height.saturating_sub(row * 8).min(8);
            for _ in 0..bin_width {
                line.push(BLOCKS[level]);
            }
        }
        lines.push(line);
    }
    let drawn = bins.len() * bin_width;
    let first = bins.first().map_or(0, |bin| bin.from);
    let last = bins.last().map_or(0, |bin| bin.to);
    lines.push(axis(&compact(first), &compact(bins[bins.len() / 2].from), &compact(last), drawn));
    lines
}

/// `left`, `middle` and `right` spread over `width` columns (the middle one dropped when it does
/// not fit).
fn axis(left: &str, middle: &str, right: &str, width: usize) -> String {
    let used = left.len() + right.len();
    if used + 1 > width {
        return clip(&format!("{left}..{right}"), width.max(left.len()));
    }
    let middle_start = (width / 2).saturating_sub(middle.len() / 2);
    if middle_start > left.len() && middle_start + middle.len() < width - right.len() {
        let gap_left = middle_start - left.len();
        let gap_right = width - right.len() - middle_start - middle.len();
        return format!("{left}{}{middle}{}{right}", " ".repeat(gap_left), " ".repeat(gap_right));
    }
    format!("{left}{}{right}", " ".repeat(width - used))
}

fn clip(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// `12345` as `12k`, `1234567` as `1.2M`: axis labels.
fn compact(value: u64) -> String {
    // Three significant digits: 1.2k, 55.7M, 102M.
    let scaled = |divisor: f64, unit: &str| {
        let value = value as f64 / divisor;
        if (value * 10.0).round() < 1000.0 { format!("{value:.1}{unit}") } else { format!("{value:.0}{unit}") }
    };
    match value {
        0..1_000 => value.to_string(),
        1_000..1_000_000 => scaled(1e3, "k"),
        1_000_000..1_000_000_000 => scaled(1e6, "M"),
        _ => scaled(1e9, "G"),
    }
}

/// `part` over `whole` as a percentage with one decimal, or `-` when `whole` is 0.
fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "-".to_string() } else { format!("{:.1}%", part as f64 * 100.0 / whole as f64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_250), "1.2k");
        assert_eq!(compact(99_999), "100k");
        assert_eq!(compact(55_663_690), "55.7M");
        assert_eq!(compact(101_670_511), "102M");
        assert_eq!(compact(3_400_000), "3.4M");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "-");
    }

    #[test]
    fn axes_fit_their_width() {
        assert_eq!(axis("1", "50", "999", 20), "1        50      999");
        assert_eq!(axis("1", "50", "999", 6).chars().count(), 6);
        assert!(axis("100", "5k", "12k", 4).starts_with("100"));
    }
}
