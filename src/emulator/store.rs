//! The emulator's jobs: how they are created, found, and how their state follows the clock.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use super::{EmulatedJob, JobState};

/// How long an `Idempotency-Key` is remembered, as in open-source Milvus.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// One file of a job; sizes and rows are derived from the URL so they are stable.
#[derive(Debug)]
pub(crate) struct JobFile {
    pub(crate) url: String,
    pub(crate) name: String,
    pub(crate) size: i64,
    pub(crate) rows: i64,
    pub(crate) fails: bool,
}

/// A job as stored: only what was asked for and when; state is computed on read.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) cluster_id: String,
    pub(crate) db_name: String,
    pub(crate) collection_name: String,
    pub(crate) partition_name: String,
    pub(crate) files: Vec<JobFile>,
    pub(crate) created_at: Duration,
    pub(crate) idempotency_key: Option<String>,
}

/// The state of a job at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) state: JobState,
    pub(crate) progress: i64,
    /// Emulator time at which the job finished (completed or failed).
    pub(crate) finished_at: Option<Duration>,
}

impl Job {
    pub(crate) fn fails(&self) -> bool {
        self.files.iter().any(|f| f.fails)
    }

    pub(crate) fn file_size(&self) -> i64 {
        self.files
            .iter()
            .fold(0, |sum, f| sum.saturating_add(f.size))
    }

    pub(crate) fn total_rows(&self) -> i64 {
        self.files
            .iter()
            .fold(0, |sum, f| sum.saturating_add(f.rows))
    }

    /// Names of all files, comma-separated, as one `fileName` for the whole job.
    pub(crate) fn file_name(&self) -> String {
        let names: Vec<&str> = self.files.iter().map(|f| f.name.as_str()).collect();
        names.join(",")
    }

    /// The first tenth of `duration` is Pending, the rest Importing with progress
    /// rising linearly, then Completed; a failing job stops at half the duration.
    pub(crate) fn snapshot(&self, now: Duration, duration: Duration) -> Snapshot {
        let elapsed = now.saturating_sub(self.created_at);
        if self.fails() {
            let fail_after = duration / 2;
            if elapsed >= fail_after {
                return Snapshot {
                    state: JobState::Failed,
                    progress: progress_at(fail_after, duration),
                    finished_at: Some(self.created_at.saturating_add(fail_after)),
                };
            }
        }
        if elapsed >= duration {
            return Snapshot {
                state: JobState::Completed,
                progress: 100,
                finished_at: Some(self.created_at.saturating_add(duration)),
            };
        }
        if elapsed < duration / 10 {
            return Snapshot {
                state: JobState::Pending,
                progress: 0,
                finished_at: None,
            };
        }
        Snapshot {
            state: JobState::Importing,
            progress: progress_at(elapsed, duration),
            finished_at: None,
        }
    }
}

/// Percent done while importing: 0 at a tenth of the duration, capped at 99.
fn progress_at(elapsed: Duration, duration: Duration) -> i64 {
    let start = (duration / 10).as_nanos();
    let span = duration.as_nanos().saturating_sub(start).max(1);
    let done = elapsed.as_nanos().saturating_sub(start);
    i64::try_from((done * 100 / span).min(99)).unwrap_or(99)
}

/// What a create asks for, already validated.
#[derive(Debug)]
pub(crate) struct NewJob {
    pub(crate) cluster_id: String,
    pub(crate) db_name: String,
    pub(crate) collection_name: String,
    pub(crate) partition_name: String,
    pub(crate) urls: Vec<String>,
    pub(crate) idempotency_key: Option<String>,
}

type IdemKey = (String, String, String, String);

/// The jobs still held, in creation order, plus the index of idempotency keys.
///
/// Job ids are `id_base + seq`, where `seq` counts creates from 0, so a job is
/// found from its id by arithmetic; jobs are only ever dropped from the front
/// (see [`Store::prune`]), so `jobs[i]` has sequence number `first_seq + i`.
#[derive(Debug)]
pub(crate) struct Store {
    jobs: VecDeque<Job>,
    first_seq: u64,
    idempotency: HashMap<IdemKey, (u64, Duration)>,
    id_base: u64,
    limit: usize,
}

impl Store {
    /// `limit`: once more than this many jobs are held, the oldest finished
    /// ones are dropped (see [`Store::prune`]).
    pub(crate) fn new(limit: usize) -> Self {
        // Ids look like the service's 18-digit decimal ids; a random base keeps
        // two emulators in one process from handing out the same ids.
        let id_base = 448_700_000_000_000_000 + fastrand::u64(0..10_000_000_000_000);
        Self {
            jobs: VecDeque::new(),
            first_seq: 0,
            idempotency: HashMap::new(),
            id_base,
            limit,
        }
    }

    fn next_seq(&self) -> u64 {
        self.first_seq.saturating_add(self.jobs.len() as u64)
    }

    fn by_seq(&self, seq: u64) -> Option<&Job> {
        let index = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.jobs.get(index)
    }

    /// Creates a job, or returns the existing one when the idempotency key was
    /// already used for the same cluster, database and collection.
    /// The bool is true when a new job was created.
    pub(crate) fn create(
        &mut self,
        new: NewJob,
        now: Duration,
        duration: Duration,
        fail_substrings: &[String],
    ) -> (String, bool) {
        let idem_key = new.idempotency_key.as_ref().map(|k| {
            (
                k.clone(),
                new.cluster_id.clone(),
                new.db_name.clone(),
                new.collection_name.clone(),
            )
        });
        if let Some(key) = &idem_key
            && let Some(&(seq, at)) = self.idempotency.get(key)
            && now.saturating_sub(at) < IDEMPOTENCY_TTL
            && let Some(job) = self.by_seq(seq)
        {
            return (job.id.clone(), false);
        }
        // Creation order is time order even if two creates read the clock in
        // the other order, so the front of the queue is always the oldest.
        let now = self
            .jobs
            .back()
            .map_or(now, |last| now.max(last.created_at));
        let seq = self.next_seq();
        let id = self.id_base.saturating_add(seq).to_string();
        let files = new
            .urls
            .into_iter()
            .map(|url| {
                let h = fnv1a(url.as_bytes());
                JobFile {
                    name: object_name(&url),
                    // 1 MiB to ~4 GiB, and 1,000 to ~5 billion rows: plausible, stable.
                    size: 1_048_576 + i64::try_from(h % 4_294_967_296).unwrap_or(0),
                    rows: 1_000 + i64::try_from((h >> 20) % 5_000_000_000).unwrap_or(0),
                    fails: fail_substrings
                        .iter()
                        .any(|s| !s.is_empty() && url.contains(s.as_str())),
                    url,
                }
            })
            .collect();
        self.jobs.push_back(Job {
            id: id.clone(),
            cluster_id: new.cluster_id,
            db_name: new.db_name,
            collection_name: new.collection_name,
            partition_name: new.partition_name,
            files,
            created_at: now,
            idempotency_key: new.idempotency_key,
        });
        if let Some(key) = idem_key {
            self.idempotency.insert(key, (seq, now));
        }
        self.prune(now, duration);
        (id, true)
    }

    /// Drops jobs from the front (oldest first) while more than `limit` are
    /// held and the oldest has finished; stops at the first one still running,
    /// so running jobs are never dropped. Their idempotency keys go with them.
    fn prune(&mut self, now: Duration, duration: Duration) {
        while self.jobs.len() > self.limit {
            let Some(front) = self.jobs.front() else {
                break;
            };
            if front.snapshot(now, duration).finished_at.is_none() {
                break;
            }
            let Some(job) = self.jobs.pop_front() else {
                break;
            };
            let seq = self.first_seq;
            self.first_seq = self.first_seq.saturating_add(1);
            if let Some(key) = job.idempotency_key {
                let key = (key, job.cluster_id, job.db_name, job.collection_name);
                if self.idempotency.get(&key).is_some_and(|&(s, _)| s == seq) {
                    self.idempotency.remove(&key);
                }
            }
        }
        // Keep the allocations in proportion to what is held.
        if self.jobs.capacity() > 2 * self.jobs.len().max(64) {
            self.jobs.shrink_to(self.jobs.len().max(64));
        }
        if self.idempotency.capacity() > 2 * self.idempotency.len().max(64) {
            self.idempotency.shrink_to(self.idempotency.len().max(64));
        }
    }

    /// The job with this id, if it is still held; any string is safe to pass.
    pub(crate) fn get(&self, id: &str) -> Option<&Job> {
        let seq = id.parse::<u64>().ok()?.checked_sub(self.id_base)?;
        // "+448…" or "0448…" parse to the same number but are not the id.
        self.by_seq(seq).filter(|job| job.id == id)
    }

    pub(crate) fn iter(&self) -> std::collections::vec_deque::Iter<'_, Job> {
        self.jobs.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }

    pub(crate) fn to_public(&self, now: Duration, duration: Duration) -> Vec<EmulatedJob> {
        self.jobs
            .iter()
            .map(|job| {
                let snap = job.snapshot(now, duration);
                EmulatedJob {
                    job_id: job.id.clone(),
                    cluster_id: job.cluster_id.clone(),
                    db_name: job.db_name.clone(),
                    collection_name: job.collection_name.clone(),
                    partition_name: job.partition_name.clone(),
                    object_urls: job.files.iter().map(|f| f.url.clone()).collect(),
                    file_name: job.file_name(),
                    file_size: job.file_size(),
                    total_rows: job.total_rows(),
                    state: snap.state,
                    progress: snap.progress,
                    idempotency_key: job.idempotency_key.clone(),
                    created_at: job.created_at,
                    finished_at: snap.finished_at,
                }
            })
            .collect()
    }
}

/// 64-bit FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The object's key within its bucket, as the service reports it in `fileName`.
///
/// `s3://bucket/key` gives `key`; a path-style `https://host/bucket/key` gives
/// `key`; anything unparsable gives the part after the last `/`.
pub(crate) fn object_name(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(u) => {
            let path = u.path().trim_start_matches('/');
            let key = if matches!(u.scheme(), "http" | "https") {
                match path.split_once('/') {
                    Some((_bucket, key)) if !key.is_empty() => key,
                    _ => path,
                }
            } else {
                path
            };
            if key.is_empty() {
                raw.to_owned()
            } else {
                key.to_owned()
            }
        }
        Err(_) => raw.rsplit('/').next().unwrap_or(raw).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names() {
        assert_eq!(
            object_name(
                "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json"
            ),
            "medium_articles_2020_dpr/medium_articles_2020_dpr.json"
        );
        assert_eq!(object_name("s3://bucket/dir/a.parquet"), "dir/a.parquet");
        assert_eq!(object_name("not a url/x.json"), "x.json");
    }

    fn new_job(url: &str, key: Option<&str>) -> NewJob {
        NewJob {
            cluster_id: "c".to_owned(),
            db_name: "default".to_owned(),
            collection_name: "coll".to_owned(),
            partition_name: String::new(),
            urls: vec![url.to_owned()],
            idempotency_key: key.map(str::to_owned),
        }
    }

    const D: Duration = Duration::from_secs(10);

    #[test]
    fn finished_jobs_beyond_the_limit_are_dropped_oldest_first() {
        let mut store = Store::new(3);
        let at = |s| Duration::from_secs(s);
        let (a, _) = store.create(new_job("s3://b/a", Some("k")), at(0), D, &[]);
        let (b, _) = store.create(new_job("s3://b/b", None), at(1), D, &[]);
        let (c, _) = store.create(new_job("s3://b/c", None), at(2), D, &[]);
        // Four jobs, but the oldest is still running at t=5: nothing dropped.
        let (d, _) = store.create(new_job("s3://b/d", None), at(5), D, &[]);
        assert_eq!(store.len(), 4);
        // At t=11 `a` (done at 10) and `b` (done at 11) have finished; both go
        // to get back to three.
        let (e, _) = store.create(new_job("s3://b/e", None), at(11), D, &[]);
        let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(held, [c.as_str(), d.as_str(), e.as_str()]);
        assert!(store.get(&a).is_none());
        assert!(store.get(&b).is_none());
        assert_eq!(store.get(&c).map(|j| j.id.as_str()), Some(c.as_str()));
        // The key went with its job: reusing it makes a new one.
        let (again, created) = store.create(new_job("s3://b/a", Some("k")), at(11), D, &[]);
        assert!(created);
        assert_ne!(again, a);
        assert_eq!(store.idempotency.len(), 1);
    }

    #[test]
    fn lookups_by_any_string_are_safe() {
        let mut store = Store::new(10);
        let (id, _) = store.create(new_job("s3://b/a", None), Duration::ZERO, D, &[]);
        assert!(store.get(&id).is_some());
        for other in [
            "",
            "0",
            "-1",
            "18446744073709551615",
            "99999999999999999999999",
            "é",
            &format!("+{id}"),
            &format!("0{id}"),
        ] {
            assert!(store.get(other).is_none(), "{other}");
        }
    }

    #[test]
    fn huge_durations_do_not_overflow() {
        let mut store = Store::new(10);
        let failing = ["fail".to_owned()];
        let max = Duration::MAX;
        store.create(new_job("s3://b/a", None), Duration::ZERO, max, &failing);
        store.create(new_job("s3://b/fail", None), Duration::ZERO, max, &failing);
        store.create(new_job("s3://b/b", None), max, max, &failing);
        let snaps: Vec<Snapshot> = store.iter().map(|j| j.snapshot(max, max)).collect();
        assert_eq!(snaps.len(), 3);
        assert_eq!(snaps[0].state, JobState::Completed);
        assert_eq!(snaps[0].finished_at, Some(max));
        assert_eq!(snaps[1].state, JobState::Failed);
        assert_eq!(snaps[1].finished_at, Some(max / 2));
        assert_eq!(snaps[2].state, JobState::Pending);
        assert!(
            store
                .iter()
                .all(|j| j.total_rows() > 0 && j.file_size() > 0)
        );
    }

    #[test]
    fn progress_curve() {
        let d = Duration::from_secs(10);
        assert_eq!(progress_at(Duration::from_secs(1), d), 0);
        assert_eq!(progress_at(Duration::from_millis(5_500), d), 50);
        assert_eq!(progress_at(Duration::from_secs(5), d), 44);
        assert_eq!(progress_at(Duration::from_secs(10), d), 99);
    }
}
