//! What an upload will send, decided before anything is sent: the files
//! under the sources, their keys, their part sizes, and the volume quota.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::UploadError;
use crate::journal::is_journal_name;

const MIB: u64 = 1 << 20;

/// The smallest part S3 takes (all parts but the last).
pub const MIN_PART_SIZE: u64 = 5 * MIB;

/// The most parts of one multipart upload.
pub const MAX_PARTS: u64 = 10_000;

/// The SDKs' part size for a file of `size` bytes:
/// `roundup_MiB(max(5 MiB, ceil(size/1000), ceil(size/10000)))`, about a
/// thousand parts, never more than ten thousand.
pub fn part_size_for(size: u64) -> u64 {
    let want = MIN_PART_SIZE
        .max(size.div_ceil(1000))
        .max(size.div_ceil(MAX_PARTS));
    want.div_ceil(MIB).saturating_mul(MIB)
}

/// The part size used: the override (at least 5 MiB) when given, raised
/// when the file would need more than ten thousand parts of it.
pub fn effective_part_size(size: u64, requested: Option<u64>) -> u64 {
    match requested {
        None => part_size_for(size),
        Some(req) => {
            let floor = size.div_ceil(MAX_PARTS).div_ceil(MIB).saturating_mul(MIB);
            req.max(MIN_PART_SIZE).max(floor)
        }
    }
}

/// One file to send.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub source: PathBuf,
    /// The path below the source folder (a single file: its name), with `/`.
    pub relative: String,
    pub size: u64,
    pub mtime_ns: u64,
}

/// The files under `sources`: a file as itself (keyed by its name), a
/// folder by every file below it (keyed by its path below the folder; the
/// journals left out; symlinked folders not followed, so no loop). In a
/// stable order: the sources' order, then by path.
pub fn list_sources(sources: &[PathBuf]) -> Result<Vec<PlannedFile>, UploadError> {
    let mut out = Vec::new();
    for source in sources {
        let meta = fs::metadata(source).map_err(|e| UploadError::InvalidSource {
            path: source.clone(),
            reason: e.to_string(),
        })?;
        if meta.is_dir() {
            walk(source, source, &mut out)?;
        } else if meta.is_file() {
            let name = utf8_name(source, source.file_name())?;
            out.push(planned(source.clone(), name.to_owned(), &meta));
        } else {
            return Err(UploadError::InvalidSource {
                path: source.clone(),
                reason: "neither a file nor a folder".into(),
            });
        }
    }
    Ok(out)
}

fn utf8_name<'a>(path: &Path, name: Option<&'a std::ffi::OsStr>) -> Result<&'a str, UploadError> {
    name.and_then(|n| n.to_str())
        .ok_or_else(|| UploadError::InvalidSource {
            path: path.to_owned(),
            reason: "the name is not UTF-8 (object keys are)".into(),
        })
}

/// A file's mtime in nanoseconds since the epoch (0 when unknown).
pub fn mtime_ns(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn planned(source: PathBuf, relative: String, meta: &fs::Metadata) -> PlannedFile {
    PlannedFile {
        source,
        relative,
        size: meta.len(),
        mtime_ns: mtime_ns(meta),
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PlannedFile>) -> Result<(), UploadError> {
    let read_err = |e: std::io::Error| UploadError::Read {
        path: dir.to_owned(),
        source: e,
    };
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(read_err)?
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = utf8_name(&path, Some(&entry.file_name()))?.to_owned();
        let kind = entry.file_type().map_err(read_err)?;
        if kind.is_dir() {
            walk(root, &path, out)?;
            continue;
        }
        if is_journal_name(&name) {
            continue;
        }
        let meta = fs::metadata(&path).map_err(|e| UploadError::Read {
            path: path.clone(),
            source: e,
        })?;
        if !meta.is_file() {
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .ok()
            .and_then(|r| r.iter().map(|c| c.to_str()).collect::<Option<Vec<_>>>())
            .map(|parts| parts.join("/"))
            .ok_or_else(|| UploadError::InvalidSource {
                path: path.clone(),
                reason: "the path is not UTF-8 (object keys are)".into(),
            })?;
        out.push(planned(path, relative, &meta));
    }
    Ok(())
}

/// A volume directory as `apply` takes it: no leading `/`, one trailing
/// `/` (empty for the volume's root), no `.`/`..` or empty segments.
pub fn normalize_dir(path: &str) -> Result<String, String> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    for segment in trimmed.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!("{path:?}: empty, `.` or `..` segment"));
        }
    }
    Ok(format!("{trimmed}/"))
}

/// The object key: `prefix + dir + relative` (as the SDKs build it), each
/// joined with one `/`, checked as object_store checks keys.
pub fn object_key(prefix: &str, dir: &str, relative: &str) -> Result<String, String> {
    let key = [prefix, dir, relative]
        .iter()
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    object_store::path::Path::parse(&key).map_err(|e| e.to_string())?;
    Ok(key)
}

/// Keys for every planned file; two files on one key is an error.
pub fn keys(files: &[PlannedFile], prefix: &str, dir: &str) -> Result<Vec<String>, UploadError> {
    let mut seen: HashMap<String, &Path> = HashMap::new();
    let mut keys = Vec::with_capacity(files.len());
    for file in files {
        let key =
            object_key(prefix, dir, &file.relative).map_err(|reason| UploadError::InvalidKey {
                path: file.source.clone(),
                key: format!("{prefix}{dir}{}", file.relative),
                reason,
            })?;
        if let Some(first) = seen.insert(key.clone(), &file.source) {
            return Err(UploadError::DuplicateKey {
                key,
                first: first.to_owned(),
                second: file.source.clone(),
            });
        }
        keys.push(key);
    }
    Ok(keys)
}

/// Fails, before anything is sent, when the upload would pass the
/// volume's `condition` (the whole upload's bytes and files, as the SDKs
/// compare them).
pub fn check_quota(
    files: &[PlannedFile],
    max_content_length: Option<u64>,
    max_file_number: Option<u64>,
) -> Result<(), UploadError> {
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let count = files.len() as u64;
    let over_bytes = max_content_length.filter(|&m| bytes > m);
    let over_files = max_file_number.filter(|&m| count > m);
    if over_bytes.is_some() || over_files.is_some() {
        return Err(UploadError::QuotaExceeded {
            files: count,
            bytes,
            max_content_length: over_bytes,
            max_file_number: over_files,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn part_sizes_follow_the_sdks() {
        assert_eq!(part_size_for(0), 5 * MIB);
        assert_eq!(part_size_for(128 * MIB), 5 * MIB);
        assert_eq!(part_size_for(5000 * MIB), 5 * MIB);
        assert_eq!(part_size_for(5000 * MIB + 1), 6 * MIB);
        assert_eq!(part_size_for(100 << 30), 103 * MIB);
        assert_eq!(effective_part_size(1 << 30, Some(1)), 5 * MIB);
        assert_eq!(effective_part_size(1 << 30, Some(64 * MIB)), 64 * MIB);
        assert_eq!(effective_part_size(100_000 * MIB, Some(5 * MIB)), 10 * MIB);
    }

    #[test]
    fn keys_are_prefix_dir_relative() {
        assert_eq!(
            object_key("vol/", "bulk/x/", "a/b.parquet").unwrap(),
            "vol/bulk/x/a/b.parquet"
        );
        assert_eq!(object_key("", "", "b.npy").unwrap(), "b.npy");
        assert!(object_key("", "", "a/../b").is_err());
        assert!(object_key("", "", "a//b").is_err());
        assert!(object_key("", "", "").is_err());
        assert_eq!(normalize_dir("/bulk/x").unwrap(), "bulk/x/");
        assert_eq!(normalize_dir("").unwrap(), "");
        assert!(normalize_dir("a/../b").is_err());
    }

    #[test]
    fn quota_names_the_figures() {
        let file = |size| PlannedFile {
            source: "f".into(),
            relative: "f".into(),
            size,
            mtime_ns: 0,
        };
        let files = [file(10), file(20)];
        assert!(check_quota(&files, Some(30), Some(2)).is_ok());
        let e = check_quota(&files, Some(29), Some(2)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the upload (2 files, 30 bytes) exceeds the volume's limit of 29 bytes \
             (maxContentLength). If you are using the free tier, you may switch to the \
             pay-as-you-go volume plan"
        );
        let e = check_quota(&files, None, Some(1)).unwrap_err();
        assert!(
            e.to_string().contains("limit of 1 files (maxFileNumber)"),
            "{e}"
        );
    }

    proptest! {
        #[test]
        fn key_builder_never_panics(prefix in ".{0,20}", dir in ".{0,20}", rel in ".{0,30}") {
            if let Ok(key) = object_key(&prefix, &dir, &rel) {
                prop_assert!(!key.starts_with('/') && !key.ends_with('/'));
                prop_assert!(!key.contains("//"));
            }
            let _ = normalize_dir(&dir);
        }

        #[test]
        fn part_size_keeps_to_the_limits(size in any::<u64>(), req in proptest::option::of(any::<u64>())) {
            let part = effective_part_size(size >> 8, req);
            prop_assert!(part >= MIN_PART_SIZE);
            prop_assert!((size >> 8).div_ceil(part) <= MAX_PARTS);
        }
    }
}
