//! The parallel loop that `check` and `stats` share: a reader's segments are cut into
//! newline-aligned chunks, the pool's workers process them, and the calling thread merges the
//! results in file order. At most a few chunks per worker are in flight, so memory stays flat and
//! the first results are merged while the rest of the file is still being read.

use std::collections::BTreeMap;
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;

use super::{OversizedLine, Reader, Segment, SegmentBytes, SegmentReader, chunk_ranges};

/// A piece of work for a worker: a range of a segment's bytes.
pub(crate) type Chunk<'a> = (Segment<'a>, Range<usize>);

/// Why [`run_in_order`] stopped early.
pub(crate) enum OrderedError<E> {
    /// The reader failed.
    Read(std::io::Error),
    /// A merge failed.
    Merge(E),
}

/// Processes every chunk of `first` and what `reader` has left, `work` on the pool's workers and
/// `merge` on this thread, in file order. A line the reader skipped for its size needs no worker:
/// `oversized` makes its result (line, offset of its segment). `merge` may hand back the unchecked
/// rest of a chunk (a worker that stopped early to bound its result): it is processed next, before
/// any later chunk is merged. After a failure nothing more is merged; the tasks in flight finish.
pub(crate) fn run_in_order<'a, T, E>(
    pool: &rayon::ThreadPool,
    chunk_size: usize,
    first: Segment<'a>,
    reader: &mut Reader<'a>,
    work: &(dyn Fn(Segment<'a>, Range<usize>) -> T + Sync),
    oversized: &mut dyn FnMut(OversizedLine, u64) -> T,
    merge: &mut dyn FnMut(T) -> Result<Option<Chunk<'a>>, E>,
) -> Result<(), OrderedError<E>>
where
    T: Send + 'a,
{
    let max_in_flight = (pool.current_num_threads() * 4).max(4) as u64;
    let (sender, receiver) = mpsc::channel::<(u64, std::thread::Result<T>)>();
    let mut segment = Some(first);
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let (mut spawned, mut merged) = (0u64, 0u64);
    let mut pending = BTreeMap::new();
    let mut failure = None;
    let mut exhausted = false;

    pool.in_place_scope(|scope| {
        let spawn = |index: u64, (chunk, range): Chunk<'a>| {
            let sender = sender.clone();
            scope.spawn(move |_| {
                let result = panic::catch_unwind(AssertUnwindSafe(|| work(chunk, range)));
                // The receiver lives until every task is done, unless a merge already failed.
                let _ = sender.send((index, result));
            });
        };
        loop {
            while failure.is_none() && !exhausted && spawned - merged < max_in_flight {
                if ranges.is_empty() {
                    let current = match segment.take().map_or_else(|| reader.next_segment(), |s| Ok(Some(s))) {
                        Ok(Some(current)) => current,
                        Ok(None) => {
                            exhausted = true;
                            break;
                        }
                        Err(error) => {
                            failure = Some(OrderedError::Read(error));
                            break;
                        }
                    };
                    if let SegmentBytes::Oversized(line) = current.bytes {
                        pending.insert(spawned, oversized(line, current.base));
                        spawned += 1;
                        continue;
                    }
                    ranges = chunk_ranges(current.as_slice(), chunk_size).collect();
                    if ranges.is_empty() {
                        continue;
                    }
                    ranges.reverse();
                    segment = Some(current);
                }
                let (Some(range), Some(current)) = (ranges.pop(), segment.as_ref()) else {
                    break;
                };
                let chunk = current.clone();
                if ranges.is_empty() {
                    // Dropped with the last chunk, on a worker: a finished window is unmapped there.
                    segment = None;
                }
                spawn(spawned, (chunk, range));
                spawned += 1;
            }
            while let Some(result) = pending.remove(&merged) {
                if failure.is_some() {
                    merged += 1;
                    continue;
                }
                match merge(result) {
                    // The rest of this chunk comes before any later one: wait for it.
                    Ok(Some(rest)) => {
                        spawn(merged, rest);
                        break;
                    }
                    Ok(None) => merged += 1,
                    Err(error) => {
                        failure = Some(OrderedError::Merge(error));
                        merged += 1;
                    }
                }
            }
            if merged == spawned {
                if exhausted || failure.is_some() {
                    break;
                }
                continue;
            }
            let Ok((index, result)) = receiver.recv() else {
                break;
            };
            match result {
                Ok(result) => {
                    pending.insert(index, result);
                }
                Err(payload) => panic::resume_unwind(payload),
            }
        }
    });
    failure.map_or(Ok(()), Err)
}
