//! The journal of a `load`, `load.json` in its work directory: the stages
//! done so far, so that the same command after a kill goes on where it
//! stopped. Written atomically (a temporary renamed over it) as each stage
//! ends, and before the create is sent: its idempotency key, so that a
//! create whose answer was lost is sent again with the same key and the
//! server answers the job it started, never a second one.
//!
//! It holds no secret: paths, counts, the key and the job's id.

use std::{
    fs,
    hash::Hasher,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::ending::Failure;

/// The journal's format; another is not read.
const VERSION: u32 = 1;

const FILE: &str = "load.json";

/// What the write stage produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Written {
    /// The file groups, relative to the work directory's `files/`.
    pub groups: Vec<Vec<String>>,
    pub rows: u64,
    pub bytes: u64,
}

/// The stages of one `load`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadJournal {
    version: u32,
    /// What the work directory is for: the collection and where the files
    /// go. Another `load` is refused it, rather than mixing the two.
    pub purpose: String,
    pub written: Option<Written>,
    /// The groups the import names (volume paths, keys or URLs), once
    /// every file is uploaded.
    pub uploaded: Option<Vec<Vec<String>>>,
    /// Kept before the create is sent.
    pub idempotency_key: Option<String>,
    /// Kept once the create is answered: the id as sent, to poll with.
    pub job_id: Option<String>,
    /// The same, fit to print (control characters escaped).
    pub shown_job_id: Option<String>,
}

impl LoadJournal {
    /// The journal in `dir` (created if missing), for `purpose`; a new one
    /// when there is none or it does not parse (nothing was recorded
    /// then). One for another purpose is refused (exit 2).
    pub fn open(dir: &Path, purpose: &str) -> Result<Self, Failure> {
        fs::create_dir_all(dir).map_err(|e| cannot(dir, "create", &e))?;
        let fresh = LoadJournal {
            version: VERSION,
            purpose: purpose.to_owned(),
            written: None,
            uploaded: None,
            idempotency_key: None,
            job_id: None,
            shown_job_id: None,
        };
        let Ok(text) = fs::read_to_string(dir.join(FILE)) else {
            return Ok(fresh);
        };
        match serde_json::from_str::<LoadJournal>(&text) {
            Ok(journal) if journal.version == VERSION && journal.purpose == purpose => Ok(journal),
            Ok(journal) if journal.version == VERSION => Err(Failure::Input(format!(
                "work directory {} holds the load of {}; give another --work-dir, or remove it",
                dir.display(),
                journal.purpose
            ))),
            _ => Ok(fresh),
        }
    }

    /// Writes the journal into `dir`, atomically.
    pub fn save(&self, dir: &Path) -> Result<(), Failure> {
        let path = dir.join(FILE);
        let temp = dir.join(format!("{FILE}.tmp"));
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        fs::write(&temp, text)
            .and_then(|()| fs::rename(&temp, &path))
            .map_err(|e| cannot(&path, "write", &e))
    }
}

fn cannot(path: &Path, what: &str, e: &std::io::Error) -> Failure {
    Failure::Config(format!(
        "load journal: cannot {what} {}: {e}",
        path.display()
    ))
}

/// A short, stable name for the inputs of a load (their paths, sizes and
/// modification times) and its purpose: the default work directory and
/// volume folder. FNV-1a, whose output no Rust release changes.
pub fn fingerprint(inputs: &[PathBuf], purpose: &str) -> Result<String, Failure> {
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    hash.write(purpose.as_bytes());
    for input in inputs {
        let path = fs::canonicalize(input).unwrap_or_else(|_| input.clone());
        let meta = fs::metadata(&path).map_err(|e| {
            Failure::Input(format!("input {}: cannot read it: {e}", input.display()))
        })?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        hash.write(&[0]);
        hash.write(path.as_os_str().as_encoded_bytes());
        hash.write(&meta.len().to_le_bytes());
        hash.write(&mtime.to_le_bytes());
    }
    Ok(format!("{:016x}", hash.finish()))
}

/// The default work directory: `.zilliz-import-load/ID` beside the first
/// input, which stays there with the inputs.
pub fn default_work_dir(inputs: &[PathBuf], id: &str) -> PathBuf {
    let beside = inputs
        .first()
        .and_then(|p| p.parent())
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    beside.join(".zilliz-import-load").join(id)
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_comes_back_as_saved_and_refuses_another_purpose() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = LoadJournal::open(dir.path(), "c to volume v").unwrap();
        assert_eq!(j.written, None);
        j.written = Some(Written {
            groups: vec![vec!["1.parquet".into()]],
            rows: 3,
            bytes: 10,
        });
        j.idempotency_key = Some("k".into());
        j.save(dir.path()).unwrap();
        assert_eq!(LoadJournal::open(dir.path(), "c to volume v").unwrap(), j);
        let other = LoadJournal::open(dir.path(), "d to volume v").unwrap_err();
        assert!(
            other
                .to_string()
                .contains("holds the load of c to volume v")
        );
        // A torn journal recorded nothing.
        fs::write(dir.path().join(FILE), "{").unwrap();
        let j = LoadJournal::open(dir.path(), "c to volume v").unwrap();
        assert_eq!((j.written, j.idempotency_key), (None, None));
    }

    #[test]
    fn fnv_is_the_published_function() {
        // FNV-1a 64 of "a", as published.
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
    }
}
