//! A fixed log-linear histogram of lengths: memory does not grow with the dataset, merging is
//! adding counts (so the result is the same for any thread count), and percentiles come out
//! within a known relative error.
//!
//! Values below 32 have a bucket each (exact). Above, each power of two is split into 32 equal
//! buckets, so a bucket's width is at most 1/32 of its smallest value. A percentile is reported as
//! the middle of the bucket that holds it (clamped to the observed minimum and maximum), which is
//! within 1/64 (1.6%) of the true value, and exact below 32.

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Enough buckets for every `u64`.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// The largest relative error of a reported percentile (values below 32 are exact).
pub(crate) const RELATIVE_ERROR: f64 = 1.0 / (2 * SUB) as f64;

/// Counts of lengths in log-linear buckets, with the exact count, sum, minimum and maximum.
#[derive(Clone)]
pub(crate) struct Sketch {
    counts: Box<[u64]>,
    pub count: u64,
    pub sum: u128,
    pub min: u64,
    pub max: u64,
}

impl Default for Sketch {
    fn default() -> Sketch {
        Sketch { counts: vec![0; BUCKETS].into_boxed_slice(), count: 0, sum: 0, min: u64::MAX, max: 0 }
    }
}

/// The bucket of `value`.
fn bucket(value: u64) -> usize {
    if value < SUB {
        return value as usize;
    }
    let shift = value.ilog2() - SUB_BITS;
    // `value >> shift` is in SUB..2*SUB: the bucket within the power of two, after the ones below.
    (u64::from(shift) * SUB + (value >> shift)) as usize
}

/// The smallest value of bucket `index` and its width.
fn bucket_range(index: usize) -> (u64, u64) {
    let index = index as u64;
    if index < SUB {
        return (index, 1);
    }
    let shift = index / SUB - 1;
    ((index % SUB + SUB) << shift, 1 << shift)
}

impl Sketch {
    pub(crate) fn add(&mut self, value: u64) {
        self.counts[bucket(value)] += 1;
        self.count += 1;
        self.sum += u128::from(value);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    pub(crate) fn merge(&mut self, other: &Sketch) {
        for (count, other) in self.counts.iter_mut().zip(other.counts.iter()) {
            *count += other;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The value a bucket stands for: its middle, within the observed range.
    fn representative(&self, index: usize) -> u64 {
        let (low, width) = bucket_range(index);
        (low + (width - 1) / 2).clamp(self.min, self.max)
    }

    /// The nearest-rank percentile `percent` (1 to 100): the smallest value that at least
    /// `percent`% of the values are at most, within [`RELATIVE_ERROR`]. `None` when empty.
    pub(crate) fn percentile(&self, percent: u64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = (u128::from(self.count) * u128::from(percent)).div_ceil(100).max(1);
        let mut seen = 0u128;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += u128::from(count);
            if seen >= rank {
                return Some(self.representative(index));
            }
        }
        Some(self.max)
    }

    /// Non-empty buckets as (representative value, count), in increasing order.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(index, &count)| (self.representative(index), count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_cover_u64() {
        let mut next = 0u64;
        for index in 0..BUCKETS {
            let (low, width) = bucket_range(index);
            assert_eq!(low, next, "bucket {index}");
            assert_eq!(bucket(low), index);
            assert_eq!(bucket(low + (width - 1)), index);
            assert!(width == 1 || width * SUB <= low);
            next = low.wrapping_add(width);
        }
        assert_eq!(next, 0, "the last bucket ends at u64::MAX");
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn small_values_are_exact() {
        let mut sketch = Sketch::default();
        for value in 1..=20 {
            sketch.add(value);
        }
        assert_eq!(sketch.percentile(50), Some(10));
        assert_eq!(sketch.percentile(90), Some(18));
        assert_eq!(sketch.percentile(99), Some(20));
        assert_eq!(sketch.percentile(100), Some(20));
        assert_eq!((sketch.min, sketch.max, sketch.count, sketch.sum), (1, 20, 20, 210));
        assert_eq!(Sketch::default().percentile(50), None);
    }

    #[test]
    fn percentiles_stay_within_the_error_bound() {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut values: Vec<u64> = (0..50_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Log-uniform over 1 .. 2^30.
                1 + ((state >> 34) >> (state % 30))
            })
            .collect();
        let mut sketch = Sketch::default();
        for &value in &values {
            sketch.add(value);
        }
        values.sort_unstable();
        for percent in [1, 10, 50, 90, 99, 100] {
            let rank = (values.len() * percent as usize).div_ceil(100);
            let exact = values[rank - 1] as f64;
            let estimate = sketch.percentile(percent).unwrap() as f64;
            assert!((estimate - exact).abs() <= exact * RELATIVE_ERROR, "p{percent}: {estimate} vs {exact}");
        }
    }

    #[test]
    fn merging_equals_adding_everything_to_one() {
        let (mut left, mut right, mut all) = (Sketch::default(), Sketch::default(), Sketch::default());
        for value in [0, 5, 100, 7_000, 1 << 40] {
            left.add(value);
            all.add(value);
        }
        for value in [3, 64, 65, 999_999] {
            right.add(value);
            all.add(value);
        }
        left.merge(&right);
        assert_eq!(left.buckets().collect::<Vec<_>>(), all.buckets().collect::<Vec<_>>());
        assert_eq!((left.count, left.sum, left.min, left.max), (all.count, all.sum, all.min, all.max));
    }
}
