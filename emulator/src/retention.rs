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

use super::store::{Job, JobFile, Source};

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
mod tests {
    use super::super::store::tests::{D, create, new_job, secs, settle, two_phase};
    use super::super::store::{Action, JobTarget, NewJob, Refused, Store};
    use super::*;
    use crate::request::option_keys;

    #[test]
    fn finished_jobs_beyond_the_limit_are_dropped_oldest_first() {
        let mut store = Store::new(3);
        let at = |s| Duration::from_secs(s);
        let (a, _) = create(&mut store, new_job("s3://b/a", Some("k")), at(0), D, &[]);
        let (b, _) = create(&mut store, new_job("s3://b/b", None), at(1), D, &[]);
        let (c, _) = create(&mut store, new_job("s3://b/c", None), at(2), D, &[]);
        // Four jobs, but the oldest is still running at t=5: nothing dropped.
        let (d, _) = create(&mut store, new_job("s3://b/d", None), at(5), D, &[]);
        assert_eq!(store.len(), 4);
        // At t=11 `a` (done at 10) and `b` (done at 11) have finished; both go
        // to get back to three.
        let (e, _) = create(&mut store, new_job("s3://b/e", None), at(11), D, &[]);
        let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(held, [c.as_str(), d.as_str(), e.as_str()]);
        assert!(store.get(&a).is_none());
        assert!(store.get(&b).is_none());
        assert_eq!(store.get(&c).map(|j| j.id.as_str()), Some(c.as_str()));
        // The key went with its job: reusing it makes a new one.
        let (again, created) = create(&mut store, new_job("s3://b/a", Some("k")), at(11), D, &[]);
        assert!(created);
        assert_ne!(again, a);
        assert_eq!(store.idempotency_len(), 1);
    }

    #[test]
    fn pruning_skips_an_unfinished_job_and_holds_the_limit() {
        let mut store = Store::new(5);
        let waiting = two_phase(&mut store, "s3://b/waiting", "false");
        let mut ids = Vec::new();
        // Each job is done 10 s after its create, long before the next one.
        for i in 1..=20u32 {
            let url = format!("s3://b/{i}");
            let key = format!("k{i}");
            let at = Duration::from_secs(u64::from(i) * 100);
            ids.push(create(&mut store, new_job(&url, Some(&key)), at, D, &[]).0);
            assert_eq!(
                store.len(),
                (usize::try_from(i).unwrap() + 1).min(5),
                "after create {i}"
            );
        }
        let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
        let mut expected = vec![waiting.as_str()];
        expected.extend(ids[16..].iter().map(String::as_str));
        assert_eq!(
            held, expected,
            "the waiting job, then the newest, in creation order"
        );
        // Lookups by id still find exactly the held jobs.
        assert_eq!(
            store.get(&waiting).map(|j| j.id.as_str()),
            Some(waiting.as_str())
        );
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(store.get(id).is_some(), i >= 16, "{i}");
        }
        // Idempotency keys: a held job's still finds it, a forgotten one's is free.
        let at = Duration::from_secs(2_100);
        let again = create(&mut store, new_job("s3://b/20", Some("k20")), at, D, &[]);
        assert_eq!(again, (ids[19].clone(), false));
        let (new, created) = create(&mut store, new_job("s3://b/1", Some("k1")), at, D, &[]);
        assert!(created);
        assert!(!ids.contains(&new));
        assert_eq!(
            store.idempotency_len(),
            4,
            "keys of the four held auto-commit jobs"
        );
    }

    #[test]
    fn jobs_waiting_for_a_commit_are_never_forgotten() {
        let mut store = Store::new(1);
        let waiting = two_phase(&mut store, "s3://b/a", "false");
        let committing = two_phase(&mut store, "s3://b/b", "false");
        // Both wait at t=10; committing one at t=100 keeps it until t=101.
        assert_eq!(
            settle(&mut store, &committing, Action::Commit, 100.0),
            Ok(())
        );
        create(&mut store, new_job("s3://b/c", None), secs(100.5), D, &[]);
        assert_eq!(store.len(), 3);
        // Once aborted the oldest has finished, as have the other two by
        // t=10^6: all three go, leaving the new one.
        assert_eq!(settle(&mut store, &waiting, Action::Abort, 1e6), Ok(()));
        let (last, _) = create(&mut store, new_job("s3://b/d", None), secs(1e6), D, &[]);
        let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(held, [last.as_str()]);
    }

    /// The bytes one job of this shape is charged, alone in a store.
    fn cost_of(job: NewJob) -> usize {
        let mut store = Store::new(10).with_memory_limit(usize::MAX);
        create(&mut store, job, Duration::ZERO, D, &[]);
        store.bytes()
    }

    /// Jobs of one shape, each the same size as the others: `i` is written
    /// with four digits.
    type Shape = fn(usize) -> NewJob;

    fn one_long_url(i: usize) -> NewJob {
        new_job(&format!("s3://b/{i:04}/{}", "x".repeat(50_000)), None)
    }

    fn many_short_urls(i: usize) -> NewJob {
        NewJob {
            groups: (0..1_000)
                .map(|j| vec![format!("s3://b/{i:04}/{j:04}.json")])
                .collect(),
            ..new_job("", None)
        }
    }

    fn milvus_file_groups(i: usize) -> NewJob {
        NewJob {
            target: JobTarget::Milvus,
            source: Source::Files,
            groups: (0..100)
                .map(|j| (0..5).map(|k| format!("{i:04}/g{j:03}/{k}.npy")).collect())
                .collect(),
            ..new_job("", None)
        }
    }

    fn many_options(i: usize) -> NewJob {
        NewJob {
            options: (0..300)
                .map(|j| (format!("k{i:04}{j:03}"), "v".repeat(100)))
                .collect(),
            ..new_job("s3://b/a", None)
        }
    }

    fn long_names_and_key(i: usize) -> NewJob {
        NewJob {
            db_name: "d".repeat(20_000),
            collection_name: format!("{}{i:04}", "c".repeat(20_000)),
            partition_name: "p".repeat(20_000),
            ..new_job("s3://b/a", Some(&format!("{i:04}{}", "k".repeat(1_000))))
        }
    }

    fn a_volume(i: usize) -> NewJob {
        NewJob {
            source: Source::Volume(format!("{i:04}{}", "v".repeat(30_000))),
            groups: (0..10).map(|j| vec![format!("dir/{j}.parquet")]).collect(),
            ..new_job("", None)
        }
    }

    const SHAPES: [(&str, Shape); 6] = [
        ("one long URL", one_long_url),
        ("many short URLs", many_short_urls),
        ("Milvus file groups", milvus_file_groups),
        ("many options", many_options),
        ("long names and key", long_names_and_key),
        ("a volume", a_volume),
    ];

    #[test]
    fn the_byte_budget_holds_whatever_the_shape_of_the_jobs() {
        for (shape, job) in SHAPES {
            let cost = cost_of(job(0));
            let limit = 20 * cost + cost / 2;
            let mut store = Store::new(10_000).with_memory_limit(limit);
            let mut ids = Vec::new();
            for i in 0..60 {
                // Each job is done 10 s after its create, before the next one.
                let at = Duration::from_secs(100 * u64::try_from(i).unwrap());
                ids.push(create(&mut store, job(i), at, D, &[]).0);
                assert_eq!(store.len(), (i + 1).min(20), "{shape}: after create {i}");
                assert_eq!(
                    store.bytes(),
                    store.len() * cost,
                    "{shape}: kept, not recounted"
                );
                assert!(store.bytes() <= limit, "{shape}");
            }
            let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
            assert_eq!(held, ids[40..], "{shape}: the newest, in creation order");
            assert_eq!(
                store.idempotency_len(),
                held.len() * usize::from(shape == "long names and key")
            );
        }
    }

    #[test]
    fn what_a_job_holds_is_estimated_from_its_paths_held_once() {
        // The create: 1,000 groups of 1,900-character paths.
        let path = |j: usize| format!("s3://bucket/{j:04}/{}", "p".repeat(1_883));
        assert_eq!(path(0).len(), 1_900);
        let groups: Vec<Vec<String>> = (0..1_000).map(|j| vec![path(j)]).collect();
        let by_url = NewJob {
            groups: groups.clone(),
            ..new_job("", None)
        };
        let on_volume = NewJob {
            source: Source::Volume("v".to_owned()),
            groups: groups.clone(),
            ..new_job("", None)
        };
        let on_milvus = NewJob {
            target: JobTarget::Milvus,
            source: Source::Files,
            groups,
            ..new_job("", None)
        };
        for new in [by_url, on_volume, on_milvus] {
            let mut store = Store::new(10).with_memory_limit(usize::MAX);
            let (id, _) = create(&mut store, new, Duration::ZERO, D, &[]);
            let job = store.get(&id).expect("held");
            for file in &job.files {
                // The name is read from the path, not a copy of it.
                let name = file.name();
                let tail = &file.path[file.path.len() - name.len()..];
                assert!(std::ptr::eq(name, tail), "{} bytes copied", name.len());
                assert_eq!(file.heap_bytes(), 1_900);
            }
            // The paths, plus a few percent for the structs around them.
            let payload = 1_000 * 1_900;
            assert!(
                (payload..payload + payload / 20).contains(&store.bytes()),
                "{}",
                store.bytes()
            );
        }
        // A name that parsing changed is its own string, and is counted.
        let mut store = Store::new(10).with_memory_limit(usize::MAX);
        let (id, _) = create(
            &mut store,
            new_job("s3://b/a b.json", None),
            Duration::ZERO,
            D,
            &[],
        );
        let file = &store.get(&id).expect("held").files[0];
        assert_eq!(file.name(), "a%20b.json");
        assert_eq!(
            file.heap_bytes(),
            "s3://b/a b.json".len() + "a%20b.json".len()
        );
    }

    /// A job of one 1,000-character URL, two-phase unless `auto_commit` is
    /// "1", with the idempotency key `key`.
    fn keyed(key: &str, auto_commit: &str) -> NewJob {
        let mut job = new_job(&format!("s3://b/{}", "x".repeat(1_000)), Some(key));
        job.options
            .insert(option_keys::AUTO_COMMIT.to_owned(), auto_commit.to_owned());
        job
    }

    #[test]
    fn a_create_the_unfinished_jobs_leave_no_room_for_stores_nothing() {
        let c = cost_of(keyed("k0", "0"));
        assert_eq!(cost_of(keyed("k0", "1")), c, "jobs of one size");
        let limit = 3 * c + c / 2;
        let mut store = Store::new(10).with_memory_limit(limit);
        let at = |s: u64| Duration::from_secs(s);
        let (finished, _) = create(&mut store, keyed("k0", "1"), at(0), D, &[]);
        let (w1, _) = create(&mut store, keyed("k1", "0"), at(20), D, &[]);
        let (w2, _) = create(&mut store, keyed("k2", "0"), at(20), D, &[]);
        assert_eq!(store.len(), 3);
        // A third waiting job fits once the finished one goes.
        let (w3, _) = create(&mut store, keyed("k3", "0"), at(20), D, &[]);
        let held = |store: &Store| store.iter().map(|j| j.id.clone()).collect::<Vec<_>>();
        assert_eq!(held(&store), [w1.clone(), w2.clone(), w3.clone()]);
        assert!(store.get(&finished).is_none());
        // A fourth does not: refused, and nothing changed.
        let full = Full {
            unfinished: 3 * c,
            needed: c,
            limit,
        };
        assert_eq!(
            store.create(keyed("k4", "0"), at(30), D, &[]),
            Err(Refused::Full(full))
        );
        assert_eq!(held(&store), [w1.clone(), w2.clone(), w3.clone()]);
        assert_eq!((store.bytes(), store.idempotency_len()), (3 * c, 3));
        assert_eq!(
            full.to_string(),
            format!(
                "too many unfinished import jobs: they hold {} bytes and this one needs {c}, \
                 over the emulator's job memory limit of {limit} bytes; retry once jobs have \
                 finished (commit or abort two-phase ones)",
                3 * c
            )
        );
        // Aborted, the oldest has finished: the retry is stored in its place,
        // with the id the refused create would have had.
        assert_eq!(settle(&mut store, &w1, Action::Abort, 40.0), Ok(()));
        let (w4, created) = create(&mut store, keyed("k4", "0"), at(40), D, &[]);
        assert!(created);
        let next: u64 = w3.parse::<u64>().unwrap() + 1;
        assert_eq!(w4, next.to_string());
        assert_eq!(held(&store), [w2, w3, w4.clone()]);
        assert_eq!((store.bytes(), store.idempotency_len()), (3 * c, 3));
        assert_eq!(
            create(&mut store, keyed("k4", "0"), at(40), D, &[]),
            (w4, false)
        );
        // A job larger than the whole budget is refused on an empty store.
        let mut small = Store::new(10).with_memory_limit(c - 1);
        let refused = small.create(keyed("k0", "1"), at(0), D, &[]);
        let too_big = Full {
            unfinished: 0,
            needed: c,
            limit: c - 1,
        };
        assert_eq!(refused, Err(Refused::Full(too_big)));
        assert_eq!(
            (small.len(), small.bytes(), small.idempotency_len()),
            (0, 0, 0)
        );
    }

    #[test]
    fn lookups_and_listing_stay_right_after_pruning_from_the_middle() {
        let mut store = Store::new(4);
        let job = |key: &str, auto_commit: &str| {
            let mut job = new_job(&format!("s3://b/{key}"), Some(key));
            job.options
                .insert(option_keys::AUTO_COMMIT.to_owned(), auto_commit.to_owned());
            job
        };
        let mut make = |key: &str, auto_commit: &str, at: f64| {
            create(&mut store, job(key, auto_commit), secs(at), D, &[]).0
        };
        let a = make("a", "true", 0.0);
        let w = make("w", "false", 0.0);
        let b = make("b", "true", 0.0);
        let c = make("c", "true", 0.0);
        let d = make("d", "true", 100.0);
        let e = make("e", "true", 200.0);
        let check = |store: &Store, held: &[&String], gone: &[&String]| {
            let listed: Vec<&String> = store.iter().map(|j| &j.id).collect();
            assert_eq!(listed, held, "creation order");
            let backwards: Vec<&String> = store.iter().rev().map(|j| &j.id).collect();
            assert!(backwards.iter().eq(held.iter().rev()));
            for id in held {
                assert_eq!(store.get(id).map(|j| &j.id), Some(*id));
            }
            for id in gone {
                assert!(store.get(id).is_none(), "{id}");
            }
            assert_eq!(store.idempotency_len(), held.len());
        };
        // `a` and `b` went, oldest finished first; `w` waits in between.
        check(&store, &[&w, &c, &d, &e], &[&a, &b]);
        // The waiting job's key still finds it; a forgotten one's is free.
        assert_eq!(
            create(&mut store, job("w", "false"), secs(200.0), D, &[]),
            (w.clone(), false)
        );
        assert_eq!(store.len(), 4);
        // Committed at 200 s, it is Committing until 201 s: kept past `c`.
        assert_eq!(settle(&mut store, &w, Action::Commit, 200.0), Ok(()));
        let f = create(&mut store, job("f", "true"), secs(200.5), D, &[]).0;
        check(&store, &[&w, &d, &e, &f], &[&a, &b, &c]);
        // Completed at 201 s, it is now the oldest finished job.
        let g = create(&mut store, job("g", "true"), secs(300.0), D, &[]).0;
        check(&store, &[&d, &e, &f, &g], &[&a, &b, &c, &w]);
        let (again, created) = create(&mut store, job("w", "false"), secs(300.0), D, &[]);
        assert!(created);
        assert_ne!(again, w);
    }
}
