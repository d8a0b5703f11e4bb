//! Duplicate examples (DPO403) and conflicting preferences (DPO404) across a whole dataset.
//!
//! Workers fingerprint records in parallel; this index is fed in file order by the merging thread, so
//! "the first occurrence" is the same whatever the thread count.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::fingerprint::RecordKey;
use crate::rules::Rule;

/// Where a record was first seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    /// Index of the file within its dataset.
    pub file: u32,
    pub line: u64,
    /// Byte offset and length of the record's span.
    pub offset: u64,
    pub length: u32,
}

/// The keys are already uniform hashes: use their low bits as the hash instead of hashing again.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

type FastMap<K> = HashMap<K, u32, BuildHasherDefault<PassThrough>>;

/// The dataset-wide tables: one entry per distinct record and per distinct (input, preferred,
/// non-preferred) triple, each pointing at the first record that had it.
#[derive(Default)]
pub(crate) struct DuplicateIndex {
    records: FastMap<u128>,
    pairs: FastMap<u64>,
    first_seen: Vec<Seen>,
}

impl DuplicateIndex {
    /// Makes room for about `records` more distinct records.
    pub(crate) fn reserve(&mut self, records: usize) {
        self.records.reserve(records);
        self.pairs.reserve(records);
        self.first_seen.reserve(records);
    }

    /// Records `key` seen at `here`; returns the rule it breaks and the earlier record it matches.
    /// A duplicate is reported as DPO403 only, never also as a conflict.
    pub(crate) fn observe(&mut self, key: RecordKey, here: Seen) -> Option<(Rule, Seen)> {
        if let Some(&first) = self.records.get(&key.record) {
            return Some((Rule::DuplicateExample, self.first_seen[first as usize]));
        }
        let index = self.first_seen.len() as u32;
        self.first_seen.push(here);
        self.records.insert(key.record, index);
        let (forward, swapped) = key.pair?;
        let conflict = self.pairs.get(&swapped).map(|&first| self.first_seen[first as usize]);
        self.pairs.entry(forward).or_insert(index);
        conflict.map(|first| (Rule::ConflictingPreference, first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(line: u64) -> Seen {
        Seen { file: 0, line, offset: line * 10, length: 9 }
    }

    #[test]
    fn duplicates_and_conflicts_point_at_the_first_record() {
        let mut index = DuplicateIndex::default();
        let a = RecordKey { record: 1, pair: Some((10, 20)) };
        let a_again = a;
        let swapped = RecordKey { record: 2, pair: Some((20, 10)) };
        let other = RecordKey { record: 3, pair: Some((30, 40)) };
        assert_eq!(index.observe(a, seen(1)), None);
        assert_eq!(index.observe(other, seen(2)), None);
        assert_eq!(index.observe(swapped, seen(3)), Some((Rule::ConflictingPreference, seen(1))));
        assert_eq!(index.observe(a_again, seen(4)), Some((Rule::DuplicateExample, seen(1))));
        let swapped_again = RecordKey { record: 4, pair: Some((20, 10)) };
        assert_eq!(index.observe(swapped_again, seen(5)), Some((Rule::ConflictingPreference, seen(1))));
    }
}
