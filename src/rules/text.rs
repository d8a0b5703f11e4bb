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
        // Only tokens that share the next byte can match: most `<` in text start an HTML tag.
        let candidates: &[&'static str] = match rest.get(..2) {
            Some(b"<|") => &SPECIAL_TOKENS[..14],
            Some(b"<s") => &["<s>", "<start_of_turn>"],
            Some(b"</") => &["</s>"],
            Some(b"<e") => &["<end_of_turn>"],
            Some(b"[I") => &["[INST]"],
            Some(b"[/") => &["[/INST]"],
            _ => &[],
        };
        if let Some(token) = candidates.iter().find(|token| rest.starts_with(token.as_bytes())) {
            return Some(token);
        }
        from = at + 1;
    }
    None
}

/// Whether the string whose canonical JSON text is `canonical` (see `Tape::canonical`) is empty or
/// all Unicode `White_Space`, reading escapes in place instead of decoding the string.
pub(crate) fn is_blank_json(canonical: &[u8]) -> bool {
    let mut at = 0;
    while at < canonical.len() {
        if canonical[at] != b'\\' {
            let next = canonical[at..].iter().position(|&b| b == b'\\').map_or(canonical.len(), |i| at + i);
            if !is_blank(&canonical[at..next]) {
                return false;
            }
            at = next;
            continue;
        }
        let whitespace = match canonical.get(at + 1) {
            Some(b'n' | b't' | b'r' | b'f') => {
                at += 2;
                true
            }
            Some(b'u') => {
                // Canonical `\u` escapes are controls and lone surrogates: only U+000B is White_Space.
                let blank = canonical.get(at + 2..at + 6) == Some(b"000b");
                at += 6;
                blank
            }
            _ => false,
        };
        if !whitespace {
            return false;
        }
    }
    true
}

/// Whether every character of `text` is Unicode `White_Space` (an empty text is blank too).
///
/// `text` is UTF-8, or WTF-8 when it holds a lone surrogate (never whitespace).
pub(crate) fn is_blank(text: &[u8]) -> bool {
    // Decode one character at a time and stop at the first that is not whitespace: most content
    // answers at its first byte, and no text is decoded whole just to learn that.
    let mut at = 0;
    while at < text.len() {
        let first = text[at];
        let (code_point, len) = match first {
            0x00..=0x7F => (u32::from(first), 1),
            0xC0..=0xDF => (u32::from(first & 0x1F), 2),
            0xE0..=0xEF => (u32::from(first & 0x0F), 3),
            _ => (u32::from(first & 0x07), 4),
        };
        let Some(tail) = text.get(at + 1..at + len) else { return false };
        let code_point = tail.iter().fold(code_point, |value, &b| (value << 6) | u32::from(b & 0x3F));
        // Lone surrogates (WTF-8) are not characters, let alone whitespace.
        if !char::from_u32(code_point).is_some_and(char::is_whitespace) {
            return false;
        }
        at += len;
    }
    true
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
    fn every_token_is_found() {
        for token in SPECIAL_TOKENS {
            let text = format!("before <b> [x] {token} after");
            assert_eq!(find_special_token(text.as_bytes()), Some(token), "{token}");
        }
    }

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
        assert!(is_blank_json(br"\n\t \r\f\u000b"));
        assert!(is_blank_json("\\n\u{3000}".as_bytes()));
        assert!(!is_blank_json(br"\n\u0000"));
        assert!(!is_blank_json(br"\n\\"));
        assert!(!is_blank_json(br"\nx"));
        assert!(is_blank_json(b""));
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
