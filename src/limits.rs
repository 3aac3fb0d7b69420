//! The API's limits and key rules: the client refuses what breaks them
//! before sending. The numbers the spec can state come from `openapi.yaml`
//! (the emulator, an independent witness, reads them from there too); the
//! rest are stated here.
//!
//! The figures are those of `../shared/reference/import-api-deployments.md`
//! and `zilliz-import-api.md`.

use std::ops::RangeInclusive;

/// The numbers `openapi.yaml` states (`maxItems`, `maxLength`, `minimum`,
/// `maximum`), read from it by `build.rs`.
mod spec {
    include!(concat!(env!("OUT_DIR"), "/spec_limits.rs"));
}

/// The longest `Idempotency-Key`, in bytes (the spec's `maxLength`).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = spec::MAX_IDEMPOTENCY_KEY_LEN;

/// The most file groups open-source Milvus takes in one request.
pub const MAX_FILE_GROUPS_MILVUS: usize = spec::MAX_FILES_GROUPS;

/// The most file groups the control plane takes in one request, of object
/// URLs and of a volume's paths alike (the spec states both).
pub const MAX_FILE_GROUPS_CLOUD: usize = {
    assert!(spec::MAX_OBJECT_URL_GROUPS == spec::MAX_DATA_PATH_GROUPS);
    spec::MAX_OBJECT_URL_GROUPS
};

/// The page sizes a listing takes.
pub const PAGE_SIZES: RangeInclusive<u32> = spec::MIN_PAGE_SIZE..=spec::MAX_PAGE_SIZE;

/// Jobs per page when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 10;

/// File formats whose group holds exactly one file: the server refuses a
/// group of two (`for Parquet import, accepts only one file`). NumPy groups
/// hold one `.npy` file per field.
pub const SINGLE_FILE_FORMATS: [&str; 4] = [".json", ".jsonl", ".parquet", ".csv"];

/// Why an `Idempotency-Key` cannot be sent, by the server's rule (printable
/// ASCII, at most [`MAX_IDEMPOTENCY_KEY_LEN`] bytes), or `None` when it can.
pub fn idempotency_key_problem(key: &[u8]) -> Option<String> {
    if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        Some(format!("must be at most {MAX_IDEMPOTENCY_KEY_LEN} bytes"))
    } else if !key.iter().all(|b| (0x20..0x7f).contains(b)) {
        Some("must be printable ASCII".to_owned())
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
