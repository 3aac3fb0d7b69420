//! Typed views of what describe and list return.
//!
//! The generated types mirror the wire (every field optional, state an open
//! string); these are what callers branch on: a state enum that still holds
//! states this crate has never heard of, a percent that is always 0 to 100,
//! and empty strings turned into `None`.

use std::fmt;

use crate::{generated::types, redact::redact_urls_in_text};

/// Where an import job (or one of its files) stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
#[non_exhaustive]
pub enum ImportState {
    /// Queued, not started.
    Pending,
    /// Running. The list operation calls this `InProgress`.
    Importing,
    /// Done; the data is in the collection.
    Completed,
    /// Ended without importing; see the job's reason.
    Failed,
    /// A state this crate does not know (the open-source server also reports
    /// `PreImporting`, `IndexBuilding`, `Stats`, ...). Treated as running.
    Other(String),
}

impl ImportState {
    /// Whether the job will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, ImportState::Completed | ImportState::Failed)
    }

    /// The name as the service spells it (list's `InProgress` reads `Importing`).
    pub fn as_str(&self) -> &str {
        match self {
            ImportState::Pending => "Pending",
            ImportState::Importing => "Importing",
            ImportState::Completed => "Completed",
            ImportState::Failed => "Failed",
            ImportState::Other(s) => s,
        }
    }
}

impl From<&str> for ImportState {
    fn from(s: &str) -> Self {
        match s {
            "Pending" => ImportState::Pending,
            "Importing" | "InProgress" => ImportState::Importing,
            "Completed" => ImportState::Completed,
            "Failed" => ImportState::Failed,
            other => ImportState::Other(other.to_owned()),
        }
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
    /// The new job's id, for describe and wait.
    pub job_id: String,
    /// The `Idempotency-Key` every attempt carried, if any; keep it to retry
    /// the same logical create later.
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    /// The service's `requestid` header, for support tickets.
    #[serde(skip)]
    pub request_id: Option<String>,
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
    /// Rows imported (64-bit: imports pass 2^31 rows).
    pub total_rows: Option<i64>,
    /// When the job completed, as the service writes it (`2024-04-01T06:17:55Z`).
    pub complete_time: Option<String>,
    /// Why the job failed.
    pub reason: Option<String>,
    /// Per-file progress.
    pub details: Vec<FileProgress>,
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
    /// Rows imported from it.
    pub total_rows: Option<i64>,
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

/// Empty strings mean "not set" on this API.
fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// A failure reason may quote the presigned URL that could not be read.
fn reason(s: Option<String>) -> Option<String> {
    non_empty(s).map(|r| redact_urls_in_text(&r))
}

fn percent(p: Option<i64>) -> u8 {
    // Clamped, so a misbehaving server cannot make a bar run backwards or past the end.
    p.unwrap_or(0).clamp(0, 100) as u8
}

fn state(s: Option<String>) -> ImportState {
    s.as_deref()
        .map_or(ImportState::Other(String::new()), ImportState::from)
}

impl From<types::ImportJobProgressData> for ImportProgress {
    fn from(d: types::ImportJobProgressData) -> Self {
        ImportProgress {
            job_id: d.job_id.unwrap_or_default(),
            collection_name: non_empty(d.collection_name),
            file_name: non_empty(d.file_name),
            file_size: d.file_size,
            state: state(d.state),
            progress: percent(d.progress),
            total_rows: d.total_rows,
            complete_time: non_empty(d.complete_time),
            reason: reason(d.reason),
            details: d
                .details
                .unwrap_or_default()
                .into_iter()
                .map(FileProgress::from)
                .collect(),
        }
    }
}

impl From<types::ImportJobFileDetail> for FileProgress {
    fn from(d: types::ImportJobFileDetail) -> Self {
        FileProgress {
            file_name: non_empty(d.file_name),
            file_size: d.file_size,
            state: state(d.state),
            progress: percent(d.progress),
            total_rows: d.total_rows,
            complete_time: non_empty(d.complete_time),
            reason: reason(d.reason),
        }
    }
}

impl From<types::ImportJobListData> for ImportJobPage {
    fn from(d: types::ImportJobListData) -> Self {
        ImportJobPage {
            count: d.count,
            current_page: d.current_page,
            page_size: d.page_size,
            records: d
                .records
                .unwrap_or_default()
                .into_iter()
                .map(|r| ImportJobSummary {
                    job_id: r.job_id.unwrap_or_default(),
                    collection_name: non_empty(r.collection_name),
                    state: state(r.state),
                    progress: percent(r.progress),
                })
                .collect(),
        }
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
        assert_eq!(
            ImportState::from("IndexBuilding"),
            ImportState::Other("IndexBuilding".into())
        );
        assert!(!ImportState::from("IndexBuilding").is_terminal());
        assert!(ImportState::Failed.is_terminal());
        assert_eq!(ImportState::Other("Stats".into()).to_string(), "Stats");
    }

    #[test]
    fn percent_is_clamped() {
        assert_eq!(percent(Some(-5)), 0);
        assert_eq!(percent(Some(250)), 100);
        assert_eq!(percent(None), 0);
        assert_eq!(percent(Some(42)), 42);
    }
}
