//! The emulator's jobs: how they are created, found, and how their state follows the clock.
//!
//! A job stores only what was asked for and its [`Plan`]; its state at any
//! instant is computed from the plan on read, so nothing runs in the
//! background and a manual clock can jump anywhere.
//!
//! # Later states
//!
//! Open-source Milvus's two-phase import (`auto_commit` `"false"`, then
//! commit or abort) adds `Uncommitted` and `Committing`. They fit without a
//! rewrite: the plan gains whether it waits for a commit (its end is then
//! `Uncommitted` instead of `Completed`), a job gains an optional settlement
//! that commit or abort records at the instant it is called, and
//! [`Job::snapshot`] consults the settlement before the plan. Lookups already
//! go through [`Store::get`]; commit and abort would add its `&mut` twin.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use super::{EmulatedJob, JobState};

/// How long an `Idempotency-Key` is remembered, as in open-source Milvus.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Where a job runs: what describe and list must name to find it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum JobTarget {
    /// A control-plane cluster (`clusterId`).
    Cluster(String),
    /// A control-plane project (`projectId` and `regionId`).
    Project {
        project_id: String,
        region_id: String,
    },
    /// Open-source Milvus: the server is the cluster, nothing names it.
    Milvus,
}

/// Where a job's files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// `objectUrls` (or the single `objectUrl`).
    ObjectUrls,
    /// `volumeName` with `dataPaths`.
    Volume(String),
    /// Open-source Milvus's `files`, in its own bucket.
    Files,
}

/// One file of a job; sizes and rows are derived from the path so they are stable.
#[derive(Debug)]
pub(crate) struct JobFile {
    /// The URL or path as sent.
    pub(crate) path: String,
    /// The `fileName` describe reports.
    pub(crate) name: String,
    pub(crate) size: i64,
    pub(crate) rows: i64,
    pub(crate) fails: bool,
    /// Whether this file opens a new file group (groups are kept flat, one
    /// file after another, so a job holds no second copy of its paths).
    pub(crate) starts_group: bool,
}

/// What a job does over time, fixed at create: from `created_at`, a tenth
/// of `duration` Pending, then Importing with progress rising linearly, then
/// Completed; or, with `fails`, Failed at half the duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) created_at: Duration,
    pub(crate) duration: Duration,
    pub(crate) fails: bool,
}

/// A job as stored.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) target: JobTarget,
    pub(crate) db_name: String,
    pub(crate) collection_name: String,
    pub(crate) partition_name: String,
    pub(crate) source: Source,
    pub(crate) files: Vec<JobFile>,
    pub(crate) options: BTreeMap<String, String>,
    pub(crate) idempotency_key: Option<String>,
    pub(crate) plan: Plan,
}

/// The state of a job at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) state: JobState,
    pub(crate) progress: i64,
    /// Emulator time at which the job finished (completed or failed).
    pub(crate) finished_at: Option<Duration>,
}

impl Snapshot {
    /// Rows of a file of `rows` imported so far: all once completed,
    /// otherwise in proportion to progress.
    pub(crate) fn imported(&self, rows: i64) -> i64 {
        if self.state == JobState::Completed {
            rows
        } else {
            rows.saturating_mul(self.progress) / 100
        }
    }
}

impl Job {
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

    /// The paths as sent, in their groups.
    pub(crate) fn groups(&self) -> Vec<Vec<String>> {
        let mut groups: Vec<Vec<String>> = Vec::new();
        for file in &self.files {
            match groups.last_mut() {
                Some(group) if !file.starts_group => group.push(file.path.clone()),
                _ => groups.push(vec![file.path.clone()]),
            }
        }
        groups
    }

    /// Why the job failed: the first failing file's reason, or empty.
    pub(crate) fn reason(&self, snap: &Snapshot) -> String {
        if snap.state != JobState::Failed {
            return String::new();
        }
        self.files
            .iter()
            .find(|f| f.fails)
            .map(failure_reason)
            .unwrap_or_default()
    }

    /// The state as of `now`, from the plan.
    pub(crate) fn snapshot(&self, now: Duration) -> Snapshot {
        let Plan {
            created_at,
            duration,
            fails,
        } = self.plan;
        let elapsed = now.saturating_sub(created_at);
        if fails {
            let fail_after = duration / 2;
            if elapsed >= fail_after {
                return Snapshot {
                    state: JobState::Failed,
                    progress: progress_at(fail_after, duration),
                    finished_at: Some(created_at.saturating_add(fail_after)),
                };
            }
        }
        if elapsed >= duration {
            return Snapshot {
                state: JobState::Completed,
                progress: 100,
                finished_at: Some(created_at.saturating_add(duration)),
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

/// Why a failing file failed, naming it.
pub(crate) fn failure_reason(file: &JobFile) -> String {
    format!(
        "failed to read object {}: access denied (emulated failure)",
        file.path
    )
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
    pub(crate) target: JobTarget,
    pub(crate) db_name: String,
    pub(crate) collection_name: String,
    pub(crate) partition_name: String,
    pub(crate) source: Source,
    /// The file groups, none of them empty.
    pub(crate) groups: Vec<Vec<String>>,
    pub(crate) options: BTreeMap<String, String>,
    pub(crate) idempotency_key: Option<String>,
}

/// An idempotency key is scoped to where the job runs: key, target,
/// database, collection.
type IdemKey = (String, JobTarget, String, String);

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

    /// Creates a job that takes `duration`, or returns the existing one when
    /// the idempotency key was already used for the same target, database
    /// and collection. A job fails when any of its paths contains one of
    /// `fail_substrings`. The bool is true when a new job was created.
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
                new.target.clone(),
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
            .map_or(now, |last| now.max(last.plan.created_at));
        let seq = self.next_seq();
        let id = self.id_base.saturating_add(seq).to_string();
        let by_url = new.source == Source::ObjectUrls;
        let files: Vec<JobFile> = new
            .groups
            .into_iter()
            .flat_map(|group| {
                group
                    .into_iter()
                    .enumerate()
                    .map(move |(i, path)| (i == 0, path))
            })
            .map(|(starts_group, path)| {
                let h = fnv1a(path.as_bytes());
                JobFile {
                    name: if by_url {
                        object_name(&path)
                    } else {
                        path.clone()
                    },
                    // 1 MiB to ~4 GiB, and 1,000 to ~5 billion rows: plausible, stable.
                    size: 1_048_576 + i64::try_from(h % 4_294_967_296).unwrap_or(0),
                    rows: 1_000 + i64::try_from((h >> 20) % 5_000_000_000).unwrap_or(0),
                    fails: fail_substrings
                        .iter()
                        .any(|s| !s.is_empty() && path.contains(s.as_str())),
                    starts_group,
                    path,
                }
            })
            .collect();
        let plan = Plan {
            created_at: now,
            duration,
            fails: files.iter().any(|f| f.fails),
        };
        self.jobs.push_back(Job {
            id: id.clone(),
            target: new.target,
            db_name: new.db_name,
            collection_name: new.collection_name,
            partition_name: new.partition_name,
            source: new.source,
            files,
            options: new.options,
            idempotency_key: new.idempotency_key,
            plan,
        });
        if let Some(key) = idem_key {
            self.idempotency.insert(key, (seq, now));
        }
        self.prune(now);
        (id, true)
    }

    /// Drops jobs from the front (oldest first) while more than `limit` are
    /// held and the oldest has finished; stops at the first one still running,
    /// so running jobs are never dropped. Their idempotency keys go with them.
    fn prune(&mut self, now: Duration) {
        while self.jobs.len() > self.limit {
            let Some(front) = self.jobs.front() else {
                break;
            };
            if front.snapshot(now).finished_at.is_none() {
                break;
            }
            let Some(job) = self.jobs.pop_front() else {
                break;
            };
            let seq = self.first_seq;
            self.first_seq = self.first_seq.saturating_add(1);
            if let Some(key) = job.idempotency_key {
                let key = (key, job.target, job.db_name, job.collection_name);
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

    pub(crate) fn to_public(&self, now: Duration) -> Vec<EmulatedJob> {
        self.jobs
            .iter()
            .map(|job| {
                let snap = job.snapshot(now);
                let (cluster_id, project_id, region_id) = match &job.target {
                    JobTarget::Cluster(id) => (id.clone(), String::new(), String::new()),
                    JobTarget::Project {
                        project_id,
                        region_id,
                    } => (String::new(), project_id.clone(), region_id.clone()),
                    JobTarget::Milvus => (String::new(), String::new(), String::new()),
                };
                let paths = || job.files.iter().map(|f| f.path.clone()).collect();
                let (object_urls, volume_name, data_paths, files) = match &job.source {
                    Source::ObjectUrls => (paths(), String::new(), Vec::new(), Vec::new()),
                    Source::Volume(name) => (Vec::new(), name.clone(), paths(), Vec::new()),
                    Source::Files => (Vec::new(), String::new(), Vec::new(), job.groups()),
                };
                EmulatedJob {
                    job_id: job.id.clone(),
                    cluster_id,
                    project_id,
                    region_id,
                    db_name: job.db_name.clone(),
                    collection_name: job.collection_name.clone(),
                    partition_name: job.partition_name.clone(),
                    object_urls,
                    volume_name,
                    data_paths,
                    files,
                    options: job.options.clone(),
                    file_name: job.file_name(),
                    file_size: job.file_size(),
                    total_rows: job.total_rows(),
                    state: snap.state,
                    progress: snap.progress,
                    idempotency_key: job.idempotency_key.clone(),
                    created_at: job.plan.created_at,
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
            target: JobTarget::Cluster("c".to_owned()),
            db_name: "default".to_owned(),
            collection_name: "coll".to_owned(),
            partition_name: String::new(),
            source: Source::ObjectUrls,
            groups: vec![vec![url.to_owned()]],
            options: BTreeMap::new(),
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
    fn idempotency_keys_are_scoped_to_the_target() {
        let mut store = Store::new(10);
        let (a, _) = store.create(new_job("s3://b/a", Some("k")), D, D, &[]);
        let mut on_project = new_job("s3://b/a", Some("k"));
        on_project.target = JobTarget::Project {
            project_id: "p".to_owned(),
            region_id: "r".to_owned(),
        };
        let (b, created) = store.create(on_project, D, D, &[]);
        assert!(created);
        assert_ne!(a, b);
        let (again, created) = store.create(new_job("s3://b/other", Some("k")), D, D, &[]);
        assert_eq!((again, created), (a, false));
    }

    #[test]
    fn groups_are_kept_and_any_path_can_fail() {
        let mut store = Store::new(10);
        let mut job = new_job("x", None);
        job.source = Source::Files;
        job.groups = vec![
            vec!["a/id.npy".to_owned(), "a/vec.npy".to_owned()],
            vec!["b.parquet".to_owned()],
            vec!["c/please-fail.json".to_owned()],
        ];
        let (id, _) = store.create(job, Duration::ZERO, D, &["fail".to_owned()]);
        let job = store.get(&id).expect("held");
        assert_eq!(
            job.groups(),
            [
                vec!["a/id.npy", "a/vec.npy"],
                vec!["b.parquet"],
                vec!["c/please-fail.json"]
            ]
        );
        assert_eq!(job.files[0].name, "a/id.npy");
        assert!(job.plan.fails);
        assert_eq!(job.snapshot(D).state, JobState::Failed);
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
        let snaps: Vec<Snapshot> = store.iter().map(|j| j.snapshot(max)).collect();
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
        for (job, snap) in store.iter().zip(&snaps) {
            assert!(snap.imported(job.total_rows()) <= job.total_rows());
        }
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
