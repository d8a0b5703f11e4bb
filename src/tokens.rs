//! Token counts for DPO304 (too-long): a fast estimate by default, or exact counts from a Hugging
//! Face `tokenizer.json` (the `tokenizer` feature).
//!
//! An example's count is its prompt (every input message, plus the tool definitions) and its longer
//! answer, each message with [`MESSAGE_OVERHEAD`] tokens for the chat template's role markers. Images
//! are not counted: what they cost depends on their resolution, which the file does not say.

use std::fmt;
#[cfg(feature = "tokenizer")]
use std::path::Path;
#[cfg(feature = "tokenizer")]
use std::sync::Arc;

#[cfg(feature = "tokenizer")]
use crate::error::Error;

/// Tokens a chat template adds around each message: `ChatML`'s `<|im_start|>user\n` ... `<|im_end|>\n`
/// and Llama 3's `<|start_header_id|>user<|end_header_id|>\n\n` ... `<|eot_id|>` are five each.
pub const MESSAGE_OVERHEAD: u64 = 5;

/// Counts the tokens of text: the estimate of [`crate::stats::estimate_tokens`] or a real tokenizer.
#[derive(Clone, Default)]
pub struct TokenCounter {
    #[cfg(feature = "tokenizer")]
    tokenizer: Option<Arc<Tokenizer>>,
}

#[cfg(feature = "tokenizer")]
struct Tokenizer {
    inner: tokenizers::Tokenizer,
    /// The file it came from, for messages.
    name: String,
}

impl TokenCounter {
    /// The estimate: no tokenizer is loaded, and nothing is decoded.
    #[must_use]
    pub fn estimate() -> TokenCounter {
        TokenCounter::default()
    }

    /// Exact counts with the tokenizer in a Hugging Face `tokenizer.json` file.
    ///
    /// # Errors
    ///
    /// [`Error::Tokenizer`] when the file cannot be read or is not a tokenizer.
    #[cfg(feature = "tokenizer")]
    pub fn from_file(path: &Path) -> Result<TokenCounter, Error> {
        let inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|error| Error::Tokenizer { path: path.to_path_buf(), message: error.to_string() })?;
        Ok(TokenCounter { tokenizer: Some(Arc::new(Tokenizer { inner, name: path.display().to_string() })) })
    }

    /// Whether counts are exact (a tokenizer is loaded) rather than estimated.
    #[must_use]
    pub fn is_exact(&self) -> bool {
        #[cfg(feature = "tokenizer")]
        {
            self.tokenizer.is_some()
        }
        #[cfg(not(feature = "tokenizer"))]
        false
    }

    /// The tokens of `text` (no special tokens added).
    #[must_use]
    pub fn count(&self, text: &str) -> u64 {
        #[cfg(feature = "tokenizer")]
        if let Some(tokenizer) = &self.tokenizer {
            return tokenizer.count(text);
        }
        crate::stats::estimate_tokens(text)
    }

    /// The most tokens a record of `len` bytes can hold by this counter: records below the budget
    /// by this bound are not counted at all, which keeps DPO304 off the fast path.
    ///
    /// The estimate weighs no byte of a text above half a token (a raw escape such as `\u00e9`
    /// weighs less than its bytes), and each message's overhead and rounding take less than half
    /// the bytes its JSON needs (`{"role":"user","content":""}` is 28 bytes, for 5 tokens and at
    /// most 1 of rounding), so half the length bounds it. A real tokenizer makes at most one token per byte in practice (byte-level
    /// BPE and byte fallback both do), so its bound is the length itself.
    pub(crate) fn bound(&self, len: usize) -> u64 {
        let len = len as u64;
        if self.is_exact() { len } else { len / 2 + 1 }
    }

    /// What the counts are, for messages: "estimated" or "counted with tokenizer.json".
    #[must_use]
    pub fn describe(&self) -> String {
        #[cfg(feature = "tokenizer")]
        if let Some(tokenizer) = &self.tokenizer {
            return format!("counted with {}", tokenizer.name);
        }
        "estimated".to_string()
    }
}

#[cfg(feature = "tokenizer")]
impl Tokenizer {
    fn count(&self, text: &str) -> u64 {
        // An encoding error (a text the model cannot represent) counts as its estimate rather than
        // failing the whole check.
        self.inner
            .encode_fast(text, false)
            .map_or_else(|_| crate::stats::estimate_tokens(text), |encoding| encoding.len() as u64)
    }
}

impl fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenCounter").field(&self.describe()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_stays_under_its_bound() {
        let counter = TokenCounter::estimate();
        for text in ["a", "hello world", "日本語のテキスト", "Ωμέγα", "🚀🚀🚀", "\n\n\n"] {
            let json =
                serde_json::to_string(&serde_json::json!({"input": {"messages": [{"role": "user", "content": text}]}}))
                    .unwrap();
            assert!(counter.count(text) + MESSAGE_OVERHEAD <= counter.bound(json.len()), "{text}");
        }
    }

    #[cfg(feature = "tokenizer")]
    #[test]
    fn a_tokenizer_counts_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        std::fs::write(&path, crate::tokens::test_support::WORD_LEVEL_TOKENIZER).unwrap();
        let counter = TokenCounter::from_file(&path).unwrap();
        assert!(counter.is_exact());
        // Whitespace-split words; unknown words map to `[UNK]`, one token each.
        assert_eq!(counter.count("hello world"), 2);
        assert_eq!(counter.count("hello there big world"), 4);
        assert!(counter.describe().contains("tokenizer.json"));
        let error = TokenCounter::from_file(&dir.path().join("missing.json")).unwrap_err();
        assert!(error.to_string().contains("missing.json"), "{error}");
    }
}

/// A tiny word-level tokenizer, built as JSON in code, for tests (nothing is downloaded).
#[cfg(all(test, feature = "tokenizer"))]
pub(crate) mod test_support {
    pub(crate) const WORD_LEVEL_TOKENIZER: &str = r#"{
      "version": "1.0",
      "truncation": null,
      "padding": null,
      "added_tokens": [],
      "normalizer": null,
      "pre_tokenizer": {"type": "Whitespace"},
      "post_processor": null,
      "decoder": null,
      "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2}, "unk_token": "[UNK]"}
    }"#;
}
