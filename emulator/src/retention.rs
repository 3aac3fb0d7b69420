//! Which jobs the emulator keeps: at most a number of them and a number of
//! bytes, forgetting finished ones oldest first, never an unfinished one.
//!
//! Jobs are held by sequence number (creation order) in a B-tree, so one can
//! be dropped from anywhere (a finished job behind one that waits for a
//! commit) while lookups stay logarithmic and listing stays in creation
//! order. Two indexes say which jobs may go: those known to have finished,
//! oldest first, and those that will finish at a known instant, by that
//! instant. A create moves the jobs whose instant has passed from the second
//! to the first, so it never takes a snapshot of every job; a commit or an
//! abort moves the job it settles. The bytes held are counted as jobs come
//! and go, from an estimate made once per job ([`footprint`]).
//!
//! Unfinished jobs are never dropped, so only they outlive the count; they
//! cannot outlive the byte budget: a create they would push past it is
//! refused ([`Full`]) and stores nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::mem::size_of;
use std::time::Duration;

use crate::store::{Job, JobFile, Source};

/// What the allocator and a collection spend on one entry beyond the
/// entry's own bytes, roughly: a heap block's header and rounding, a tree's
/// half-empty nodes, a hash table's spare slots.
pub(crate) const ENTRY_OVERHEAD: usize = 16;

/// A job and the bytes it was charged when it came in.
#[derive(Debug)]
struct Kept {
    job: Job,
    bytes: usize,
}

/// The jobs held, with what they cost and when they finish.
#[derive(Debug)]
pub(crate) struct Held {
    /// By sequence number; boxed, so the tree's nodes stay small.
    jobs: BTreeMap<u64, Box<Kept>>,
    /// Jobs that have finished, as of the last create: those that may go.
    finished: BTreeSet<u64>,
    /// Jobs not yet known to have finished that will at a known instant.
    due: BTreeSet<(Duration, u64)>,
    bytes: usize,
    /// The part of `bytes` held by the jobs in `finished`.
    finished_bytes: usize,
    limit: usize,
    memory_limit: usize,
}

/// A create refused because the jobs that cannot be forgotten, with the new
/// one, would hold more than the byte budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full {
    /// Bytes held by unfinished jobs.
    pub(crate) unfinished: usize,
    /// Bytes the refused job would have held.
    pub(crate) needed: usize,
    /// The budget.
    pub(crate) limit: usize,
}

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            unfinished,
            needed,
            limit,
        } = self;
        write!(
            f,
            "too many unfinished import jobs: they hold {unfinished} bytes and this one \
             needs {needed}, over the emulator's job memory limit of {limit} bytes; retry \
             once jobs have finished (commit or abort two-phase ones)"
        )
    }
}

impl Held {
    /// At most `limit` jobs and `memory_limit` bytes, unfinished jobs apart.
    pub(crate) fn new(limit: usize, memory_limit: usize) -> Self {
        Self {
            jobs: BTreeMap::new(),
            finished: BTreeSet::new(),
            due: BTreeSet::new(),
            bytes: 0,
            finished_bytes: 0,
            limit,
            memory_limit,
        }
    }

    pub(crate) fn set_memory_limit(&mut self, bytes: usize) {
        self.memory_limit = bytes;
    }

    pub(crate) fn get(&self, seq: u64) -> Option<&Job> {
        self.jobs.get(&seq).map(|kept| &kept.job)
    }

    /// Runs `change` on the job `seq` (a commit or an abort), then files
    /// the job again under when it now finishes.
    pub(crate) fn update<R>(&mut self, seq: u64, change: impl FnOnce(&mut Job) -> R) -> Option<R> {
        let kept = self.jobs.get_mut(&seq)?;
        let before = kept.job.finished_from();
        let result = change(&mut kept.job);
        let after = kept.job.finished_from();
        if before != after {
            if let Some(at) = before {
                self.due.remove(&(at, seq));
            }
            if self.finished.remove(&seq) {
                self.finished_bytes -= kept.bytes;
            }
            if let Some(at) = after {
                self.due.insert((at, seq));
            }
        }
        Some(result)
    }

    /// The jobs in creation order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Job> + Clone {
        self.jobs.values().map(|kept| &kept.job)
    }

    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Bytes held, by the estimate of [`footprint`].
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Stores `job` as `seq` (above every sequence held) at a cost of
    /// `bytes`, once the oldest finished jobs are dropped to make room for
    /// it: afterwards at most `limit` jobs are held unless more are
    /// unfinished, and never more than the byte budget. Each dropped job is
    /// handed to `forget`. Refused, changing nothing, when the unfinished
    /// jobs and this one would hold more than the budget.
    pub(crate) fn admit(
        &mut self,
        seq: u64,
        job: Job,
        bytes: usize,
        now: Duration,
        mut forget: impl FnMut(u64, Job),
    ) -> Result<(), Full> {
        self.note_finished(now);
        let unfinished = self.bytes - self.finished_bytes;
        if unfinished.saturating_add(bytes) > self.memory_limit {
            return Err(Full {
                unfinished,
                needed: bytes,
                limit: self.memory_limit,
            });
        }
        while self.jobs.len() >= self.limit.max(1)
            || self.bytes.saturating_add(bytes) > self.memory_limit
        {
            let Some(oldest) = self.finished.pop_first() else {
                break;
            };
            if let Some(kept) = self.jobs.remove(&oldest) {
                self.bytes -= kept.bytes;
                self.finished_bytes -= kept.bytes;
                forget(oldest, kept.job);
            }
        }
        if let Some(at) = job.finished_from() {
            self.due.insert((at, seq));
        }
        self.bytes += bytes;
        self.jobs.insert(seq, Box::new(Kept { job, bytes }));
        Ok(())
    }

    /// Moves the jobs finished by `now` from `due` to `finished`.
    fn note_finished(&mut self, now: Duration) {
        while let Some(&(at, seq)) = self.due.first()
            && at <= now
        {
            self.due.pop_first();
            if let Some(kept) = self.jobs.get(&seq)
                && self.finished.insert(seq)
            {
                self.finished_bytes += kept.bytes;
            }
        }
    }
}

/// What a job holds in bytes, estimated once when it comes in: its own
/// struct and its place in [`Held`] (the box, a tree slot, an index entry),
/// then every string it owns by capacity, its files' structs and the
/// entries of its options, each heap block with [`ENTRY_OVERHEAD`]. Within
/// a few percent of what the allocator hands out for a job of long paths;
/// for a small job the fixed part dominates and is rounded up.
pub(crate) fn footprint(job: &Job) -> usize {
    let text = |s: &String| s.capacity() + ENTRY_OVERHEAD;
    let source = match &job.source {
        Source::Volume(name) => text(name),
        Source::ObjectUrls | Source::Files => 0,
    };
    let files = job.files.capacity() * size_of::<JobFile>()
        + job
            .files
            .iter()
            .map(|f| f.heap_bytes() + ENTRY_OVERHEAD)
            .sum::<usize>();
    let options = job
        .options
        .iter()
        .map(|(k, v)| size_of::<(String, String)>() + text(k) + text(v))
        .sum::<usize>();
    let held = size_of::<Kept>()
        + ENTRY_OVERHEAD
        + 2 * size_of::<u64>()
        + size_of::<(Duration, u64)>()
        + ENTRY_OVERHEAD;
    held + text(&job.id)
        + job.target.heap_bytes(ENTRY_OVERHEAD)
        + text(&job.db_name)
        + text(&job.collection_name)
        + text(&job.partition_name)
        + source
        + files
        + options
        + job.idempotency_key.as_ref().map_or(0, text)
}

#[cfg(test)]
mod tests;
