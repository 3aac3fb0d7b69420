//! A job as stored: where it runs, what it reads, its files, and the rules
//! of commit and abort.

use std::collections::BTreeMap;
use std::time::Duration;

use super::files::failure_reason;
use super::timeline::{Plan, Settlement, finished_from, snapshot_at};
use crate::rules::ABORTED_REASON;
use crate::view::JobState;

/// What commit and abort ask of a two-phase job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Make the imported data visible (`/commit`).
    Commit,
    /// Stop and discard the job (`/abort`).
    Abort,
}

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
    /// Whether the file is missing from its volume (it `fails` too).
    pub(crate) missing: bool,
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
    pub(super) fn new(path: String, name: String) -> Self {
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
            missing: false,
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
