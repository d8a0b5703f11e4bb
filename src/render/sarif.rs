//! `sarif`: one SARIF 2.1.0 log (OASIS, errata 01) for the whole run, for GitHub code scanning and
//! other SARIF viewers.
//!
//! One run whose driver lists every rule of the rule book (`ruleIndex` is the rule's place in
//! [`Rule::ALL`]), with its default level on the target (`none` and disabled when the rule is off
//! there). Each finding is a result with its level, its message and help, a physical location (the
//! file as given, as a relative URI reference; the region by line and column, which count Unicode
//! scalars as `columnKind` says, and by byte offset and length), related locations, and a partial
//! fingerprint that stays the same while the finding does. Dataset-level findings have a location
//! with the file and no region. Collected, sorted like the JSON document, written at the end;
//! the bytes depend only on the findings.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use twox_hash::XxHash3_128;

use super::{Render, RenderOptions};
use crate::diagnostic::Diagnostic;
use crate::rules::{Rule, Severity, Target};
use crate::validate::{DatasetSummary, Sink, Summary};

/// The published schema of SARIF 2.1.0 with its errata (what `$schema` names).
const SCHEMA_URI: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Where people learn about the tool (`tool.driver.informationUri`).
const INFORMATION_URI: &str = "https://github.com/dpolint/dpolint";

/// The 1-based column just past the span (SARIF's `endColumn`, GitHub's `endColumn`), when it is
/// known exactly: for an empty span, or from the finding's source line ([`Diagnostic::source`]) when
/// the span is drawn whole there. `None` when the source line was not kept (as for
/// `Options::with_source_lines(false)`) or the span was clipped for display.
pub(super) fn end_column(diagnostic: &Diagnostic) -> Option<u64> {
    const ELLIPSIS: &str = "…";
    let location = diagnostic.location?;
    if location.length == 0 {
        return Some(location.column);
    }
    let source = diagnostic.source.as_ref()?;
    let label = source.labels.first()?;
    if source.line != location.line {
        return None;
    }
    // The displayed text holds one character per character of the line (an invalid byte sequence
    // is one U+FFFD, as in columns), after a `…` when the window starts inside the line.
    let text = source.text.as_str();
    let window = if source.first_column > 1 { ELLIPSIS.len() } else { 0 };
    let label_end = label.start.checked_add(label.len)?;
    let before = text.get(window..label.start)?.chars().count() as u64;
    let span = text.get(label.start..label_end)?.chars().count() as u64;
    // A label that reaches the `…` closing a clipped window may go on past it; an empty label for a
    // non-empty span is a span outside the displayed line (a CR of a line ending).
    let clipped = text.get(label_end..) == Some(ELLIPSIS);
    if clipped || span == 0 || source.first_column + before != location.column {
        return None;
    }
    Some(location.column + span)
}

/// SARIF's level for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A file path as given, as a URI reference: `/` separates segments (also `\` on Windows), and
/// every byte outside RFC 3986's path characters is percent-encoded, `:` included, so that a
/// relative path never reads as a scheme. An absolute path becomes a `file:` URI (on Windows, a drive
/// path `file:///C:/...` and a UNC path `file://server/...`).
fn file_uri(path: &str) -> String {
    let path = if cfg!(windows) { path.replace('\\', "/") } else { path.to_owned() };
    let bytes = path.as_bytes();
    let mut uri = String::with_capacity(path.len() + 8);
    let rest = if cfg!(windows) && bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":/" {
        // `C:/data/x.jsonl` -> `file:///C:/data/x.jsonl`
        uri.push_str("file:///");
        uri.push_str(&path[..2]);
        &path[2..]
    } else if cfg!(windows) && path.starts_with("//") {
        // A UNC path `//server/share/x.jsonl` -> `file://server/share/x.jsonl`
        uri.push_str("file:");
        path.as_str()
    } else if path.starts_with('/') {
        uri.push_str("file://");
        path.as_str()
    } else {
        path.as_str()
    };
    for &byte in rest.as_bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&byte);
        if keep {
            uri.push(byte as char);
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri
}

/// A stable hash of what identifies a finding: code, file, offset (or none for a dataset-level
/// finding) and JSON Pointer (two findings of one rule can share a span, e.g. two missing keys of
/// one tool object). 32 hex digits.
fn fingerprint(diagnostic: &Diagnostic) -> String {
    let mut key = Vec::with_capacity(64 + diagnostic.file.len());
    key.extend_from_slice(diagnostic.rule.code().as_bytes());
    key.push(0);
    key.extend_from_slice(diagnostic.file.as_bytes());
    key.push(0);
    match diagnostic.location {
        Some(location) => key.extend_from_slice(location.offset.to_string().as_bytes()),
        None => key.extend_from_slice(b"dataset"),
    }
    key.push(0);
    if let Some(pointer) = &diagnostic.pointer {
        key.push(b'/');
        key.extend_from_slice(pointer.as_bytes());
    }
    format!("{:032x}", XxHash3_128::oneshot(&key))
}

/// The first paragraph of a rule page's "What it does" section, joined into one line.
fn what_it_does(docs: &str) -> Option<String> {
    let mut lines = docs.lines().skip_while(|line| line.trim_end() != "## What it does").skip(1);
    let paragraph: Vec<&str> = lines
        .by_ref()
        .skip_while(|line| line.trim().is_empty())
        .take_while(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(str::trim)
        .collect();
    (!paragraph.is_empty()).then(|| paragraph.join(" "))
}

#[derive(Serialize)]
struct Text<T> {
    text: T,
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<RuleDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text<&'static str>,
    full_description: Text<String>,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    level: &'static str,
}

impl RuleDescriptor {
    fn new(rule: Rule, target: Target) -> RuleDescriptor {
        let full = what_it_does(rule.docs()).unwrap_or_else(|| rule.summary().to_owned());
        let severity = rule.default_severity(target);
        RuleDescriptor {
            id: rule.code(),
            name: rule.name(),
            short_description: Text { text: rule.summary() },
            help: Help { text: format!("{full} See {}", rule.help_url()), markdown: rule.docs() },
            full_description: Text { text: full },
            help_uri: rule.help_url(),
            default_configuration: Configuration {
                enabled: severity.is_none().then_some(false),
                level: severity.map_or("none", level),
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text<String>,
    locations: [SarifLocation<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Properties<'a>>,
}

/// The one partial fingerprint of a result; its key's version changes if the recipe does.
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "dpolint/v1")]
    v1: String,
}

#[derive(Serialize)]
struct Properties<'a> {
    /// RFC 6901 JSON Pointer of the value inside the record.
    pointer: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<&'a str>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
    start_column: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u64>,
    byte_offset: u64,
    byte_length: u64,
}

impl PhysicalLocation {
    fn new(file: &str, location: Option<crate::diagnostic::Location>, end_column: Option<u64>) -> PhysicalLocation {
        PhysicalLocation {
            artifact_location: ArtifactLocation { uri: file_uri(file) },
            region: location.map(|location| Region {
                start_line: location.line,
                start_column: location.column,
                end_column,
                byte_offset: location.offset,
                byte_length: location.length,
            }),
        }
    }
}

/// A finding kept for the log, with what only its source line could tell.
struct Finding {
    diagnostic: Diagnostic,
    end_column: Option<u64>,
}

impl<'a> From<&'a Finding> for SarifResult<'a> {
    fn from(finding: &'a Finding) -> Self {
        let diagnostic = &finding.diagnostic;
        let mut message = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            message.push_str(" — ");
            message.push_str(help);
        }
        SarifResult {
            rule_id: diagnostic.rule.code(),
            rule_index: diagnostic.rule.index(),
            level: level(diagnostic.severity),
            message: Text { text: message },
            locations: [SarifLocation {
                id: None,
                physical_location: PhysicalLocation::new(&diagnostic.file, diagnostic.location, finding.end_column),
                message: None,
            }],
            related_locations: diagnostic
                .related
                .iter()
                .enumerate()
                .map(|(index, related)| SarifLocation {
                    id: Some(index + 1),
                    physical_location: PhysicalLocation::new(
                        related.file.as_deref().unwrap_or(&diagnostic.file),
                        Some(related.location),
                        (related.location.length == 0).then_some(related.location.column),
                    ),
                    message: Some(Text { text: &related.message }),
                })
                .collect(),
            partial_fingerprints: Fingerprints { v1: fingerprint(diagnostic) },
            properties: diagnostic.pointer.as_deref().map(|pointer| Properties { pointer }),
        }
    }
}

/// Writes the log of `findings` (already in output order) for `target`.
fn write_log(findings: &[Finding], target: Target, writer: &mut dyn Write) -> io::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "dpolint",
                    version,
                    semantic_version: version,
                    information_uri: INFORMATION_URI,
                    rules: Rule::ALL.iter().map(|&rule| RuleDescriptor::new(rule, target)).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results: findings.iter().map(SarifResult::from).collect(),
        }],
    };
    serde_json::to_writer_pretty(&mut *writer, &log)?;
    writeln!(writer)
}

/// Collects the run (sorted per dataset like [`crate::Report`]), then writes one log.
pub(super) struct SarifRenderer<'w> {
    writer: Box<dyn Write + 'w>,
    target: Target,
    findings: Vec<Finding>,
    dataset_start: usize,
}

impl<'w> SarifRenderer<'w> {
    pub(super) fn new(writer: Box<dyn Write + 'w>, options: &RenderOptions) -> Self {
        SarifRenderer { writer, target: options.target, findings: Vec::new(), dataset_start: 0 }
    }
}

impl Sink for SarifRenderer<'_> {
    fn start_dataset(&mut self, _: &str) -> io::Result<()> {
        self.dataset_start = self.findings.len();
        Ok(())
    }

    fn diagnostic(&mut self, mut diagnostic: Diagnostic) -> io::Result<()> {
        let end_column = end_column(&diagnostic);
        diagnostic.source = None;
        self.findings.push(Finding { diagnostic, end_column });
        Ok(())
    }

    fn finish_dataset(&mut self, _: &DatasetSummary) -> io::Result<()> {
        // Stable, like `Report`: DPO402 of a stream moves to the front of its dataset.
        self.findings[self.dataset_start..].sort_by_key(|finding| finding.diagnostic.order());
        Ok(())
    }
}

impl Render for SarifRenderer<'_> {
    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        write_log(&self.findings, self.target, &mut self.writer)?;
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Location, OrderKey, Related};
    use crate::validate::{Options, Validator};

    fn diagnostic(rule: Rule, severity: Severity, location: Option<Location>) -> Diagnostic {
        Diagnostic {
            rule,
            severity,
            message: "something is wrong".into(),
            help: Some("fix it".into()),
            file: "data/train.jsonl".into(),
            location,
            pointer: location.map(|_| "/input/messages/0/role".into()),
            related: Vec::new(),
            source: None,
            order: OrderKey::default(),
        }
    }

    fn render(diagnostics: Vec<Diagnostic>, target: Target) -> serde_json::Value {
        let mut out = Vec::new();
        {
            let mut renderer = SarifRenderer::new(Box::new(&mut out), &RenderOptions::new(target));
            renderer.start_dataset("data").unwrap();
            for diagnostic in diagnostics {
                renderer.diagnostic(diagnostic).unwrap();
            }
            renderer.finish_dataset(&DatasetSummary::default()).unwrap();
            renderer.finish(&Summary::default()).unwrap();
        }
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn levels_follow_severities() {
        assert_eq!(level(Severity::Error), "error");
        assert_eq!(level(Severity::Warning), "warning");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn driver_lists_every_rule_in_index_order_with_default_levels() {
        let log = render(Vec::new(), Target::Fireworks);
        assert_eq!(log["$schema"], SCHEMA_URI);
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        assert_eq!(run["results"], serde_json::json!([]));
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "dpolint");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), Rule::ALL.len());
        for (index, &rule) in Rule::ALL.iter().enumerate() {
            assert_eq!(rule.index(), index);
            assert_eq!(rules[index]["id"], rule.code());
            assert_eq!(rules[index]["name"], rule.name());
            assert_eq!(rules[index]["shortDescription"]["text"], rule.summary());
            assert_eq!(rules[index]["help"]["markdown"], rule.docs());
            assert_eq!(rules[index]["helpUri"], rule.help_url());
            let full = rules[index]["fullDescription"]["text"].as_str().unwrap();
            assert!(full.starts_with("Fires ") || full.starts_with("For a dataset"), "{full}");
            assert!(!full.contains('\n'));
        }
        let invalid_role = &rules[Rule::InvalidRole.index()]["defaultConfiguration"];
        assert_eq!(*invalid_role, serde_json::json!({"level": "error"}));
        assert_eq!(rules[Rule::BlankLine.index()]["defaultConfiguration"]["level"], "warning");
        assert_eq!(rules[Rule::CarriageReturn.index()]["defaultConfiguration"]["level"], "note");
        let off = &rules[Rule::ConsecutiveRoles.index()]["defaultConfiguration"];
        assert_eq!(*off, serde_json::json!({"enabled": false, "level": "none"}));
    }

    #[test]
    fn results_carry_level_message_region_related_and_fingerprint() {
        let mut duplicate = diagnostic(
            Rule::DuplicateExample,
            Severity::Warning,
            Some(Location { offset: 120, length: 0, line: 3, column: 1 }),
        );
        duplicate.pointer = Some(String::new());
        duplicate.related.push(Related {
            message: "first occurrence".into(),
            file: Some("data/other, shard.jsonl".into()),
            location: Location { offset: 0, length: 40, line: 1, column: 1 },
        });
        let log = render(vec![duplicate], Target::Fireworks);
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "DPO403");
        assert_eq!(result["ruleIndex"], Rule::DuplicateExample.index());
        assert_eq!(result["level"], "warning");
        assert_eq!(result["message"]["text"], "something is wrong — fix it");
        assert_eq!(
            result["locations"][0],
            serde_json::json!({"physicalLocation": {
                "artifactLocation": {"uri": "data/train.jsonl"},
                "region": {"startLine": 3, "startColumn": 1, "endColumn": 1, "byteOffset": 120, "byteLength": 0}
            }})
        );
        assert_eq!(
            result["relatedLocations"],
            serde_json::json!([{
                "id": 1,
                "physicalLocation": {
                    "artifactLocation": {"uri": "data/other,%20shard.jsonl"},
                    "region": {"startLine": 1, "startColumn": 1, "byteOffset": 0, "byteLength": 40}
                },
                "message": {"text": "first occurrence"}
            }])
        );
        assert_eq!(result["properties"], serde_json::json!({"pointer": ""}));
        let fingerprint = result["partialFingerprints"]["dpolint/v1"].as_str().unwrap();
        assert_eq!(fingerprint.len(), 32);
    }

    #[test]
    fn dataset_level_findings_have_a_file_and_no_region() {
        let mut too_few = diagnostic(Rule::TooFewExamples, Severity::Error, None);
        too_few.help = None;
        too_few.file = "shards".into();
        let log = render(vec![too_few], Target::Fireworks);
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["message"]["text"], "something is wrong");
        assert_eq!(
            result["locations"],
            serde_json::json!([{"physicalLocation": {"artifactLocation": {"uri": "shards"}}}])
        );
        assert!(result.get("relatedLocations").is_none());
        assert!(result.get("properties").is_none());
    }

    #[test]
    fn fingerprints_are_stable_and_tell_findings_apart() {
        let location = Location { offset: 40, length: 6, line: 2, column: 25 };
        let role = diagnostic(Rule::InvalidRole, Severity::Error, Some(location));
        // Pinned: GitHub code scanning matches alerts across runs by this value.
        assert_eq!(fingerprint(&role), "1ab9bbe258e9e7db6a29417506fd441a");
        let mut moved = role.clone();
        moved.location = Some(Location { offset: 41, ..location });
        let mut other_pointer = role.clone();
        other_pointer.pointer = Some("/input/messages/1/role".into());
        let mut other_file = role.clone();
        other_file.file = "data/test.jsonl".into();
        let dataset = diagnostic(Rule::InvalidRole, Severity::Error, None);
        let all = [&role, &moved, &other_pointer, &other_file, &dataset].map(fingerprint);
        let unique: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
        // The message and the severity are not part of it.
        let mut reworded = role.clone();
        reworded.message = "reworded".into();
        reworded.severity = Severity::Warning;
        assert_eq!(fingerprint(&reworded), fingerprint(&role));
    }

    #[test]
    fn file_paths_become_uri_references() {
        assert_eq!(file_uri("data/train.jsonl"), "data/train.jsonl");
        assert_eq!(file_uri("my data/ünï 100%.jsonl"), "my%20data/%C3%BCn%C3%AF%20100%25.jsonl");
        assert_eq!(file_uri("a:b/c#d?.jsonl"), "a%3Ab/c%23d%3F.jsonl");
        assert_eq!(file_uri("<stdin>"), "%3Cstdin%3E");
        if cfg!(windows) {
            assert_eq!(file_uri(r"C:\data\x.jsonl"), "file:///C:/data/x.jsonl");
            assert_eq!(file_uri(r"data\x.jsonl"), "data/x.jsonl");
            assert_eq!(file_uri(r"\\server\share\x.jsonl"), "file://server/share/x.jsonl");
        } else {
            assert_eq!(file_uri("/tmp/x y.jsonl"), "file:///tmp/x%20y.jsonl");
            assert_eq!(file_uri(r"data\x.jsonl"), "data%5Cx.jsonl");
            assert_eq!(file_uri("//tmp/x.jsonl"), "file:////tmp/x.jsonl");
        }
    }

    #[test]
    fn first_paragraph_of_what_it_does() {
        let docs = "# X\n\n## What it does\nFires when\na thing.\n\nMore.\n\n## Why it matters\nBecause.\n";
        assert_eq!(what_it_does(docs).as_deref(), Some("Fires when a thing."));
        assert_eq!(what_it_does(&docs.replace('\n', "\r\n")).as_deref(), Some("Fires when a thing."));
        assert_eq!(what_it_does("# X\n"), None);
    }

    #[test]
    fn end_columns_come_from_source_lines_when_the_span_is_whole() {
        let long = "x".repeat(300);
        let data = format!(
            concat!(
                "{{\"input\": {{\"messages\": [{{\"role\": \"Üser\", \"content\": \"Grüße {}\"}}]}}, ",
                "\"preferred_output\": [{{\"role\": \"assistant\", \"content\": \"A\"}}], ",
                "\"non_preferred_output\": [{{\"role\": \"assistant\", \"content\": \"B\"}}]}}\r\n\n"
            ),
            long
        );
        let validator = Validator::new(Options::default().with_threads(1)).unwrap();
        let report = validator.check_bytes("x.jsonl", data.as_bytes()).unwrap();
        let find = |rule: Rule| report.diagnostics.iter().find(|d| d.rule == rule).unwrap();
        // `"Üser"`: 6 characters in 7 bytes.
        let role = find(Rule::InvalidRole);
        assert_eq!(end_column(role), Some(role.location.unwrap().column + 6));
        // The CR of a CRLF is shown (as a symbol) at the end of the line.
        let carriage_return = find(Rule::CarriageReturn);
        assert_eq!(end_column(carriage_return), Some(carriage_return.location.unwrap().column + 1));
        // An empty blank line: the end is the start.
        let blank = find(Rule::BlankLine);
        assert_eq!(end_column(blank), Some(blank.location.unwrap().column));
        // A whole-record span longer than the display window is clipped: unknown.
        let twice = format!("{}{}", data.lines().next().unwrap(), "\n").repeat(2);
        let report = validator.check_bytes("y.jsonl", twice.as_bytes()).unwrap();
        let duplicate = report.diagnostics.iter().find(|d| d.rule == Rule::DuplicateExample).unwrap();
        assert_eq!(end_column(duplicate), None);
        // Without source lines nothing is derived but empty spans.
        let mut bare = role.clone();
        bare.source = None;
        assert_eq!(end_column(&bare), None);
    }
}
