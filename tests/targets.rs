//! The provider targets: the same records under fireworks, openai and together, against the rule
//! book's columns and the providers' published limits.

use dpolint::{Options, Report, Severity, Target, Validator};

use crate::common::{essentials, record};

fn check(target: Target, data: &str) -> Report {
    Validator::new(Options::new(target).with_threads(2)).unwrap().check_bytes("input.jsonl", data.as_bytes()).unwrap()
}

/// `count` distinct valid records, one per line.
fn records(count: usize) -> String {
    (1..=count).map(|i| record(i) + "\n").collect()
}

fn codes(report: &Report) -> Vec<String> {
    report.diagnostics.iter().map(|d| format!("{} {}", d.rule.code(), d.severity)).collect()
}

#[test]
fn example_minimums_are_three_ten_and_one() {
    for (target, minimum) in [(Target::Fireworks, 3), (Target::OpenAi, 10), (Target::Together, 1)] {
        let short = check(target, &records(minimum - 1));
        let enough = check(target, &records(minimum));
        if minimum > 1 {
            assert_eq!(codes(&short), ["DPO401 error"], "{target}");
            assert!(short.diagnostics[0].message.contains(&format!("needs at least {minimum}")), "{target}");
        } else {
            assert_eq!(codes(&short), ["DPO401 error"], "{target}: an empty dataset");
        }
        assert!(enough.diagnostics.is_empty(), "{target}: {:?}", essentials(&enough.diagnostics));
    }
}

#[test]
fn unknown_keys_are_errors_on_openai_and_together() {
    let data = records(10) + &record(11).replacen("{\"input\"", "{\"id\": 7, \"input\"", 1) + "\n";
    assert_eq!(codes(&check(Target::Fireworks, &data)), ["DPO103 warning"]);
    assert_eq!(codes(&check(Target::OpenAi, &data)), ["DPO103 error"]);
    assert_eq!(codes(&check(Target::Together, &data)), ["DPO103 error"]);
}

#[test]
fn content_parts_are_info_where_providers_accept_them_and_their_parts_are_checked() {
    let parts = record(11).replace(
        "\"content\": \"Question 11?\"",
        "\"content\": [{\"type\": \"text\", \"text\": \"What is in the picture?\"}, {\"type\": \"image_url\", \"image_url\": {\"url\": \"https://example.com/cat.png\", \"detail\": \"low\"}}]",
    );
    let data = records(10) + &parts + "\n";
    assert_eq!(codes(&check(Target::Fireworks, &data)), ["DPO108 error"]);
    assert_eq!(codes(&check(Target::OpenAi, &data)), ["DPO108 info"]);
    assert_eq!(codes(&check(Target::Together, &data)), ["DPO108 info"]);

    // An image in an answer, an audio part, and an image without a URL: DPO111 on every target.
    let broken = record(12)
        .replace(
            "\"content\": \"Question 12?\"",
            "\"content\": [{\"type\": \"input_audio\", \"input_audio\": {}}, {\"type\": \"image_url\", \"image_url\": {}}]",
        )
        .replace(
            "\"content\": \"Good answer 12.\"",
            "\"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://example.com/a.png\"}}]",
        );
    let report = check(Target::OpenAi, &(records(10) + &broken + "\n"));
    let found: Vec<(String, String)> =
        report.diagnostics.iter().map(|d| (d.rule.code().to_string(), d.pointer.clone().unwrap_or_default())).collect();
    assert_eq!(
        found,
        [
            ("DPO108".into(), "/input/messages/0/content".into()),
            ("DPO111".into(), "/input/messages/0/content/0/type".into()),
            ("DPO111".into(), "/input/messages/0/content/1/image_url/url".into()),
            ("DPO108".into(), "/preferred_output/0/content".into()),
            ("DPO111".into(), "/preferred_output/0/content/0".into()),
        ]
    );
    assert!(report.diagnostics.iter().filter(|d| d.rule.code() == "DPO111").all(|d| d.severity == Severity::Error));
}

#[test]
fn openai_reads_developer_messages_and_parallel_tool_calls() {
    let developer = record(11).replace(
        "[{\"role\": \"user\", \"content\": \"Question 11?\"}]",
        "[{\"role\": \"developer\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Question 11?\"}], \"tools\": [], \"parallel_tool_calls\": false",
    );
    let data = records(10) + &developer + "\n";
    assert!(check(Target::OpenAi, &data).diagnostics.is_empty());
    let fireworks = check(Target::Fireworks, &data);
    assert_eq!(codes(&fireworks), ["DPO104 error", "DPO103 warning"]);
    assert!(fireworks.diagnostics[0].help.as_deref().unwrap().contains("use `\"system\"`"));

    // A developer message is the system message: only one, and only first.
    let twice = record(12).replace(
        "[{\"role\": \"user\", \"content\": \"Question 12?\"}]",
        "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"developer\", \"content\": \"Be kind.\"}, {\"role\": \"user\", \"content\": \"Question 12?\"}], \"parallel_tool_calls\": \"yes\"",
    );
    let report = check(Target::OpenAi, &(records(10) + &twice + "\n"));
    assert_eq!(codes(&report), ["DPO203 error", "DPO102 error"]);
    assert!(report.diagnostics[0].message.contains("a second developer message"));
}

#[test]
fn special_tokens_are_errors_on_openai_only() {
    let data = records(10) + &record(11).replace("Question 11?", "<|im_start|>user Question 11?") + "\n";
    assert_eq!(codes(&check(Target::Fireworks, &data)), ["DPO303 warning"]);
    assert_eq!(codes(&check(Target::OpenAi, &data)), ["DPO303 error"]);
    assert_eq!(codes(&check(Target::Together, &data)), ["DPO303 warning"]);
}

#[test]
fn together_takes_alternating_multi_turn_prompts() {
    let turns = |roles: &[&str]| {
        let messages: Vec<String> = roles
            .iter()
            .enumerate()
            .map(|(i, role)| format!("{{\"role\": \"{role}\", \"content\": \"turn {i}\"}}"))
            .collect();
        record(20)
            .replace("[{\"role\": \"user\", \"content\": \"Question 20?\"}]", &format!("[{}]", messages.join(", ")))
    };
    let alternating = turns(&["system", "user", "assistant", "user"]) + "\n";
    assert!(check(Target::Together, &alternating).diagnostics.is_empty());
    assert_eq!(codes(&check(Target::Fireworks, &(records(3) + &alternating))), ["DPO201 error"]);
    assert_eq!(codes(&check(Target::OpenAi, &(records(10) + &alternating))), ["DPO201 error"]);

    let repeated = turns(&["user", "user", "assistant", "user"]) + "\n";
    let report = check(Target::Together, &repeated);
    assert_eq!(codes(&report), ["DPO204 error"]);
    assert_eq!(report.diagnostics[0].pointer.as_deref(), Some("/input/messages/1"));
    let ends_with_assistant = turns(&["user", "assistant"]) + "\n";
    assert_eq!(codes(&check(Target::Together, &ends_with_assistant)), ["DPO202 error"]);
}

#[test]
fn blank_lines_are_errors_on_together() {
    let data = records(2) + "\n" + &record(3) + "\n";
    assert_eq!(codes(&check(Target::Fireworks, &data)), ["DPO005 warning"]);
    assert_eq!(codes(&check(Target::OpenAi, &data)), ["DPO401 error", "DPO005 warning"]);
    assert_eq!(codes(&check(Target::Together, &data)), ["DPO005 error"]);
}

#[test]
fn too_long_uses_each_targets_budget() {
    // About 40,000 estimated tokens: over Fireworks' and Together's 32,768, under OpenAI's 65,536.
    let long = record(11).replace("Question 11?", &"word ".repeat(32_000));
    let data = records(10) + &long + "\n";
    let fireworks = check(Target::Fireworks, &data);
    assert_eq!(codes(&fireworks), ["DPO304 warning"]);
    assert!(fireworks.diagnostics[0].message.contains("tokens (estimated)"), "{}", fireworks.diagnostics[0].message);
    assert!(fireworks.diagnostics[0].message.contains("over the budget of 32,768"));
    assert_eq!(codes(&check(Target::Together, &data)), ["DPO304 warning"]);
    assert!(check(Target::OpenAi, &data).diagnostics.is_empty());
    let tight = Validator::new(Options::new(Target::OpenAi).with_max_tokens(Some(1_000))).unwrap();
    assert_eq!(codes(&tight.check_bytes("input.jsonl", data.as_bytes()).unwrap()), ["DPO304 warning"]);
}
