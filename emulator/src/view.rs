//! Job states and jobs as tests see them ([`EmulatorHandle::jobs`](crate::EmulatorHandle::jobs)).

use std::collections::BTreeMap;
use std::time::Duration;

/// Job states as `describe` names them; the control plane's `list` uses
/// [`JobState::list_name`]. Open-source Milvus has more (such as
/// `PreImporting` or `IndexBuilding`), which the emulator does not model.
///
/// A job created with `auto_commit` `"false"` (a two-phase import) goes
/// `Pending`, `Importing`, then `Uncommitted` until it is committed
/// (`Committing`, then `Completed`) or aborted (`Failed`); see the
/// [crate docs](crate#two-phase-imports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobState {
    /// Accepted, not started (first tenth of the job duration).
    Pending,
    /// Rows being loaded; progress as the [`ProgressModel`](crate::ProgressModel) has it (rising
    /// linearly by default).
    Importing,
    /// A two-phase import whose rows are all loaded but not yet visible:
    /// progress 99, no `completeTime`, waiting for commit or abort for as
    /// long as it takes.
    Uncommitted,
    /// A committed two-phase import making its rows visible: progress 99
    /// for a tenth of the job duration, then `Completed`.
    Committing,
    /// All rows loaded (and committed); `totalRows` and `completeTime` are set.
    Completed,
    /// Stopped with a `reason`: a path matched a failure needle, or the job
    /// was aborted ([`ABORTED_REASON`](crate::ABORTED_REASON)).
    Failed,
}

impl JobState {
    /// The name `describe` reports, because clients match on these strings.
    pub fn describe_name(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Importing => "Importing",
            Self::Uncommitted => "Uncommitted",
            Self::Committing => "Committing",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
        }
    }

    /// The name the control plane's `list` reports, which differs from
    /// describe's (`InProgress`); Milvus's list uses describe's names.
    pub fn list_name(self) -> &'static str {
        match self {
            Self::Importing => "InProgress",
            other => other.describe_name(),
        }
    }
}

/// A job as the emulator sees it, for assertions in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatedJob {
    /// Id returned by create.
    pub job_id: String,
    /// Cluster the job was created on; empty for a project or Milvus job.
    pub cluster_id: String,
    /// Project the job was created on (`projectId`); empty otherwise.
    pub project_id: String,
    /// The project's region (`regionId`); empty for a cluster or Milvus job.
    pub region_id: String,
    /// Database name; `default` when the request left it empty (on Milvus,
    /// the `DB-Name` header when the body has none).
    pub db_name: String,
    /// Target collection.
    pub collection_name: String,
    /// Target partition; empty when not given.
    pub partition_name: String,
    /// Object URLs, flattened from `objectUrls` or the single `objectUrl`;
    /// empty for a volume or Milvus job.
    pub object_urls: Vec<String>,
    /// The volume imported from (`volumeName`); empty otherwise.
    pub volume_name: String,
    /// Paths inside the volume, flattened from `dataPaths`; empty otherwise.
    pub data_paths: Vec<String>,
    /// Milvus `files`, in their groups (empty groups dropped); empty otherwise.
    pub files: Vec<Vec<String>>,
    /// The import `options` as received (`null` values as `""`).
    pub options: BTreeMap<String, String>,
    /// The control plane's describe `fileName` (comma-separated for several
    /// files).
    pub file_name: String,
    /// The `fileSize` describe reports.
    pub file_size: i64,
    /// Rows the job imports. The control plane reports them in `totalRows`
    /// once completed (0 before); Milvus from the start, with `importedRows`
    /// rising to them.
    pub total_rows: i64,
    /// State as of the moment `jobs()` was called.
    pub state: JobState,
    /// Progress in percent as of that moment.
    pub progress: i64,
    /// The `Idempotency-Key` the create carried, if any.
    pub idempotency_key: Option<String>,
    /// Emulator time at creation.
    pub created_at: Duration,
    /// Emulator time at which it completed or failed, if it has (never
    /// while it waits for a commit or is committing).
    pub finished_at: Option<Duration>,
}
