//! The emulator's jobs: how they are created, found, and how their state follows the clock.
//!
//! A job stores only what was asked for, its [`Plan`] and, once commit or
//! abort was called, its [`Settlement`]; its state at any instant is computed
//! from those on read ([`snapshot_at`]), so nothing runs in the background
//! and a manual clock can jump anywhere.
//!
//! # Two-phase imports
//!
//! Open-source Milvus's two-phase import (option `auto_commit` `"false"`,
//! then commit or abort) fits the same way: the plan says whether the job
//! waits for a commit (its end is then `Uncommitted` at 99 % instead of
//! `Completed`), and commit or abort records a settlement at the instant it
//! is called ([`Job::settle`], which also holds the rules for when they are
//! refused). From that instant on the settlement decides the state: a
//! commit is `Committing` for a tenth of the job duration, then `Completed`;
//! an abort is `Failed` at once with [`ABORTED_REASON`]. Before it, the plan
//! alone does, so a read that took the clock just before a settlement sees
//! the state just before it.

mod files;
mod job;
mod timeline;

use std::collections::{BTreeMap, HashMap};
use std::mem::size_of;
use std::time::Duration;

pub(crate) use job::{Action, Job, JobFile, JobTarget, Source};
pub use timeline::ProgressModel;

/// A data path with the bytes and, where counted, the rows found for it
/// in a volume the emulator holds.
pub(crate) type Measured = (String, (i64, Option<i64>));

use crate::DEFAULT_JOB_MEMORY_LIMIT;
use crate::retention::{ENTRY_OVERHEAD, Full, Held, footprint};
use crate::rules;
use crate::view::EmulatedJob;
use timeline::Plan;

/// How long an `Idempotency-Key` is remembered, as in open-source Milvus.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

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

/// Why a create stored nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The `auto_commit` or the `timeout` option does not parse (see
    /// [`rules::auto_commit`], [`rules::timeout_problem`]).
    InvalidOption(String),
    /// Unfinished jobs and this one would hold more than the byte budget.
    Full(Full),
}

/// The jobs still held, plus the index of idempotency keys.
///
/// Job ids are `id_base + seq`, where `seq` counts creates from 0, so a job
/// is found from its id by arithmetic, then in [`Held`] by its sequence
/// number, wherever pruning has left gaps.
#[derive(Debug)]
pub(crate) struct Store {
    jobs: Held,
    next_seq: u64,
    /// When the newest job was created, held or not: creation order is
    /// time order.
    last_created_at: Duration,
    idempotency: HashMap<IdemKey, (u64, Duration)>,
    id_base: u64,
    /// How the jobs created from now on report their percent.
    progress: ProgressModel,
}

impl Store {
    /// At most `limit` jobs, unfinished ones apart, and
    /// [`DEFAULT_JOB_MEMORY_LIMIT`] bytes (see [`Held::admit`]).
    pub(crate) fn new(limit: usize) -> Self {
        // Ids look like the service's 18-digit decimal ids; a random base keeps
        // two emulators in one process from handing out the same ids.
        let id_base = 448_700_000_000_000_000 + fastrand::u64(0..10_000_000_000_000);
        Self {
            jobs: Held::new(limit, DEFAULT_JOB_MEMORY_LIMIT),
            next_seq: 0,
            last_created_at: Duration::ZERO,
            idempotency: HashMap::new(),
            id_base,
            progress: ProgressModel::default(),
        }
    }

    /// Jobs created from now on report their percent as `model` has it.
    pub(crate) fn with_progress_model(mut self, model: ProgressModel) -> Self {
        self.progress = model;
        self
    }

    /// Holds at most `bytes` of jobs, by the estimate of [`footprint`].
    pub(crate) fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.jobs.set_memory_limit(bytes);
        self
    }

    /// Creates a job that takes `duration`, or returns the existing one when
    /// the idempotency key was already used for the same target, database
    /// and collection. A job fails when any of its paths contains one of
    /// `fail_substrings`, and waits for a commit when its `auto_commit`
    /// option is false. The bool is true when a new job was created. Refused
    /// with nothing stored: a `timeout` or an `auto_commit` option that does
    /// not parse, checked before anything else, and a job the byte budget
    /// has no room for beside the unfinished ones.
    pub(crate) fn create(
        &mut self,
        new: NewJob,
        now: Duration,
        duration: Duration,
        fail_substrings: &[String],
    ) -> Result<(String, bool), Refused> {
        if let Some(problem) = rules::timeout_problem(&new.options) {
            return Err(Refused::InvalidOption(problem));
        }
        let waits_for_commit = !rules::auto_commit(&new.options).map_err(Refused::InvalidOption)?;
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
            && let Some(job) = self.jobs.get(seq)
        {
            return Ok((job.id.clone(), false));
        }
        // Creation order is time order even if two creates read the clock in
        // the other order.
        let now = now.max(self.last_created_at);
        let seq = self.next_seq;
        let id = self.id_base.saturating_add(seq).to_string();
        let files = files::job_files(
            new.groups,
            new.source == Source::ObjectUrls,
            fail_substrings,
        );
        let plan = Plan {
            created_at: now,
            duration,
            progress: self.progress,
            fails: files.iter().any(|f| f.fails),
            waits_for_commit,
        };
        let job = Job {
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
            settlement: None,
        };
        let bytes = footprint(&job) + idem_key.as_ref().map_or(0, idempotency_footprint);
        let idempotency = &mut self.idempotency;
        self.jobs
            .admit(seq, job, bytes, now, |seq, job| {
                forget_key(idempotency, seq, job);
            })
            .map_err(Refused::Full)?;
        self.next_seq = seq.saturating_add(1);
        self.last_created_at = now;
        if let Some(key) = idem_key {
            self.idempotency.insert(key, (seq, now));
        }
        // Keep the index's allocation in proportion to what is held.
        if self.idempotency.capacity() > 2 * self.idempotency.len().max(64) {
            self.idempotency.shrink_to(self.idempotency.len().max(64));
        }
        Ok((id, true))
    }

    /// The job with this id, if it is still held; any string is safe to pass.
    pub(crate) fn get(&self, id: &str) -> Option<&Job> {
        self.jobs.get(self.seq_of(id)?)
    }

    /// Commits or aborts the job with this id if it is held and runs on
    /// `target`: `None` if not, else what [`Job::settle`] says.
    pub(crate) fn settle(
        &mut self,
        id: &str,
        target: &JobTarget,
        action: Action,
        now: Duration,
    ) -> Option<Result<(), String>> {
        let seq = self.seq_of(id)?;
        self.jobs.get(seq).filter(|job| job.target == *target)?;
        self.jobs.update(seq, |job| job.settle(action, now))
    }

    /// Marks the files of job `id` whose path is in `missing` as missing
    /// from their volume: the job fails, as the service's does when its
    /// import reads the files (see [`files::failure_reason`]).
    pub(crate) fn mark_missing(&mut self, id: &str, missing: &[String]) {
        let Some(seq) = self.seq_of(id) else { return };
        self.jobs.update(seq, |job| {
            for file in &mut job.files {
                if missing.contains(&file.path) {
                    (file.fails, file.missing) = (true, true);
                }
            }
            job.plan.fails |= job.files.iter().any(|f| f.missing);
        });
    }

    /// Gives the files of a new job whose path is in `measured` the bytes
    /// found, and the rows where they were counted.
    pub(crate) fn set_measured(&mut self, id: &str, measured: &[Measured]) {
        let Some(seq) = self.seq_of(id) else { return };
        self.jobs.update(seq, |job| {
            for file in &mut job.files {
                if let Some((_, (size, rows))) = measured.iter().find(|(p, _)| *p == file.path) {
                    file.size = *size;
                    if let Some(rows) = rows {
                        file.rows = *rows;
                    }
                }
            }
        });
    }

    /// The sequence number of the held job with this id.
    fn seq_of(&self, id: &str) -> Option<u64> {
        let seq = id.parse::<u64>().ok()?.checked_sub(self.id_base)?;
        // "+448…" or "0448…" parse to the same number but are not the id.
        self.jobs
            .get(seq)
            .is_some_and(|job| job.id == id)
            .then_some(seq)
    }

    /// The jobs held, in creation order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Job> + Clone {
        self.jobs.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Bytes the jobs held take, by the estimate of [`footprint`].
    pub(crate) fn bytes(&self) -> usize {
        self.jobs.bytes()
    }

    /// How many keys the idempotency index holds.
    #[cfg(test)]
    pub(crate) fn idempotency_len(&self) -> usize {
        self.idempotency.len()
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

/// What a key in the idempotency index holds: its own copy of the key,
/// target, database and collection, and the entry (as [`footprint`]
/// counts a job).
fn idempotency_footprint(key: &IdemKey) -> usize {
    let (k, target, db, collection) = key;
    let text = |s: &String| s.capacity() + ENTRY_OVERHEAD;
    size_of::<(IdemKey, (u64, Duration))>()
        + ENTRY_OVERHEAD
        + text(k)
        + target.heap_bytes(ENTRY_OVERHEAD)
        + text(db)
        + text(collection)
}

/// Drops the idempotency key of the forgotten job `seq`, unless it now
/// names a newer job.
fn forget_key(index: &mut HashMap<IdemKey, (u64, Duration)>, seq: u64, job: Job) {
    if let Some(key) = job.idempotency_key {
        let key = (key, job.target, job.db_name, job.collection_name);
        if index.get(&key).is_some_and(|&(s, _)| s == seq) {
            index.remove(&key);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
