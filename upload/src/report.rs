//! What an upload did, and what it tells its caller as it goes.

use std::path::PathBuf;

use serde::Serialize;

/// One file's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFile {
    pub source: PathBuf,
    /// The object key in the bucket (with the volume's or bucket's prefix).
    pub key: String,
    pub bytes: u64,
    /// Parts (or single PUTs) sent by this call.
    pub parts_sent: u64,
    /// Parts not sent because they were there already: completed in an
    /// earlier, interrupted call (from the journal), or the whole file's
    /// parts when the object was found complete.
    pub parts_skipped: u64,
    /// The object was there already, complete and of the same size:
    /// nothing was sent.
    pub skipped: bool,
}

/// What [`crate::Uploader::upload`] did. As JSON (camelCase):
/// `{"files": [...], "bytes": B, "partsSent": N, "partsSkipped": M}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    /// In the order the sources were given (a folder's files by path).
    pub files: Vec<UploadedFile>,
    /// The bytes of all files (sent or found there).
    pub bytes: u64,
    pub parts_sent: u64,
    pub parts_skipped: u64,
}

/// Progress, reported as the upload goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// Everything is listed and checked, nothing sent yet.
    Planned { files: usize, bytes: u64 },
    /// A part (or a whole small file) went up; for a multipart upload, its
    /// journal already holds it.
    PartSent {
        source: PathBuf,
        part: usize,
        bytes: u64,
    },
    /// Parts found done in a file's journal, not sent again.
    PartsResumed {
        source: PathBuf,
        parts: usize,
        bytes: u64,
    },
    /// A file's object is complete (or was there already: `skipped`).
    FileDone {
        source: PathBuf,
        key: String,
        skipped: bool,
    },
}
