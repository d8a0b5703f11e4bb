//! 128-bit fingerprints of parsed JSON values, equal exactly when the values are equal as parsed JSON
//! (up to hash collisions): key order and whitespace do not matter, escapes are decoded, numbers
//! compare as written, and with duplicate keys the last occurrence counts.

use twox_hash::XxHash3_128;

use crate::parse::{DUPLICATE_KEYS, Kind, Tape};

// Distinct constants for the values that have no bytes to hash (ASCII of their names).
const NULL: u128 = 0x6e75_6c6c;
const TRUE: u128 = 0x7472_7565;
const FALSE: u128 = 0x0066_616c_7365;
const ARRAY: u128 = 0x0061_7272_6179;
const OBJECT: u128 = 0x6f62_6a65_6374;
const NUMBER: u128 = 0x6e75_6d62_6572;

/// Combines two fingerprints into one (not commutative). Two 64-bit folded multiplies, the mixing
/// step of wyhash and foldhash: a few instructions instead of hashing 32 bytes.
#[inline]
fn mix(a: u128, b: u128) -> u128 {
    const K: [u64; 4] = [0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89];
    let fold = |x: u64, y: u64| {
        let product = u128::from(x) * u128::from(y);
        (product as u64) ^ ((product >> 64) as u64)
    };
    let (a_low, a_high, b_low, b_high) = (a as u64, (a >> 64) as u64, b as u64, (b >> 64) as u64);
    let low = fold(a_low ^ K[0], b_high ^ K[1]) ^ fold(a_high ^ K[2], b_low ^ K[3]);
    let high = fold(a_low ^ K[3], b_low ^ K[0]) ^ fold(a_high ^ K[1], b_high ^ K[2]);
    (u128::from(high) << 64) | u128::from(low)
}

/// What duplicate and conflict detection need from one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordKey {
    /// Fingerprint of the whole record.
    pub record: u128,
    /// For records with `input` and both outputs: (input, preferred, non-preferred) and the same with
    /// the outputs swapped; `None` when the outputs are equal (no preference to contradict).
    pub pair: Option<(u64, u64)>,
}

/// Fingerprints every node of `tape` into `hashes` (indexed like the tape's nodes).
///
/// Children follow their parent on the tape, so one pass from the end sees every child before its
/// parent: no recursion, whatever the depth.
pub(crate) fn fingerprint_nodes(tape: &Tape, line: &[u8], hashes: &mut Vec<u128>) {
    let nodes = &tape.nodes;
    hashes.clear();
    hashes.resize(nodes.len(), 0);
    for index in (0..nodes.len()).rev() {
        let node = &nodes[index];
        hashes[index] = match node.kind {
            Kind::Null => NULL,
            Kind::Bool => {
                if line[node.start as usize] == b't' {
                    TRUE
                } else {
                    FALSE
                }
            }
            // Numbers compare as written; the tag keeps `1` apart from the string "1". (A seeded
            // hash would derive a new secret on every long input.)
            Kind::Number => mix(NUMBER, XxHash3_128::oneshot(&line[node.start as usize..node.end as usize])),
            // Equal strings have equal canonical texts, however they were escaped.
            Kind::String => XxHash3_128::oneshot(tape.canonical(line, node)),
            Kind::Array => tape
                .elements(index)
                .fold(mix(ARRAY, u128::from(node.count)), |hash, element| mix(hash, hashes[element])),
            Kind::Object => {
                let duplicates = node.has(DUPLICATE_KEYS);
                let mut sum = 0u128;
                let mut count = 0u128;
                for (key, value) in tape.members(index) {
                    if duplicates && is_overridden(tape, line, index, key) {
                        continue;
                    }
                    // Members are combined by addition, so their order does not matter.
                    sum = sum.wrapping_add(mix(hashes[key], hashes[value]));
                    count += 1;
                }
                mix(mix(OBJECT, count), sum)
            }
        };
    }
}

/// Whether a later member of `object` has the same key as `key` (so `key`'s member does not count).
pub(crate) fn is_overridden(tape: &Tape, line: &[u8], object: usize, key: usize) -> bool {
    tape.members(object).any(|(other, _)| {
        other > key && tape.canonical(line, &tape.nodes[key]) == tape.canonical(line, &tape.nodes[other])
    })
}

/// The record key of a parsed record whose node fingerprints are in `hashes`.
pub(crate) fn record_key(tape: &Tape, line: &[u8], hashes: &[u128]) -> RecordKey {
    let (mut input, mut preferred, mut non_preferred) = (None, None, None);
    for (key, value) in tape.members(0) {
        // Later members overwrite earlier ones: the last occurrence counts.
        match tape.canonical(line, &tape.nodes[key]) {
            b"input" => input = Some(hashes[value]),
            b"preferred_output" => preferred = Some(hashes[value]),
            b"non_preferred_output" => non_preferred = Some(hashes[value]),
            _ => {}
        }
    }
    let pair = match (input, preferred, non_preferred) {
        (Some(input), Some(preferred), Some(non_preferred)) if preferred != non_preferred => {
            let forward = mix(mix(input, preferred), non_preferred) as u64;
            let swapped = mix(mix(input, non_preferred), preferred) as u64;
            Some((forward, swapped))
        }
        _ => None,
    };
    RecordKey { record: hashes[0], pair }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_line;

    fn key(text: &str) -> RecordKey {
        let mut tape = Tape::default();
        parse_line(text.as_bytes(), &mut tape, 128).unwrap();
        let mut hashes = Vec::new();
        fingerprint_nodes(&tape, text.as_bytes(), &mut hashes);
        record_key(&tape, text.as_bytes(), &hashes)
    }

    #[test]
    fn equal_as_parsed_json() {
        assert_eq!(key(r#"{"a": 1, "b": "x"}"#), key(r#"{"b":"\u0078","a":1}"#));
        assert_eq!(key(r#"{"a": "é\n/\u001b"}"#), key(r#"{"a": "\u00e9\u000a\/\u001B"}"#));
        assert_ne!(key(r#"{"a": "\ud800"}"#), key(r#"{"a": "\ufffd"}"#));
        assert_ne!(key(r#"{"a": 1}"#), key(r#"{"a": 1.0}"#));
        assert_ne!(key(r#"{"a": [1, 2]}"#), key(r#"{"a": [2, 1]}"#));
        assert_ne!(key(r#"{"a": "1"}"#), key(r#"{"a": 1}"#));
        assert_ne!(key(r#"{"a": {"b": 1, "c": 2}}"#), key(r#"{"a": {"b": 2, "c": 1}}"#));
        assert_eq!(key(r#"{"a": 1, "a": 2}"#), key(r#"{"a": 2}"#));
        assert_ne!(key(r#"{"a": []}"#), key(r#"{"a": {}}"#));
        assert_ne!(key(r#"{"a": [[]]}"#), key(r#"{"a": [[], []]}"#));
    }

    #[test]
    fn swapped_pairs_match() {
        let ab = key(r#"{"input": {"m": 1}, "preferred_output": ["A"], "non_preferred_output": ["B"]}"#);
        let ba = key(r#"{"input": {"m": 1}, "preferred_output": ["B"], "non_preferred_output": ["A"]}"#);
        let (forward, swapped) = ab.pair.unwrap();
        assert_eq!(ba.pair.unwrap(), (swapped, forward));
        let same = key(r#"{"input": {"m": 1}, "preferred_output": ["A"], "non_preferred_output": ["A"]}"#);
        assert_eq!(same.pair, None);
    }
}
