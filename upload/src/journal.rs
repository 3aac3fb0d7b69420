//! The journal of a file's multipart upload: one JSON file beside each
//! source, `<file>.zilliz-upload.json`.
//!
//! One per source file rather than one per run, because:
//! - it resumes whatever command line names the file again (a folder, the
//!   file alone, in another order, among other files);
//! - a file's journal goes when its object is complete, so what remains on
//!   disk is exactly what is unfinished;
//! - each file's journal has one writer (its own upload loop), so no lock.
//!
//! It holds no secret: the destination's identity (endpoint, bucket, key),
//! the source's size and mtime (a changed source starts over), the part
//! size, the upload id and the completed parts with their ETags. It is
//! written atomically (a temporary file renamed over it) after each
//! completed part, without fsync: a killed process loses nothing (the page
//! cache survives it); a power cut may lose the journal, and then that
//! file starts over, never from a torn journal (one that does not parse is
//! ignored).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a journal file's name ends with.
pub const JOURNAL_SUFFIX: &str = ".zilliz-upload.json";

/// The temporary a journal is written to before the rename.
const TEMP_SUFFIX: &str = ".zilliz-upload.json.tmp";

/// Whether `name` is a journal (or its temporary), which a folder upload
/// leaves out.
pub fn is_journal_name(name: &str) -> bool {
    name.ends_with(JOURNAL_SUFFIX) || name.ends_with(TEMP_SUFFIX)
}

/// The journal's format version; another version is not read.
const VERSION: u32 = 1;

/// A completed part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalPart {
    /// 0-based part index.
    pub index: usize,
    /// The store's id of the part, as object_store's `PartId` holds it
    /// (S3: its ETag, or an XML of the ETag and the part's checksum).
    pub etag: String,
}

/// The state of one file's multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    pub version: u32,
    /// Where the object goes, without credentials: `endpoint/bucket`.
    pub destination: String,
    pub key: String,
    pub size: u64,
    /// The source's mtime in nanoseconds since the epoch.
    pub mtime_ns: u64,
    pub part_size: u64,
    pub upload_id: String,
    pub parts: Vec<JournalPart>,
}

/// The identity of a source file and of where it goes: a journal is used
/// only when all of it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub destination: String,
    pub key: String,
    pub size: u64,
    pub mtime_ns: u64,
    pub part_size: u64,
}

impl Journal {
    /// A journal for a new upload.
    pub fn new(id: &Identity, upload_id: String) -> Self {
        Journal {
            version: VERSION,
            destination: id.destination.clone(),
            key: id.key.clone(),
            size: id.size,
            mtime_ns: id.mtime_ns,
            part_size: id.part_size,
            upload_id,
            parts: Vec::new(),
        }
    }

    /// Reads a journal's text. `None` when it is not a journal of this
    /// version, or is inconsistent (parts out of range or twice):
    /// such a journal is ignored and the file starts over. Never panics.
    /// An empty upload id is Azure's: its uncommitted blocks belong to the
    /// blob, and object_store names the upload `""`.
    pub fn parse(text: &str) -> Option<Journal> {
        let journal: Journal = serde_json::from_str(text).ok()?;
        if journal.version != VERSION || journal.part_size == 0 {
            return None;
        }
        let count = part_count(journal.size, journal.part_size);
        let mut seen = vec![false; count.min(10_000)];
        for part in &journal.parts {
            let slot = seen.get_mut(part.index)?;
            if *slot {
                return None;
            }
            *slot = true;
        }
        Some(journal)
    }

    /// Whether this journal is about `id`.
    pub fn matches(&self, id: &Identity) -> bool {
        self.destination == id.destination
            && self.key == id.key
            && self.size == id.size
            && self.mtime_ns == id.mtime_ns
            && self.part_size == id.part_size
    }

    /// Writes the journal to `path` atomically.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let temp = temp_path(path);
        let text = serde_json::to_vec(self).map_err(io::Error::other)?;
        fs::write(&temp, text)?;
        fs::rename(&temp, path)
    }
}

/// Reads the journal at `path`: `None` when there is none or it does not
/// parse.
pub fn load(path: &Path) -> Option<Journal> {
    let text = fs::read_to_string(path).ok()?;
    Journal::parse(&text)
}

/// Removes the journal at `path` (and a temporary left beside it).
pub fn remove(path: &Path) -> io::Result<()> {
    let _ = fs::remove_file(temp_path(path));
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The journal of the source at `source`.
pub fn journal_path(source: &Path) -> PathBuf {
    let mut name = source.as_os_str().to_owned();
    name.push(JOURNAL_SUFFIX);
    PathBuf::from(name)
}

fn temp_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// How many parts of `part_size` a file of `size` bytes makes (at least 1).
pub fn part_count(size: u64, part_size: u64) -> usize {
    let count = size.div_ceil(part_size.max(1)).max(1);
    usize::try_from(count).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn identity() -> Identity {
        Identity {
            destination: "http://127.0.0.1:1/b".into(),
            key: "p/a.parquet".into(),
            size: 12 << 20,
            mtime_ns: 7,
            part_size: 5 << 20,
        }
    }

    #[test]
    fn round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.parquet.zilliz-upload.json");
        let mut journal = Journal::new(&identity(), "UPLOAD".into());
        journal.parts.push(JournalPart {
            index: 1,
            etag: "\"e1\"".into(),
        });
        journal.save(&path).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back, journal);
        assert!(back.matches(&identity()));
        let changed = Identity {
            mtime_ns: 8,
            ..identity()
        };
        assert!(!back.matches(&changed));
        remove(&path).unwrap();
        assert!(load(&path).is_none());
        remove(&path).unwrap();
    }

    #[test]
    fn inconsistent_journals_are_ignored() {
        let mut journal = Journal::new(&identity(), "U".into());
        let part = |index: usize| JournalPart {
            index,
            etag: "e".into(),
        };
        journal.parts = vec![part(0), part(0)];
        assert!(Journal::parse(&serde_json::to_string(&journal).unwrap()).is_none());
        journal.parts = vec![part(3)];
        assert!(Journal::parse(&serde_json::to_string(&journal).unwrap()).is_none());
        journal.parts = vec![part(2)];
        assert!(Journal::parse(&serde_json::to_string(&journal).unwrap()).is_some());
        journal.version = 2;
        assert!(Journal::parse(&serde_json::to_string(&journal).unwrap()).is_none());
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in ".{0,400}") {
            let _ = Journal::parse(&text);
        }

        #[test]
        fn parse_never_panics_on_near_journals(
            size in any::<u64>(),
            part_size in any::<u64>(),
            indexes in proptest::collection::vec(any::<usize>(), 0..8),
            upload_id in ".{0,8}",
        ) {
            let parts: Vec<_> = indexes
                .iter()
                .map(|i| serde_json::json!({"index": i, "etag": "e"}))
                .collect();
            let text = serde_json::json!({
                "version": 1, "destination": "d", "key": "k", "size": size,
                "mtimeNs": 0, "partSize": part_size, "uploadId": upload_id, "parts": parts,
            })
            .to_string();
            if let Some(journal) = Journal::parse(&text) {
                let count = part_count(journal.size, journal.part_size);
                prop_assert!(journal.parts.iter().all(|p| p.index < count));
            }
        }
    }
}
