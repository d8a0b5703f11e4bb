//! Duplicate examples (DPO403) and conflicting preferences (DPO404) across a whole dataset.
//!
//! Workers fingerprint records in parallel; this index is fed in file order by the merging thread, so
//! "the first occurrence" is the same whatever the thread count.
//!
//! Memory is the constraint (a dataset may hold 3,000,000 examples): per distinct record the index
//! keeps its place (20 bytes), its 128-bit fingerprint (16) and its preference-pair key (8), plus a
//! 4-byte slot in each of two open-addressing tables kept 40% to 80% full: 54 to 64 bytes.

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

/// [`Seen`] in 20 bytes (no padding).
#[derive(Clone, Copy)]
struct Place {
    offset: [u32; 2],
    line: u32,
    length: u32,
    file: u32,
}

impl Place {
    /// `None` past line 2^32, which only a file of billions of lines reaches.
    fn pack(seen: Seen) -> Option<Place> {
        let line = u32::try_from(seen.line).ok()?;
        Some(Place {
            offset: [seen.offset as u32, (seen.offset >> 32) as u32],
            line,
            length: seen.length,
            file: seen.file,
        })
    }

    fn unpack(self) -> Seen {
        Seen {
            file: self.file,
            line: u64::from(self.line),
            offset: u64::from(self.offset[0]) | (u64::from(self.offset[1]) << 32),
            length: self.length,
        }
    }
}

/// An open-addressing hash table of record numbers (4 bytes a slot), probed linearly. The keys are
/// uniform hashes already, so their low bits place the slot. Each slot holds the record number
/// (24 bits) and 8 more bits of its hash, so a probe rarely has to look at the caller's arrays,
/// which decide equality; the caller also supplies the key of a record number when the table grows.
#[derive(Default)]
struct IndexTable {
    /// `(record number + 1) << 8 | tag`; 0 is an empty slot.
    slots: Vec<u32>,
    len: usize,
}

/// Record numbers fit in 24 bits: duplicate detection covers the first 16,777,214 distinct
/// records of a dataset (over five times the largest dataset any target accepts).
const MAX_RECORDS: usize = (1 << 24) - 2;

fn tag(hash: u64) -> u32 {
    (hash >> 56) as u32
}

impl IndexTable {
    const MAX_LOAD_PERCENT: usize = 80;

    fn find(&self, hash: u64, is_match: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = hash as usize & mask;
        loop {
            match self.slots[slot] {
                0 => return None,
                entry if entry & 0xFF == tag(hash) && is_match((entry >> 8) - 1) => return Some((entry >> 8) - 1),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// Inserts `index` (known to be absent) under `hash`; `key_of` gives the hash of any record
    /// number already in the table, for growing.
    fn insert(&mut self, hash: u64, index: u32, key_of: impl Fn(u32) -> u64) {
        if (self.len + 1) * 100 > self.slots.len() * Self::MAX_LOAD_PERCENT {
            self.grow(self.len + 1, key_of);
        }
        self.place(hash, index);
        self.len += 1;
    }

    fn place(&mut self, hash: u64, index: u32) {
        let mask = self.slots.len() - 1;
        let mut slot = hash as usize & mask;
        while self.slots[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = ((index + 1) << 8) | tag(hash);
    }

    /// Makes room for `entries` entries without going past the maximum load.
    fn grow(&mut self, entries: usize, key_of: impl Fn(u32) -> u64) {
        let capacity = (entries * 100 / Self::MAX_LOAD_PERCENT + 1).next_power_of_two().max(16);
        // Growing doubles at least, so that a table is never below 40% full after growing.
        if capacity <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(&mut self.slots, vec![0; capacity]);
        for entry in old.into_iter().filter(|&entry| entry != 0) {
            let index = (entry >> 8) - 1;
            self.place(key_of(index), index);
        }
    }
}

/// The dataset-wide tables: every distinct record, and every distinct (input, preferred,
/// non-preferred) triple, each pointing at the first record that had it.
#[derive(Default)]
pub(crate) struct DuplicateIndex {
    places: Vec<Place>,
    fingerprints: Vec<u128>,
    /// The forward pair key of each distinct record (0 when it has none).
    pairs: Vec<u64>,
    records: IndexTable,
    pair_table: IndexTable,
    /// Set once a line past 2^32 or more than [`MAX_RECORDS`] distinct records were seen: from
    /// then on nothing new is tracked (duplicates of what is tracked are still found).
    full: bool,
}

impl DuplicateIndex {
    /// Makes room for about `records` more distinct records.
    pub(crate) fn reserve(&mut self, records: usize) {
        let total = self.places.len() + records;
        self.places.reserve(records);
        self.fingerprints.reserve(records);
        self.pairs.reserve(records);
        let fingerprints = &self.fingerprints;
        self.records.grow(total, |index| fingerprints[index as usize] as u64);
        let pairs = &self.pairs;
        self.pair_table.grow(total, |index| pairs[index as usize]);
    }

    /// Records `key` seen at `here`; returns the rule it breaks and the earlier record it matches.
    /// A duplicate is reported as DPO403 only, never also as a conflict.
    pub(crate) fn observe(&mut self, key: RecordKey, here: Seen) -> Option<(Rule, Seen)> {
        let fingerprints = &self.fingerprints;
        if let Some(first) = self.records.find(key.record as u64, |index| fingerprints[index as usize] == key.record) {
            return Some((Rule::DuplicateExample, self.places[first as usize].unpack()));
        }
        if self.full {
            return None;
        }
        let Some(place) = Place::pack(here) else {
            self.full = true;
            return None;
        };
        if self.places.len() >= MAX_RECORDS {
            self.full = true;
            return None;
        }
        let index = self.places.len() as u32;
        self.places.push(place);
        self.fingerprints.push(key.record);
        self.pairs.push(key.pair.map_or(0, |(forward, _)| forward));
        let fingerprints = &self.fingerprints;
        self.records.insert(key.record as u64, index, |index| fingerprints[index as usize] as u64);

        let (forward, swapped) = key.pair?;
        let pairs = &self.pairs;
        let conflict = self.pair_table.find(swapped, |index| pairs[index as usize] == swapped);
        if self.pair_table.find(forward, |index| pairs[index as usize] == forward).is_none() {
            self.pair_table.insert(forward, index, |index| pairs[index as usize]);
        }
        conflict.map(|first| (Rule::ConflictingPreference, self.places[first as usize].unpack()))
    }

    /// Bytes held by the index (for the memory budget in the docs and benches).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.places.capacity() * size_of::<Place>()
            + self.fingerprints.capacity() * 16
            + self.pairs.capacity() * 8
            + (self.records.slots.capacity() + self.pair_table.slots.capacity()) * 4
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

    #[test]
    fn grows_and_stays_within_the_memory_budget() {
        let mut index = DuplicateIndex::default();
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let keys: Vec<RecordKey> = (0..100_000)
            .map(|_| RecordKey { record: u128::from(next()) << 64 | u128::from(next()), pair: Some((next(), next())) })
            .collect();
        for (line, key) in keys.iter().enumerate() {
            assert_eq!(index.observe(*key, seen(line as u64 + 1)), None);
        }
        for (line, key) in keys.iter().enumerate() {
            let found = index.observe(*key, seen(1_000_000));
            assert_eq!(found, Some((Rule::DuplicateExample, seen(line as u64 + 1))));
        }
        let per_record = index.bytes() / keys.len();
        assert!(per_record <= 72, "{per_record} bytes per record");
    }

    #[test]
    fn places_round_trip() {
        let seen = Seen { file: 7, line: 4_000_000_000, offset: (1 << 40) + 5, length: 1 << 30 };
        assert_eq!(Place::pack(seen).unwrap().unpack(), seen);
        assert!(Place::pack(Seen { line: 1 << 33, ..seen }).is_none());
    }
}
