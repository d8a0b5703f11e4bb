//! Text predicates used by the rules: blank text, chat-template tokens, role and key suggestions.

use memchr::memchr2;

/// The chat-template tokens of DPO303, exactly as the rule book lists them.
pub(crate) const SPECIAL_TOKENS: [&str; 20] = [
    "<|im_start|>",
    "<|im_end|>",
    "<|eot_id|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|begin_of_text|>",
    "<|endoftext|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|user|>",
    "<|assistant|>",
    "<|system|>",
    "<start_of_turn>",
    "<end_of_turn>",
    "[INST]",
    "[/INST]",
    "<s>",
    "</s>",
];

/// The first chat-template token in `text`, if any.
pub(crate) fn find_special_token(text: &[u8]) -> Option<&'static str> {
    let mut from = 0;
    while let Some(found) = memchr2(b'<', b'[', &text[from..]) {
        let at = from + found;
        let rest = &text[at..];
        if let Some(token) = SPECIAL_TOKENS.iter().find(|token| rest.starts_with(token.as_bytes())) {
            return Some(token);
        }
        from = at + 1;
    }
    None
}

/// Whether every character of `text` is Unicode `White_Space` (an empty text is blank too).
///
/// `text` is UTF-8, or WTF-8 when it holds a lone surrogate (never whitespace).
pub(crate) fn is_blank(text: &[u8]) -> bool {
    // Most content starts with a visible ASCII character: answer without decoding.
    match text.first() {
        None => return true,
        Some(&b) if b.is_ascii() && !matches!(b, b' ' | 0x09..=0x0D) => return false,
        _ => {}
    }
    String::from_utf8_lossy(text).chars().all(char::is_whitespace)
}

/// The valid role a misspelt or aliased role most likely means.
pub(crate) fn suggest_role(role: &str) -> Option<&'static str> {
    let normalized = role.trim().to_lowercase();
    let alias = match normalized.as_str() {
        "system" | "developer" | "sys" => Some("system"),
        "user" | "human" | "prompter" | "usr" | "question" => Some("user"),
        "assistant" | "gpt" | "bot" | "model" | "ai" | "chatgpt" | "answer" | "response" => Some("assistant"),
        _ => None,
    };
    alias.or_else(|| nearest(&normalized, &["system", "user", "assistant"], 2))
}

/// The candidate closest to `word` within `max_distance` edits (case-insensitive), if any.
pub(crate) fn nearest<'c>(word: &str, candidates: &[&'c str], max_distance: usize) -> Option<&'c str> {
    let lower = word.to_lowercase();
    candidates
        .iter()
        .map(|&candidate| (strsim::damerau_levenshtein(&lower, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= max_distance && distance < candidate.len())
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Shows text in a message: quoted, with controls escaped, shortened when long.
pub(crate) fn quoted(text: &[u8]) -> String {
    const LIMIT: usize = 40;
    let text = crate::diagnostic::lossy_text(text);
    let mut shown: String = text.chars().take(LIMIT).flat_map(char::escape_debug).collect();
    if text.chars().count() > LIMIT {
        shown.push('…');
    }
    format!("\"{shown}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_listed_tokens_only() {
        assert_eq!(find_special_token(b"hi <|im_start|>user"), Some("<|im_start|>"));
        assert_eq!(find_special_token(b"[INST] do it [/INST]"), Some("[INST]"));
        assert_eq!(find_special_token(b"a <s> b"), Some("<s>"));
        assert_eq!(find_special_token(b"<b>bold</b> [1] <|other|> <start>"), None);
        assert_eq!(find_special_token(b"</s>"), Some("</s>"));
        assert_eq!(find_special_token(b""), None);
    }

    #[test]
    fn blank_means_unicode_white_space() {
        assert!(is_blank(b""));
        assert!(is_blank(b" \t\n\r"));
        assert!(is_blank("\u{00A0}\u{2003}\u{3000}".as_bytes()));
        assert!(!is_blank(b" x "));
        assert!(!is_blank("\u{200B}".as_bytes()), "zero width space is not White_Space");
        assert!(!is_blank(&[0xED, 0xA0, 0x80]), "a lone surrogate is not whitespace");
    }

    #[test]
    fn suggests_roles_and_keys() {
        assert_eq!(suggest_role("User"), Some("user"));
        assert_eq!(suggest_role("human"), Some("user"));
        assert_eq!(suggest_role("gpt"), Some("assistant"));
        assert_eq!(suggest_role("asistant"), Some("assistant"));
        assert_eq!(suggest_role("robot"), None);
        assert_eq!(nearest("prefered_output", &["preferred_output", "input"], 3), Some("preferred_output"));
        assert_eq!(nearest("xyz", &["input"], 3), None);
    }
}
