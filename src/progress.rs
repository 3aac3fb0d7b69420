//! Typed views of what describe and list return.
//!
//! The generated types mirror the wire (every field optional, state an open
//! string); these are what callers branch on: a state enum that still holds
//! states this crate has never heard of, a percent that is always 0 to 100,
//! and empty strings turned into `None`.

use std::fmt;

use crate::{
    generated::types,
    redact::{Scrubber, escape_controls},
};

/// The reason open-source Milvus gives a job it ended `Failed` because it
/// was aborted (since milvus-io/milvus#50692); what tells an abort from a
/// failure. The emulator gives the same.
pub const ABORTED_REASON: &str = "aborted by user";

/// Where an import job (or one of its files) stands.
///
/// The names are the services': the control plane reports the first four;
/// open-source Milvus also the steps of its pipeline (`PreImporting`,
/// `Stats`, `IndexBuilding`, `Sorting`) and, for a two-phase import
/// (`auto_commit` `"false"`), `Uncommitted` and `Committing`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
#[non_exhaustive]
pub enum ImportState {
    /// Queued, not started.
    Pending,
    /// Checking the files before importing them (Milvus).
    PreImporting,
    /// Running. The list operation calls this `InProgress`.
    Importing,
    /// Gathering statistics of the imported segments (Milvus).
    Stats,
    /// Building the indexes of the imported data (Milvus); progress has
    /// been seen to stay near 80 for a long time here.
    IndexBuilding,
    /// Sorting the imported segments (Milvus).
    Sorting,
    /// A two-phase import whose data is imported but not visible: it waits
    /// for [commit](crate::Client::commit_import_job) or
    /// [abort](crate::Client::abort_import_job) (Milvus reports 99 %).
    Uncommitted,
    /// A committed two-phase import on its way to `Completed`.
    Committing,
    /// Done; the data is in the collection.
    Completed,
    /// Ended without importing; see the job's reason (an aborted job is
    /// `Failed` too, with [`ABORTED_REASON`]).
    Failed,
    /// A state this crate does not know yet. Treated as running.
    Other(String),
}

/// Every named state with its name, written once for both directions.
const NAMES: [(ImportState, &str); 10] = [
    (ImportState::Pending, "Pending"),
    (ImportState::PreImporting, "PreImporting"),
    (ImportState::Importing, "Importing"),
    (ImportState::Stats, "Stats"),
    (ImportState::IndexBuilding, "IndexBuilding"),
    (ImportState::Sorting, "Sorting"),
    (ImportState::Uncommitted, "Uncommitted"),
    (ImportState::Committing, "Committing"),
    (ImportState::Completed, "Completed"),
    (ImportState::Failed, "Failed"),
];

impl ImportState {
    /// Whether the job will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, ImportState::Completed | ImportState::Failed)
    }

    /// Whether the job waits for a commit or an abort: it will not change
    /// by itself, but is not over.
    pub fn awaits_commit(&self) -> bool {
        *self == ImportState::Uncommitted
    }

    /// The name as the service spells it (list's `InProgress` reads `Importing`).
    pub fn as_str(&self) -> &str {
        match self {
            ImportState::Other(s) => s,
            named => NAMES
                .iter()
                .find(|(state, _)| state == named)
                .map_or("", |(_, name)| name),
        }
    }
}

impl From<&str> for ImportState {
    fn from(s: &str) -> Self {
        if s == "InProgress" {
            return ImportState::Importing;
        }
        NAMES.iter().find(|(_, name)| *name == s).map_or_else(
            || ImportState::Other(s.to_owned()),
            |(state, _)| state.clone(),
        )
    }
}

impl From<ImportState> for String {
    fn from(s: ImportState) -> Self {
        s.as_str().to_owned()
    }
}

impl fmt::Display for ImportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of a successful create.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreatedImportJob {
    /// The new job's id as the server sent it, for describe, wait, commit
    /// and abort. Shown (and serialized) with control and invisible
    /// characters escaped: see [`CreatedImportJob::shown_job_id`].
    #[serde(serialize_with = "shown")]
    pub job_id: String,
    /// The `Idempotency-Key` every attempt carried, if any; keep it to retry
    /// the same logical create later.
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    /// The service's `requestid` header, for support tickets.
    #[serde(skip)]
    pub request_id: Option<String>,
}

impl CreatedImportJob {
    /// The job id fit to print: control and invisible characters escaped.
    pub fn shown_job_id(&self) -> String {
        escape_controls(&self.job_id)
    }
}

fn shown<S: serde::Serializer>(id: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&escape_controls(id))
}

/// A job's progress, as describe reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImportProgress {
    /// The job's id.
    pub job_id: String,
    /// The target collection.
    pub collection_name: Option<String>,
    /// The imported file or files.
    pub file_name: Option<String>,
    /// Bytes to import.
    pub file_size: Option<i64>,
    /// Where the job stands.
    pub state: ImportState,
    /// Percent done, 0 to 100.
    pub progress: u8,
    /// Rows imported (64-bit: imports pass 2^31 rows). Open-source Milvus
    /// reports here the rows to import, and those done in `imported_rows`.
    pub total_rows: Option<i64>,
    /// Rows imported so far, as open-source Milvus reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_rows: Option<i64>,
    /// When the job completed, as the service writes it (`2024-04-01T06:17:55Z`).
    pub complete_time: Option<String>,
    /// Why the job failed.
    pub reason: Option<String>,
    /// Per-file progress.
    pub details: Vec<FileProgress>,
    /// Whether the reason the server sent, before it was scrubbed and
    /// escaped for display, is [`ABORTED_REASON`]: outcomes are decided on
    /// the server's text, not on what is shown of it.
    #[serde(skip)]
    aborted_reason: bool,
}

/// One file's progress within a job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FileProgress {
    /// The file.
    pub file_name: Option<String>,
    /// Its size in bytes.
    pub file_size: Option<i64>,
    /// Where it stands.
    pub state: ImportState,
    /// Percent done, 0 to 100.
    pub progress: u8,
    /// Rows imported from it (on Milvus, the rows to import).
    pub total_rows: Option<i64>,
    /// Rows imported from it so far (open-source Milvus).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_rows: Option<i64>,
    /// When it completed.
    pub complete_time: Option<String>,
    /// Why it failed.
    pub reason: Option<String>,
}

/// One page of a cluster's jobs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImportJobPage {
    /// The service's `count` (its docs leave open whether it counts this
    /// page or all jobs, so paging does not rely on it).
    pub count: Option<i64>,
    /// The page returned, from 1.
    pub current_page: Option<i64>,
    /// Jobs per page.
    pub page_size: Option<i64>,
    /// The jobs on this page.
    pub records: Vec<ImportJobSummary>,
}

/// A job as the list operation shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImportJobSummary {
    /// The job's id.
    pub job_id: String,
    /// The target collection.
    pub collection_name: Option<String>,
    /// Where it stands (`InProgress` reads as [`ImportState::Importing`]).
    pub state: ImportState,
    /// Percent done, 0 to 100.
    pub progress: u8,
}

/// Server text as callers see it: scrubbed (see [`Scrubber`]), and empty
/// strings, which mean "not set" on this API, as `None`.
fn text(s: Option<String>, scrub: &Scrubber) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(|s| scrub.scrub(&s))
}

/// A percent from 0 to 100, whole, whatever the server sent (a fraction, a
/// negative, 250), so a bar cannot run backwards or past the end. A failed
/// job never reads 100 %: that would read as done.
pub(crate) fn percent(p: Option<f64>, state: &ImportState) -> u8 {
    // `as` saturates, and turns NaN into 0.
    let whole = p.unwrap_or(0.0).clamp(0.0, 100.0).floor() as u8;
    settle(whole, state)
}

/// A percent fit for `state`: a failed job stops short of 100.
pub(crate) fn settle(progress: u8, state: &ImportState) -> u8 {
    match state {
        ImportState::Failed => progress.min(99),
        _ => progress,
    }
}

/// A state as callers see it: one this crate does not know scrubbed, none
/// as an empty one.
fn state(s: Option<String>, scrub: &Scrubber) -> ImportState {
    match ImportState::from(s.as_deref().unwrap_or_default()) {
        ImportState::Other(other) => ImportState::Other(scrub.scrub(&other)),
        known => known,
    }
}

impl ImportProgress {
    /// Whether the job ended because it was aborted, rather than failing on
    /// its own: `Failed` with [`ABORTED_REASON`] (any case, white space
    /// around ignored) as the server sent it, whatever
    /// [`reason`](Self::reason) shows after escaping. Servers before milvus-io/milvus#50692 gave an aborted job
    /// no stable reason; there it reads as a failure.
    pub fn is_aborted(&self) -> bool {
        self.state == ImportState::Failed && self.aborted_reason
    }

    /// A describe answer, every string scrubbed of the call's secrets, and
    /// what it decides (its state, whether it was aborted) read before.
    pub(crate) fn from_wire(d: types::ImportJobProgressData, scrub: &Scrubber) -> Self {
        let state = state(d.state, scrub);
        let aborted_reason = d
            .reason
            .as_deref()
            .is_some_and(|r| r.trim().eq_ignore_ascii_case(ABORTED_REASON));
        ImportProgress {
            aborted_reason,
            job_id: text(d.job_id, scrub).unwrap_or_default(),
            collection_name: text(d.collection_name, scrub),
            file_name: text(d.file_name, scrub),
            file_size: d.file_size,
            progress: percent(d.progress, &state),
            state,
            total_rows: d.total_rows,
            imported_rows: d.imported_rows,
            complete_time: text(d.complete_time, scrub),
            reason: text(d.reason, scrub),
            details: d
                .details
                .unwrap_or_default()
                .into_iter()
                .map(|f| FileProgress::from_wire(f, scrub))
                .collect(),
        }
    }
}

impl FileProgress {
    fn from_wire(d: types::ImportJobFileDetail, scrub: &Scrubber) -> Self {
        let state = state(d.state, scrub);
        FileProgress {
            file_name: text(d.file_name, scrub),
            file_size: d.file_size,
            progress: percent(d.progress, &state),
            state,
            total_rows: d.total_rows,
            imported_rows: d.imported_rows,
            complete_time: text(d.complete_time, scrub),
            reason: text(d.reason, scrub),
        }
    }
}

impl ImportJobPage {
    /// A list answer, every string scrubbed of the call's secrets.
    pub(crate) fn from_wire(d: types::ImportJobListData, scrub: &Scrubber) -> Self {
        ImportJobPage {
            count: d.count,
            current_page: d.current_page,
            page_size: d.page_size,
            records: d
                .records
                .unwrap_or_default()
                .into_iter()
                .map(|r| {
                    let state = state(r.state, scrub);
                    ImportJobSummary {
                        job_id: text(r.job_id, scrub).unwrap_or_default(),
                        collection_name: text(r.collection_name, scrub),
                        progress: percent(r.progress, &state),
                        state,
                    }
                })
                .collect(),
        }
    }
}

/// Without the call's secrets at hand, server text is still cleaned of URL
/// queries and control characters.
impl From<types::ImportJobProgressData> for ImportProgress {
    fn from(d: types::ImportJobProgressData) -> Self {
        ImportProgress::from_wire(d, &Scrubber::default())
    }
}

/// As for [`ImportProgress`]: URL queries and control characters cleaned.
impl From<types::ImportJobListData> for ImportJobPage {
    fn from(d: types::ImportJobListData) -> Self {
        ImportJobPage::from_wire(d, &Scrubber::default())
    }
}

/// A commit or an abort the job has taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Settled {
    /// The job's id.
    pub job_id: String,
    /// `None` when the server accepted this call. `Some` when it refused
    /// it because the job had already moved on (an earlier attempt whose
    /// answer was lost, or another caller), and describe then found the job
    /// where the commit or abort leads: the state it found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already: Option<ImportState>,
    /// The service's `requestid` header of the answer, for support tickets.
    #[serde(skip)]
    pub request_id: Option<String>,
}

/// A bare report of `state` at `progress` %, for unit tests.
#[cfg(test)]
pub(crate) fn progress_at(state: ImportState, progress: u8) -> ImportProgress {
    ImportProgress {
        job_id: "j".into(),
        collection_name: None,
        file_name: None,
        file_size: None,
        state,
        progress,
        total_rows: None,
        imported_rows: None,
        complete_time: None,
        reason: None,
        details: vec![],
        aborted_reason: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_decode_including_unknown_ones() {
        assert_eq!(ImportState::from("Pending"), ImportState::Pending);
        assert_eq!(ImportState::from("InProgress"), ImportState::Importing);
        assert_eq!(ImportState::from("Importing"), ImportState::Importing);
        for (state, name) in NAMES {
            assert_eq!(ImportState::from(name), state);
            assert_eq!(state.as_str(), name);
            assert_eq!(state.is_terminal(), name == "Completed" || name == "Failed");
            assert_eq!(state.awaits_commit(), name == "Uncommitted");
        }
        assert_eq!(
            ImportState::from("Flushing"),
            ImportState::Other("Flushing".into())
        );
        assert!(!ImportState::from("Flushing").is_terminal());
        assert!(ImportState::Failed.is_terminal());
        assert_eq!(
            ImportState::Other("Flushing".into()).to_string(),
            "Flushing"
        );
        assert_eq!(
            ImportState::from("uncommitted"),
            ImportState::Other("uncommitted".into())
        );
    }

    #[test]
    fn percent_is_clamped_whole_and_short_of_100_when_failed() {
        let running = ImportState::Importing;
        assert_eq!(percent(Some(-5.0), &running), 0);
        assert_eq!(percent(Some(250.0), &running), 100);
        assert_eq!(percent(None, &running), 0);
        assert_eq!(percent(Some(42.0), &running), 42);
        assert_eq!(percent(Some(10.5), &running), 10);
        assert_eq!(percent(Some(f64::NAN), &running), 0);
        assert_eq!(percent(Some(100.0), &ImportState::Failed), 99);
        assert_eq!(percent(Some(100.0), &ImportState::Completed), 100);
    }
}

/// How a wait ended well: the job completed, or it imported its data and
/// awaits a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitOutcome {
    /// The job is `Completed`: its data is in the collection.
    Completed(ImportProgress),
    /// A two-phase import reached `Uncommitted`: its data is imported but
    /// not visible until [`Client::commit_import_job`](crate::Client::commit_import_job) (or discarded by
    /// [`Client::abort_import_job`](crate::Client::abort_import_job)).
    ReadyToCommit(ImportProgress),
}

impl WaitOutcome {
    /// The last progress seen.
    pub fn progress(&self) -> &ImportProgress {
        match self {
            WaitOutcome::Completed(p) | WaitOutcome::ReadyToCommit(p) => p,
        }
    }

    /// The last progress seen, owned.
    pub fn into_progress(self) -> ImportProgress {
        match self {
            WaitOutcome::Completed(p) | WaitOutcome::ReadyToCommit(p) => p,
        }
    }

    /// The progress of a completed job; `None` if it awaits commit.
    pub fn completed(self) -> Option<ImportProgress> {
        (!self.awaits_commit()).then(|| self.into_progress())
    }

    /// The progress of a job that awaits commit; `None` if it completed.
    pub fn ready_to_commit(self) -> Option<ImportProgress> {
        self.awaits_commit().then(|| self.into_progress())
    }

    /// Whether the job awaits a commit (it has not completed).
    pub fn awaits_commit(&self) -> bool {
        matches!(self, WaitOutcome::ReadyToCommit(_))
    }
}
