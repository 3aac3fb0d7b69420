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
use std::collections::{BTreeMap, HashMap};
use std::mem::size_of;
use std::time::Duration;

use super::retention::{ENTRY_OVERHEAD, Full, Held, footprint};
use super::{DEFAULT_JOB_MEMORY_LIMIT, EmulatedJob, JobState};
use crate::ABORTED_REASON;
use crate::request::option_keys;
pub(crate) use crate::two_phase::Action;

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

impl JobTarget {
    /// Bytes its strings hold, each charged `per_string` besides its
    /// capacity (see [`footprint`]).
    pub(crate) fn heap_bytes(&self, per_string: usize) -> usize {
        match self {
            Self::Cluster(id) => id.capacity() + per_string,
            Self::Project {
                project_id,
                region_id,
            } => project_id.capacity() + region_id.capacity() + 2 * per_string,
            Self::Milvus => 0,
        }
    }
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
    /// The `fileName` describe reports: read from `path` when it is the
    /// path's tail, so a path is held once (see [`JobFile::name`]).
    name: FileName,
    pub(crate) size: i64,
    pub(crate) rows: i64,
    pub(crate) fails: bool,
    /// Whether this file opens a new file group (groups are kept flat, one
    /// file after another, so a job holds no second copy of its paths).
    pub(crate) starts_group: bool,
}

/// Where a file's `fileName` is: a volume or Milvus path is its own name,
/// and an object URL's name is its key, the end of the URL, unless parsing
/// the URL changed it (percent-encoding, say).
#[derive(Debug)]
enum FileName {
    /// The path from this byte on (a char boundary).
    Tail(usize),
    /// A name that is not the path's tail.
    Own(Box<str>),
}

impl JobFile {
    /// The file `path`, reported as `name`; stored once when `name` ends
    /// `path`, as it nearly always does.
    fn new(path: String, name: String) -> Self {
        let name = match path.len().checked_sub(name.len()) {
            Some(at) if path.ends_with(name.as_str()) => FileName::Tail(at),
            _ => FileName::Own(name.into_boxed_str()),
        };
        Self {
            path,
            name,
            size: 0,
            rows: 0,
            fails: false,
            starts_group: false,
        }
    }

    /// The `fileName` describe reports.
    pub(crate) fn name(&self) -> &str {
        match &self.name {
            FileName::Tail(at) => self.path.get(*at..).unwrap_or_default(),
            FileName::Own(name) => name,
        }
    }

    /// Bytes the file holds beyond its own struct: its path, and its name
    /// where that is not read from the path.
    pub(crate) fn heap_bytes(&self) -> usize {
        let own_name = match &self.name {
            FileName::Tail(_) => 0,
            FileName::Own(name) => name.len(),
        };
        self.path.capacity() + own_name
    }
}

/// What a job does over time, fixed at create: from `created_at`, a tenth
/// of `duration` Pending, then Importing with progress as its
/// [`ProgressModel`] has it, then Completed, or, with `waits_for_commit`,
/// Uncommitted at 99 % until a [`Settlement`]; or, with `fails`, Failed at
/// half the duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    pub(crate) created_at: Duration,
    pub(crate) duration: Duration,
    pub(crate) progress: ProgressModel,
    pub(crate) fails: bool,
    /// Created with `auto_commit` false: the end of the import is
    /// `Uncommitted`, not `Completed`.
    pub(crate) waits_for_commit: bool,
}

/// What commit or abort recorded, and when: from that instant on it, not
/// the plan, decides the job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settlement {
    /// Committed at `at`: `Committing` for a tenth of the job duration, then
    /// `Completed`.
    Committed { at: Duration },
    /// Aborted at `at`: `Failed` from then on, with [`ABORTED_REASON`].
    Aborted { at: Duration },
}

impl Settlement {
    fn at(self) -> Duration {
        match self {
            Self::Committed { at } | Self::Aborted { at } => at,
        }
    }
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
    /// Commit or abort, once called (and accepted).
    pub(crate) settlement: Option<Settlement>,
}

/// The state of a job at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) state: JobState,
    pub(crate) progress: i64,
    /// Emulator time at which the job finished (completed or failed); never
    /// set while it waits for a commit or is committing.
    pub(crate) finished_at: Option<Duration>,
    /// Failed because it was aborted, not because a file failed.
    pub(crate) aborted: bool,
}

impl Snapshot {
    /// Rows of a file of `rows` imported so far: all once completed,
    /// otherwise in proportion to progress.
    ///
    /// This counts rows loaded, not rows visible, and follows progress in
    /// every state, so it never goes backwards: 99 % of them while
    /// `Uncommitted` or `Committing`, and for a failed or aborted job what
    /// it had loaded when it stopped, although none of those rows became
    /// visible. That is the simplest rule that stays consistent with
    /// `progress`; the real servers' counts for these states are unverified.
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
        let names: Vec<&str> = self.files.iter().map(JobFile::name).collect();
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

    /// Why the job failed: [`ABORTED_REASON`] if it was aborted, else the
    /// first failing file's reason; empty unless it failed.
    pub(crate) fn reason(&self, snap: &Snapshot) -> String {
        if snap.state != JobState::Failed {
            return String::new();
        }
        if snap.aborted {
            return ABORTED_REASON.to_owned();
        }
        self.files
            .iter()
            .find(|f| f.fails)
            .map(failure_reason)
            .unwrap_or_default()
    }

    /// Why one of the job's files failed: only a failing file of a job that
    /// failed on its own has a reason. An aborted job's files have none: the
    /// job, not a file, was stopped, and its own reason says so.
    pub(crate) fn file_reason(snap: &Snapshot, file: &JobFile) -> Option<String> {
        (snap.state == JobState::Failed && !snap.aborted && file.fails)
            .then(|| failure_reason(file))
    }

    /// The state as of `now`.
    pub(crate) fn snapshot(&self, now: Duration) -> Snapshot {
        snapshot_at(&self.plan, self.settlement, now)
    }

    /// From when the job is finished (its snapshot has a `finished_at`)
    /// for good, whatever the clock reads later; `None` while that instant
    /// is not known yet (a two-phase job not committed or aborted) or lies
    /// beyond the clock's range. What retention orders jobs by, without
    /// taking a snapshot of each at every create.
    pub(crate) fn finished_from(&self) -> Option<Duration> {
        finished_from(&self.plan, self.settlement)
    }

    /// Records a commit or an abort at `now`, or says why it is refused
    /// (the message the services give with code 2100), as open-source Milvus
    /// decides (milvus-io/milvus#48524, #50692):
    ///
    /// - commit only a job that is `Uncommitted`;
    /// - abort a job that is `Pending`, `Importing` or `Uncommitted`; not one
    ///   that is `Committing` or `Completed`, nor one that failed on its own;
    ///   aborting an aborted job again succeeds and changes nothing (older
    ///   servers refused it).
    pub(crate) fn settle(&mut self, action: Action, now: Duration) -> Result<(), String> {
        // Never before an earlier settlement, even if the clock was read early.
        let now = self.settlement.map_or(now, |s| now.max(s.at()));
        let snap = self.snapshot(now);
        let state = snap.state.describe_name();
        let id = &self.id;
        match (action, snap.state) {
            (Action::Commit, JobState::Uncommitted) => {
                self.settlement = Some(Settlement::Committed { at: now });
                Ok(())
            }
            (Action::Commit, _) => Err(format!(
                "import failed: job {id} is in state {state}, not Uncommitted"
            )),
            (Action::Abort, JobState::Pending | JobState::Importing | JobState::Uncommitted) => {
                self.settlement = Some(Settlement::Aborted { at: now });
                Ok(())
            }
            (Action::Abort, JobState::Failed) if snap.aborted => Ok(()),
            (Action::Abort, JobState::Failed) => Err(format!(
                "import failed: job {id} is in state {state}: it failed on its own, \
                 abort not allowed"
            )),
            (Action::Abort, JobState::Committing | JobState::Completed) => Err(format!(
                "import failed: job {id} is in state {state}, abort not allowed"
            )),
        }
    }
}

/// The state at `now` of a job with this plan and settlement; a pure
/// function, so every transition can be tested without a store or a clock.
///
/// A settlement counts only from its instant on; until then the plan
/// decides. Arithmetic saturates, so no duration or instant overflows.
pub(crate) fn snapshot_at(plan: &Plan, settlement: Option<Settlement>, now: Duration) -> Snapshot {
    match settlement {
        Some(Settlement::Aborted { at }) if now >= at => Snapshot {
            state: JobState::Failed,
            // As it was when aborted; a failed job never reads 100.
            progress: planned(plan, at).progress.min(99),
            finished_at: Some(at),
            aborted: true,
        },
        Some(Settlement::Committed { at }) if now >= at => {
            let done = at.saturating_add(plan.duration / 10);
            if now >= done {
                Snapshot {
                    state: JobState::Completed,
                    progress: 100,
                    finished_at: Some(done),
                    aborted: false,
                }
            } else {
                Snapshot {
                    state: JobState::Committing,
                    progress: 99,
                    finished_at: None,
                    aborted: false,
                }
            }
        }
        _ => planned(plan, now),
    }
}

/// [`Job::finished_from`], as a pure function of what a job stores.
///
/// The plan alone finishes a job half-way if it fails, at its end if it
/// commits itself, never if it waits for a commit; an instant past the end
/// of the clock (an overflow) is never reached. An abort finishes it at
/// once; a commit a tenth of the duration later (as [`snapshot_at`] has it,
/// saturating), whatever the plan said before (a commit is accepted only
/// of a job the plan had not finished).
pub(crate) fn finished_from(plan: &Plan, settlement: Option<Settlement>) -> Option<Duration> {
    let by_plan = if plan.fails {
        plan.created_at.checked_add(plan.duration / 2)
    } else if plan.waits_for_commit {
        None
    } else {
        plan.created_at.checked_add(plan.duration)
    };
    match settlement {
        None => by_plan,
        Some(Settlement::Aborted { at }) => Some(by_plan.map_or(at, |t| t.min(at))),
        Some(Settlement::Committed { at }) => Some(at.saturating_add(plan.duration / 10)),
    }
}

/// The state at `now` as the plan alone has it.
fn planned(plan: &Plan, now: Duration) -> Snapshot {
    let Plan {
        created_at,
        duration,
        progress,
        fails,
        waits_for_commit,
    } = *plan;
    let at = |state, progress, finished_at| Snapshot {
        state,
        progress,
        finished_at,
        aborted: false,
    };
    let elapsed = now.saturating_sub(created_at);
    if fails {
        let fail_after = duration / 2;
        if elapsed >= fail_after {
            return at(
                JobState::Failed,
                progress.percent(fail_after, duration),
                Some(created_at.saturating_add(fail_after)),
            );
        }
    }
    if elapsed >= duration {
        return if waits_for_commit {
            at(JobState::Uncommitted, 99, None)
        } else {
            at(
                JobState::Completed,
                100,
                Some(created_at.saturating_add(duration)),
            )
        };
    }
    if elapsed < duration / 10 {
        return at(JobState::Pending, 0, None);
    }
    at(
        JobState::Importing,
        progress.percent(elapsed, duration),
        None,
    )
}

/// Whether a job created with these options commits itself (the default),
/// read as open-source Milvus reads `auto_commit`: with Go's
/// `strconv.ParseBool`, so `1`, `t`, `T`, `TRUE`, `true`, `True` and `0`,
/// `f`, `F`, `FALSE`, `false`, `False`, nothing else (not even with spaces
/// around). Any other value (`""` included) is refused with the text of the
/// problem. That the real servers refuse the create for such a value, and
/// with which code, is unverified.
pub(crate) fn auto_commit(options: &BTreeMap<String, String>) -> Result<bool, String> {
    let Some(value) = options.get(option_keys::AUTO_COMMIT) else {
        return Ok(true);
    };
    match value.as_str() {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        other => Err(format!(
            "options.{} must be \"true\" or \"false\" (as Go's strconv.ParseBool \
             reads it), got {other:?}",
            option_keys::AUTO_COMMIT
        )),
    }
}

/// Why a failing file failed, naming it.
pub(crate) fn failure_reason(file: &JobFile) -> String {
    format!(
        "failed to read object {}: access denied (emulated failure)",
        file.path
    )
}

/// How the emulator's jobs report their percent while `Importing` (set with
/// [`EmulatorBuilder::progress_model`](super::EmulatorBuilder::progress_model)).
///
/// Real servers differ here, and a waiter that spaces its polls by the rate
/// the percent rises (see [`PollSchedule`](crate::PollSchedule)) behaves
/// differently on each: a percent that rises steadily lets it predict the
/// finish; one that stays at 0 until the job is done gives it no rate at
/// all; one that stops short while indexes build makes a prediction that
/// passes with no rise. The models let tests and benchmarks face each of
/// these on purpose.
///
/// Whatever the model, a job is `Pending` at 0 % for the first tenth of its
/// duration and `Completed` at 100 % at its end (or `Uncommitted` at 99 %,
/// for a two-phase import); the model decides only the percent in between,
/// including what a job that fails or is aborted reports it had reached.
/// The number of rows imported follows the percent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum ProgressModel {
    /// The percent rises linearly from 0 at the end of `Pending` to 99 just
    /// before the end (the default).
    #[default]
    Steady,
    /// The percent stays at 0 until the job ends: a server that reports no
    /// progress while it imports.
    Silent,
    /// The percent rises linearly to `at` (at most 99), then holds there
    /// for the last `share` of the job's duration (between 0 and 0.9, the
    /// time after `Pending`; NaN reads as 0), as a job holds while its
    /// indexes build. `Stall { at: 80, share: 0.3 }` of a 100 s job: 0 %
    /// at 10 s, 40 % at 40 s, 80 % from 70 s to 100 s, then `Completed`.
    Stall {
        /// The percent the job holds at.
        at: u8,
        /// The share of the job's duration spent holding.
        share: f64,
    },
}

impl ProgressModel {
    /// The percent `elapsed` after create of a job taking `duration`, while
    /// it is `Importing` (from a tenth of `duration` to its end).
    pub(crate) fn percent(self, elapsed: Duration, duration: Duration) -> i64 {
        match self {
            ProgressModel::Steady => progress_at(elapsed, duration),
            ProgressModel::Silent => 0,
            ProgressModel::Stall { at, share } => {
                let top = u128::from(at.min(99));
                let share = if share.is_nan() {
                    0.0
                } else {
                    share.clamp(0.0, 0.9)
                };
                // `as` saturates, and the hold is at most 0.9 of the duration.
                let hold = (duration.as_nanos() as f64 * share) as u128;
                let start = (duration / 10).as_nanos();
                let span = duration
                    .as_nanos()
                    .saturating_sub(hold)
                    .saturating_sub(start)
                    .max(1);
                let done = elapsed.as_nanos().saturating_sub(start).min(span);
                // Nanoseconds of a duration are below 2^95, `top` below 100:
                // the product fits.
                i64::try_from(done * top / span).unwrap_or(99)
            }
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
    /// The `auto_commit` option does not parse (see [`auto_commit`]).
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
    /// with nothing stored: an `auto_commit` that does not parse, checked
    /// before anything else, and a job the byte budget has no room for
    /// beside the unfinished ones.
    pub(crate) fn create(
        &mut self,
        new: NewJob,
        now: Duration,
        duration: Duration,
        fail_substrings: &[String],
    ) -> Result<(String, bool), Refused> {
        let waits_for_commit = !auto_commit(&new.options).map_err(Refused::InvalidOption)?;
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
        let by_url = new.source == Source::ObjectUrls;
        let mut files: Vec<JobFile> = new
            .groups
            .into_iter()
            .flat_map(|group| {
                group
                    .into_iter()
                    .enumerate()
                    .map(move |(i, path)| (i == 0, path))
            })
            .map(|(starts_group, mut path)| {
                path.shrink_to_fit();
                let h = fnv1a(path.as_bytes());
                let fails = fail_substrings
                    .iter()
                    .any(|s| !s.is_empty() && path.contains(s.as_str()));
                let name = if by_url {
                    object_name(&path)
                } else {
                    path.clone()
                };
                JobFile {
                    // 1 MiB to ~4 GiB, and 1,000 to ~5 billion rows: plausible, stable.
                    size: 1_048_576 + i64::try_from(h % 4_294_967_296).unwrap_or(0),
                    rows: 1_000 + i64::try_from((h >> 20) % 5_000_000_000).unwrap_or(0),
                    fails,
                    starts_group,
                    ..JobFile::new(path, name)
                }
            })
            .collect();
        files.shrink_to_fit();
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
pub(super) mod tests {
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

    pub(crate) fn new_job(url: &str, key: Option<&str>) -> NewJob {
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

    pub(crate) const D: Duration = Duration::from_secs(10);

    /// [`Store::create`] of a job whose options parse.
    pub(crate) fn create(
        store: &mut Store,
        new: NewJob,
        now: Duration,
        duration: Duration,
        fail: &[String],
    ) -> (String, bool) {
        store
            .create(new, now, duration, fail)
            .expect("valid options")
    }

    #[test]
    fn idempotency_keys_are_scoped_to_the_target() {
        let mut store = Store::new(10);
        let (a, _) = create(&mut store, new_job("s3://b/a", Some("k")), D, D, &[]);
        let mut on_project = new_job("s3://b/a", Some("k"));
        on_project.target = JobTarget::Project {
            project_id: "p".to_owned(),
            region_id: "r".to_owned(),
        };
        let (b, created) = create(&mut store, on_project, D, D, &[]);
        assert!(created);
        assert_ne!(a, b);
        let (again, created) = create(&mut store, new_job("s3://b/other", Some("k")), D, D, &[]);
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
        let (id, _) = create(&mut store, job, Duration::ZERO, D, &["fail".to_owned()]);
        let job = store.get(&id).expect("held");
        assert_eq!(
            job.groups(),
            [
                vec!["a/id.npy", "a/vec.npy"],
                vec!["b.parquet"],
                vec!["c/please-fail.json"]
            ]
        );
        assert_eq!(job.files[0].name(), "a/id.npy");
        assert!(job.plan.fails);
        assert_eq!(job.snapshot(D).state, JobState::Failed);
    }

    #[test]
    fn lookups_by_any_string_are_safe() {
        let mut store = Store::new(10);
        let (id, _) = create(
            &mut store,
            new_job("s3://b/a", None),
            Duration::ZERO,
            D,
            &[],
        );
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
        create(
            &mut store,
            new_job("s3://b/a", None),
            Duration::ZERO,
            max,
            &failing,
        );
        create(
            &mut store,
            new_job("s3://b/fail", None),
            Duration::ZERO,
            max,
            &failing,
        );
        create(&mut store, new_job("s3://b/b", None), max, max, &failing);
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

    // ---------------------------------------------------------- two-phase

    const CREATED: Duration = Duration::from_secs(100);

    pub(crate) fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// A 10 s job created at t=100 s.
    fn plan(fails: bool, waits_for_commit: bool) -> Plan {
        Plan {
            created_at: CREATED,
            duration: D,
            progress: ProgressModel::Steady,
            fails,
            waits_for_commit,
        }
    }

    /// (state, progress, finished_at, aborted) of a snapshot, to compare in one go.
    fn seen(
        plan: Plan,
        settlement: Option<Settlement>,
        now: Duration,
    ) -> (JobState, i64, Option<Duration>, bool) {
        let s = snapshot_at(&plan, settlement, now);
        (s.state, s.progress, s.finished_at, s.aborted)
    }

    #[test]
    fn auto_commit_reads_as_go_parse_bool() {
        let options =
            |v: &str| BTreeMap::from([(option_keys::AUTO_COMMIT.to_owned(), v.to_owned())]);
        assert_eq!(auto_commit(&BTreeMap::new()), Ok(true), "the default");
        for v in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(auto_commit(&options(v)), Ok(true), "{v}");
        }
        for v in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(auto_commit(&options(v)), Ok(false), "{v}");
        }
        for v in [
            "",
            " true",
            "false ",
            "tRUE",
            "yes",
            "no",
            "2",
            "é",
            "ｔｒｕｅ",
        ] {
            let problem = auto_commit(&options(v)).expect_err(v);
            assert!(
                problem.starts_with("options.auto_commit must be"),
                "{problem}"
            );
            assert!(problem.ends_with(&format!("got {v:?}")), "{problem}");
        }
        // Another key does not count.
        let other = BTreeMap::from([("AUTO_COMMIT".to_owned(), "maybe".to_owned())]);
        assert_eq!(auto_commit(&other), Ok(true));
    }

    #[test]
    fn an_auto_commit_plan_goes_pending_importing_completed() {
        let p = plan(false, false);
        assert_eq!(seen(p, None, CREATED), (JobState::Pending, 0, None, false));
        assert_eq!(
            seen(p, None, secs(100.999)),
            (JobState::Pending, 0, None, false)
        );
        assert_eq!(
            seen(p, None, secs(101.0)),
            (JobState::Importing, 0, None, false)
        );
        assert_eq!(
            seen(p, None, secs(105.5)),
            (JobState::Importing, 50, None, false)
        );
        let done = (JobState::Completed, 100, Some(secs(110.0)), false);
        assert_eq!(seen(p, None, secs(110.0)), done);
        assert_eq!(seen(p, None, Duration::MAX), done);
    }

    #[test]
    fn a_two_phase_plan_waits_in_uncommitted_for_ever() {
        let p = plan(false, true);
        assert_eq!(seen(p, None, CREATED), (JobState::Pending, 0, None, false));
        assert_eq!(
            seen(p, None, secs(105.5)),
            (JobState::Importing, 50, None, false)
        );
        assert_eq!(
            seen(p, None, secs(109.999)),
            (JobState::Importing, 99, None, false)
        );
        let waiting = (JobState::Uncommitted, 99, None, false);
        assert_eq!(seen(p, None, secs(110.0)), waiting);
        assert_eq!(seen(p, None, secs(1e9)), waiting);
        assert_eq!(seen(p, None, Duration::MAX), waiting);
    }

    #[test]
    fn a_commit_is_committing_for_a_tenth_of_the_duration_then_completed() {
        let p = plan(false, true);
        let committed = Some(Settlement::Committed { at: secs(120.0) });
        // Before its instant the settlement does not count.
        assert_eq!(
            seen(p, committed, secs(119.0)),
            (JobState::Uncommitted, 99, None, false)
        );
        let committing = (JobState::Committing, 99, None, false);
        assert_eq!(seen(p, committed, secs(120.0)), committing);
        assert_eq!(seen(p, committed, secs(120.999)), committing);
        let done = (JobState::Completed, 100, Some(secs(121.0)), false);
        assert_eq!(seen(p, committed, secs(121.0)), done);
        assert_eq!(seen(p, committed, Duration::MAX), done);
    }

    #[test]
    fn an_abort_fails_at_once_with_the_progress_it_had() {
        for waits in [false, true] {
            let p = plan(false, waits);
            let aborted = |at: f64| Some(Settlement::Aborted { at: secs(at) });
            let failed = |progress, at: f64| (JobState::Failed, progress, Some(secs(at)), true);
            // Pending, Importing, and (two-phase) Uncommitted.
            assert_eq!(seen(p, aborted(100.5), secs(100.5)), failed(0, 100.5));
            assert_eq!(seen(p, aborted(105.5), secs(105.5)), failed(50, 105.5));
            assert_eq!(seen(p, aborted(105.5), Duration::MAX), failed(50, 105.5));
            assert_eq!(
                seen(p, aborted(105.5), secs(105.0)),
                (JobState::Importing, 44, None, false),
                "not before its instant"
            );
            if waits {
                assert_eq!(seen(p, aborted(130.0), secs(131.0)), failed(99, 130.0));
            }
        }
        // Even a settlement the rules refuse cannot make a failed job read 100.
        let late = Some(Settlement::Aborted { at: secs(200.0) });
        assert_eq!(seen(plan(false, false), late, secs(200.0)).1, 99);
    }

    #[test]
    fn a_job_failing_on_its_own_fails_at_half_unless_aborted_first() {
        for waits in [false, true] {
            let p = plan(true, waits);
            assert_eq!(
                seen(p, None, secs(105.0)),
                (JobState::Failed, 44, Some(secs(105.0)), false)
            );
            assert_eq!(
                seen(p, None, Duration::MAX),
                (JobState::Failed, 44, Some(secs(105.0)), false)
            );
            let aborted = Some(Settlement::Aborted { at: secs(102.0) });
            assert_eq!(
                seen(p, aborted, secs(106.0)),
                (JobState::Failed, 11, Some(secs(102.0)), true)
            );
        }
    }

    /// A 10 s job created at t=100 s, reporting its percent by `model`.
    fn modelled(model: ProgressModel, fails: bool, waits_for_commit: bool) -> Plan {
        Plan {
            progress: model,
            ..plan(fails, waits_for_commit)
        }
    }

    #[test]
    fn a_silent_job_reports_nothing_until_it_ends() {
        let p = modelled(ProgressModel::Silent, false, false);
        assert_eq!(seen(p, None, CREATED), (JobState::Pending, 0, None, false));
        for at in [101.0, 105.5, 109.999] {
            assert_eq!(
                seen(p, None, secs(at)),
                (JobState::Importing, 0, None, false),
                "{at}"
            );
        }
        assert_eq!(
            seen(p, None, secs(110.0)),
            (JobState::Completed, 100, Some(secs(110.0)), false)
        );
        // Two-phase, failing on its own, aborted: still nothing before the end.
        let two_phase = modelled(ProgressModel::Silent, false, true);
        assert_eq!(
            seen(two_phase, None, secs(109.999)),
            (JobState::Importing, 0, None, false)
        );
        assert_eq!(
            seen(two_phase, None, secs(110.0)),
            (JobState::Uncommitted, 99, None, false)
        );
        assert_eq!(
            seen(
                modelled(ProgressModel::Silent, true, false),
                None,
                secs(106.0)
            ),
            (JobState::Failed, 0, Some(secs(105.0)), false)
        );
        let aborted = Some(Settlement::Aborted { at: secs(105.5) });
        assert_eq!(
            seen(p, aborted, secs(106.0)),
            (JobState::Failed, 0, Some(secs(105.5)), true)
        );
    }

    #[test]
    fn a_stalling_job_rises_to_its_percent_then_holds_until_the_end() {
        // 10 s: Pending to 1 s, rising 80 % over 6 s, holding 80 % for 3 s.
        let stall = ProgressModel::Stall { at: 80, share: 0.3 };
        let p = modelled(stall, false, false);
        let importing = |progress| (JobState::Importing, progress, None, false);
        assert_eq!(
            seen(p, None, secs(100.999)),
            (JobState::Pending, 0, None, false)
        );
        assert_eq!(seen(p, None, secs(101.0)), importing(0));
        assert_eq!(seen(p, None, secs(102.5)), importing(20));
        assert_eq!(seen(p, None, secs(104.0)), importing(40));
        assert_eq!(seen(p, None, secs(106.999)), importing(79));
        assert_eq!(seen(p, None, secs(107.0)), importing(80));
        assert_eq!(seen(p, None, secs(109.999)), importing(80));
        assert_eq!(
            seen(p, None, secs(110.0)),
            (JobState::Completed, 100, Some(secs(110.0)), false)
        );
        // Failing at half (5 s), it reports what it had reached.
        assert_eq!(
            seen(modelled(stall, true, false), None, secs(105.0)),
            (JobState::Failed, 53, Some(secs(105.0)), false)
        );
        // Out-of-range settings are clamped: at most 99 %, a share of 0 to
        // 0.9 (NaN as 0), where 0.9 jumps to `at` as Pending ends.
        let model = |at, share| modelled(ProgressModel::Stall { at, share }, false, false);
        assert_eq!(seen(model(255, 0.3), None, secs(107.0)).1, 99);
        assert_eq!(seen(model(80, f64::NAN), None, secs(105.5)).1, 40);
        assert_eq!(seen(model(80, -1.0), None, secs(105.5)).1, 40);
        assert_eq!(seen(model(80, 5.0), None, secs(101.0)).1, 0);
        assert_eq!(seen(model(80, 5.0), None, secs(101.001)).1, 80);
        assert_eq!(seen(model(80, 0.9), None, secs(101.001)).1, 80);
        // Steady by default, and with a stall of no share a linear rise to `at`.
        assert_eq!(ProgressModel::default(), ProgressModel::Steady);
        assert_eq!(seen(model(99, 0.0), None, secs(105.5)).1, 49);
    }

    #[test]
    fn every_model_survives_huge_durations() {
        let max = Duration::MAX;
        for model in [
            ProgressModel::Steady,
            ProgressModel::Silent,
            ProgressModel::Stall { at: 80, share: 0.3 },
            ProgressModel::Stall { at: 99, share: 0.9 },
        ] {
            for now in [max / 10, max / 2, max - Duration::from_nanos(1)] {
                let percent = model.percent(now, max);
                assert!((0..=99).contains(&percent), "{model:?} {now:?}: {percent}");
            }
            for (now, duration) in [(max, Duration::ZERO), (max, max), (Duration::ZERO, max)] {
                let percent = model.percent(now, duration);
                assert!((0..=99).contains(&percent), "{model:?} {now:?}: {percent}");
            }
        }
        let stall = ProgressModel::Stall { at: 80, share: 0.3 };
        assert_eq!(stall.percent(max / 2, max), 53);
        assert_eq!(stall.percent(max - Duration::from_nanos(1), max), 80);
    }

    #[test]
    fn the_store_gives_new_jobs_its_model() {
        let mut store = Store::new(10).with_progress_model(ProgressModel::Silent);
        let (id, _) = create(
            &mut store,
            new_job("s3://b/a", None),
            Duration::ZERO,
            D,
            &[],
        );
        let job = store.get(&id).expect("held");
        assert_eq!(job.plan.progress, ProgressModel::Silent);
        let snap = job.snapshot(secs(9.0));
        assert_eq!((snap.state, snap.progress), (JobState::Importing, 0));
        assert_eq!(snap.imported(1_000), 0, "rows follow the percent");
        assert_eq!(
            Store::new(10).progress,
            ProgressModel::Steady,
            "steady unless told"
        );
    }

    #[test]
    fn huge_durations_do_not_overflow_when_settled() {
        let max = Duration::MAX;
        let p = Plan {
            created_at: max,
            duration: max,
            progress: ProgressModel::Steady,
            fails: false,
            waits_for_commit: true,
        };
        assert_eq!(seen(p, None, max).0, JobState::Pending);
        let p = Plan {
            created_at: Duration::ZERO,
            ..p
        };
        assert_eq!(seen(p, None, max), (JobState::Uncommitted, 99, None, false));
        let committed = Some(Settlement::Committed { at: max });
        assert_eq!(
            seen(p, committed, max),
            (JobState::Completed, 100, Some(max), false)
        );
        let committed = Some(Settlement::Committed { at: max / 2 });
        assert_eq!(seen(p, committed, max / 2).0, JobState::Committing);
        let aborted = Some(Settlement::Aborted { at: max });
        assert_eq!(
            seen(p, aborted, max),
            (JobState::Failed, 99, Some(max), true)
        );
        let aborted = Some(Settlement::Aborted { at: Duration::ZERO });
        assert_eq!(
            seen(p, aborted, max),
            (JobState::Failed, 0, Some(Duration::ZERO), true)
        );
    }

    #[test]
    fn finished_from_is_when_snapshots_start_to_read_finished_for_good() {
        let aborted = |at| Some(Settlement::Aborted { at: secs(at) });
        let committed = Some(Settlement::Committed { at: secs(120.0) });
        // Every settlement the rules accept for each plan (fails, waits).
        let cases = [
            (plan(false, false), None, Some(110.0)),
            (plan(false, false), aborted(100.5), Some(100.5)),
            (plan(false, false), aborted(105.5), Some(105.5)),
            (plan(true, false), None, Some(105.0)),
            (plan(true, false), aborted(102.0), Some(102.0)),
            (plan(false, true), None, None),
            (plan(false, true), aborted(100.5), Some(100.5)),
            (plan(false, true), aborted(130.0), Some(130.0)),
            (plan(false, true), committed, Some(121.0)),
            (plan(true, true), None, Some(105.0)),
            (plan(true, true), aborted(102.0), Some(102.0)),
        ];
        for (p, settlement, expected) in cases {
            let from = finished_from(&p, settlement);
            assert_eq!(from, expected.map(secs), "{p:?} {settlement:?}");
            for tenth in 0..3_000 {
                let now = Duration::from_millis(100 * tenth);
                let finished = snapshot_at(&p, settlement, now).finished_at.is_some();
                assert_eq!(
                    finished,
                    from.is_some_and(|t| now >= t),
                    "{p:?} {settlement:?} {now:?}"
                );
            }
        }
        // An end beyond the clock is never reached; one at its edge is.
        let max = Duration::MAX;
        let late = Plan {
            created_at: max - secs(1.0),
            ..plan(false, false)
        };
        assert_eq!(finished_from(&late, None), None);
        assert_eq!(snapshot_at(&late, None, max).finished_at, None);
        let long = Plan {
            created_at: Duration::ZERO,
            duration: max,
            ..plan(true, false)
        };
        assert_eq!(finished_from(&long, None), Some(max / 2));
        let committed_at_the_end = Some(Settlement::Committed { at: max });
        assert_eq!(finished_from(&long, committed_at_the_end), Some(max));
        assert!(
            snapshot_at(&long, committed_at_the_end, max)
                .finished_at
                .is_some()
        );
    }

    /// A two-phase job (or, with `fail`, one whose file fails) created at t=0.
    pub(crate) fn two_phase(store: &mut Store, path: &str, auto_commit: &str) -> String {
        let mut job = new_job(path, None);
        job.options
            .insert(option_keys::AUTO_COMMIT.to_owned(), auto_commit.to_owned());
        create(store, job, Duration::ZERO, D, &["fail".to_owned()]).0
    }

    pub(crate) fn settle(
        store: &mut Store,
        id: &str,
        action: Action,
        at: f64,
    ) -> Result<(), String> {
        let target = JobTarget::Cluster("c".to_owned());
        store
            .settle(id, &target, action, secs(at))
            .expect("held on its cluster")
    }

    #[test]
    fn commit_is_refused_unless_uncommitted() {
        let mut store = Store::new(10);
        let id = two_phase(&mut store, "s3://b/a", "false");
        let refused = |state: &str| {
            Err(format!(
                "import failed: job {id} is in state {state}, not Uncommitted"
            ))
        };
        assert_eq!(
            settle(&mut store, &id, Action::Commit, 0.0),
            refused("Pending")
        );
        assert_eq!(
            settle(&mut store, &id, Action::Commit, 5.0),
            refused("Importing")
        );
        assert_eq!(settle(&mut store, &id, Action::Commit, 10.0), Ok(()));
        assert_eq!(
            settle(&mut store, &id, Action::Commit, 10.5),
            refused("Committing")
        );
        assert_eq!(
            settle(&mut store, &id, Action::Commit, 11.0),
            refused("Completed")
        );
        let job = store.get(&id).expect("held");
        assert_eq!(
            job.settlement,
            Some(Settlement::Committed { at: secs(10.0) })
        );
        assert_eq!(job.snapshot(secs(11.0)).finished_at, Some(secs(11.0)));

        let auto = two_phase(&mut store, "s3://b/b", "true");
        let refused = format!("import failed: job {auto} is in state Completed, not Uncommitted");
        assert_eq!(
            settle(&mut store, &auto, Action::Commit, 20.0),
            Err(refused)
        );
        let fails = two_phase(&mut store, "s3://b/fail", "false");
        let refused = format!("import failed: job {fails} is in state Failed, not Uncommitted");
        assert_eq!(
            settle(&mut store, &fails, Action::Commit, 20.0),
            Err(refused)
        );
        assert!(store.iter().skip(1).all(|j| j.settlement.is_none()));
    }

    #[test]
    fn abort_is_refused_once_committing_completed_or_failed_on_its_own() {
        let mut store = Store::new(10);
        let committed = two_phase(&mut store, "s3://b/a", "false");
        assert_eq!(settle(&mut store, &committed, Action::Commit, 10.0), Ok(()));
        let refused = |id: &str, state: &str| {
            Err(format!(
                "import failed: job {id} is in state {state}, abort not allowed"
            ))
        };
        assert_eq!(
            settle(&mut store, &committed, Action::Abort, 10.5),
            refused(&committed, "Committing")
        );
        assert_eq!(
            settle(&mut store, &committed, Action::Abort, 11.0),
            refused(&committed, "Completed")
        );
        let auto = two_phase(&mut store, "s3://b/b", "1");
        assert_eq!(
            settle(&mut store, &auto, Action::Abort, 10.0),
            refused(&auto, "Completed")
        );
        let fails = two_phase(&mut store, "s3://b/fail", "false");
        assert_eq!(
            settle(&mut store, &fails, Action::Abort, 5.0),
            Err(format!(
                "import failed: job {fails} is in state Failed: it failed on its own, abort not allowed"
            ))
        );
        let job = store.get(&fails).expect("held");
        let snap = job.snapshot(secs(5.0));
        assert!(!snap.aborted);
        assert!(
            job.reason(&snap)
                .starts_with("failed to read object s3://b/fail")
        );
    }

    #[test]
    fn abort_in_any_running_state_and_again_is_a_no_op() {
        let mut store = Store::new(10);
        for (at, progress) in [(0.0, 0), (5.5, 50), (30.0, 99)] {
            let id = two_phase(&mut store, "s3://b/a", "F");
            assert_eq!(settle(&mut store, &id, Action::Abort, at), Ok(()));
            // Again, later, and with a clock read before the first abort.
            assert_eq!(settle(&mut store, &id, Action::Abort, at + 100.0), Ok(()));
            assert_eq!(settle(&mut store, &id, Action::Abort, 0.0), Ok(()));
            let refused = format!("import failed: job {id} is in state Failed, not Uncommitted");
            assert_eq!(
                settle(&mut store, &id, Action::Commit, at + 100.0),
                Err(refused)
            );
            let job = store.get(&id).expect("held");
            assert_eq!(job.settlement, Some(Settlement::Aborted { at: secs(at) }));
            let snap = job.snapshot(Duration::MAX);
            assert_eq!(
                (snap.state, snap.progress, snap.finished_at, snap.aborted),
                (JobState::Failed, progress, Some(secs(at)), true)
            );
            assert_eq!(job.reason(&snap), ABORTED_REASON);
            assert!(
                job.files
                    .iter()
                    .all(|f| Job::file_reason(&snap, f).is_none())
            );
            assert_eq!(
                snap.imported(1_000),
                progress * 10,
                "rows loaded when stopped"
            );
        }
        // A job that would fail on its own, aborted before it does: aborted.
        let fails = two_phase(&mut store, "s3://b/fail", "false");
        assert_eq!(settle(&mut store, &fails, Action::Abort, 2.0), Ok(()));
        let job = store.get(&fails).expect("held");
        let snap = job.snapshot(secs(9.0));
        assert!(snap.aborted);
        assert_eq!(job.reason(&snap), ABORTED_REASON);
        assert!(
            job.files
                .iter()
                .all(|f| Job::file_reason(&snap, f).is_none())
        );
    }

    #[test]
    fn an_unparsable_auto_commit_stores_nothing() {
        let mut store = Store::new(10);
        let mut job = new_job("s3://b/a", Some("k"));
        job.options
            .insert(option_keys::AUTO_COMMIT.to_owned(), "maybe".to_owned());
        let Err(Refused::InvalidOption(problem)) = store.create(job, Duration::ZERO, D, &[]) else {
            panic!("refused as an invalid option");
        };
        assert!(problem.contains("\"maybe\""), "{problem}");
        assert_eq!((store.len(), store.idempotency_len()), (0, 0));
    }
}
