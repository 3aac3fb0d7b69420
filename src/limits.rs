//! The API's limits and key rules, written once: the client refuses what
//! breaks them before sending, the emulator answers what a server answers,
//! and the CLI checks its flags against the same numbers.
//!
//! The figures are those of `../shared/reference/import-api-deployments.md`
//! and `zilliz-import-api.md`.

use std::ops::RangeInclusive;

/// The most bytes an `Idempotency-Key` may have.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 256;

/// The most file groups one create may name on open-source Milvus
/// (`dataCoord.maxFilesPerImportReq`; the server counts groups, so a NumPy
/// group of one file per field counts once).
pub const MAX_FILE_GROUPS_MILVUS: usize = 1024;

/// The most files one create may name on the Zilliz Cloud control plane
/// (serverless and dedicated clusters); counted, as on Milvus, by group.
pub const MAX_FILE_GROUPS_CLOUD: usize = 1000;

/// Jobs per page that list accepts (codes 96008 outside it).
pub const PAGE_SIZES: RangeInclusive<u32> = 1..=100;

/// Jobs per page when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 10;

/// File formats whose group holds exactly one file: the server refuses a
/// group of two (`for Parquet import, accepts only one file`). NumPy groups
/// hold one `.npy` file per field.
pub const SINGLE_FILE_FORMATS: [&str; 4] = [".json", ".jsonl", ".parquet", ".csv"];

/// Why an `Idempotency-Key` cannot be sent, by the server's rule (printable
/// ASCII, at most [`MAX_IDEMPOTENCY_KEY_LEN`] bytes), or `None` when it can.
pub fn idempotency_key_problem(key: &[u8]) -> Option<&'static str> {
    if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        Some("must be at most 256 bytes")
    } else if !key.iter().all(|b| (0x20..0x7f).contains(b)) {
        Some("must be printable ASCII")
    } else {
        None
    }
}

/// The single-file format a path names (by its extension, ignoring case and
/// any `?query` or `#fragment`), if it is one.
pub fn single_file_format(path: &str) -> Option<&'static str> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    SINGLE_FILE_FORMATS.into_iter().find(|ext| {
        name.len() > ext.len()
            && name
                .get(name.len() - ext.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(ext))
    })
}

/// Why a file group cannot be sent (empty, a blank path, or several files
/// of a single-file format), or `None` when it can.
pub fn file_group_problem<S: AsRef<str>>(group: &[S]) -> Option<String> {
    if group.is_empty() {
        return Some("a group holds no file".to_owned());
    }
    if group.iter().any(|p| p.as_ref().trim().is_empty()) {
        return Some("a path is empty".to_owned());
    }
    if group.len() > 1
        && let Some(format) = group.iter().find_map(|p| single_file_format(p.as_ref()))
    {
        return Some(format!(
            "a group of {} files holds a {format} file; {} take one file per group \
             (only NumPy groups hold several)",
            group.len(),
            SINGLE_FILE_FORMATS.join(", ")
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_file_formats_by_extension() {
        assert_eq!(single_file_format("a/b.PARQUET"), Some(".parquet"));
        assert_eq!(
            single_file_format("s3://b/x.jsonl?X-Amz-Signature=s"),
            Some(".jsonl")
        );
        assert_eq!(single_file_format("s3://b/x.json#f"), Some(".json"));
        assert_eq!(single_file_format("d/vec.npy"), None);
        assert_eq!(single_file_format(".csv"), None);
        assert_eq!(single_file_format("dir.csv/"), None);
        // Multi-byte text near the end never splits a character.
        assert_eq!(single_file_format("ééé"), None);
        assert_eq!(single_file_format("é.csv"), Some(".csv"));
    }

    #[test]
    fn groups() {
        assert_eq!(file_group_problem(&["a.npy", "b.npy"]), None);
        assert_eq!(file_group_problem(&["a.parquet"]), None);
        assert!(file_group_problem::<&str>(&[]).is_some());
        assert!(file_group_problem(&["a.npy", " "]).is_some());
        let two = file_group_problem(&["a.parquet", "b.parquet"]).unwrap();
        assert!(
            two.starts_with("a group of 2 files holds a .parquet file"),
            "{two}"
        );
    }

    #[test]
    fn idempotency_keys() {
        assert_eq!(idempotency_key_problem(b"abc def"), None);
        assert!(idempotency_key_problem(&[b'a'; 257]).is_some());
        assert_eq!(idempotency_key_problem(&[b'a'; 256]), None);
        assert!(idempotency_key_problem("é".as_bytes()).is_some());
        assert!(idempotency_key_problem(b"a\tb").is_some());
    }
}
