//! A job's files as the service reports them: each file's `fileName`, and
//! a size and a number of rows derived from its path, so they are stable
//! from one run to the next and plausible for the file they stand for.

use super::job::JobFile;

/// The smallest file the emulator reports: 4 MiB.
const MIN_FILE_BYTES: u64 = 4 << 20;

/// Sizes spread from [`MIN_FILE_BYTES`] up to 256 MiB: the size of a
/// typical import file, well under the documented 10 GB (control plane)
/// and 16 GB (Milvus) per file (`import-api-deployments.md`, "Documented
/// limits").
const FILE_BYTES_SPREAD: u64 = (256 << 20) - MIN_FILE_BYTES;

/// The fewest bytes a row takes: about a 128-dimension float vector with
/// an id.
const MIN_ROW_BYTES: u64 = 512;

/// Row sizes spread from [`MIN_ROW_BYTES`] up to 4 KiB (a 1,024-dimension
/// float vector): a file holds 1,024 to about half a million rows.
const ROW_BYTES_SPREAD: u64 = 4096 - MIN_ROW_BYTES + 1;

/// The files of a create, flat, each marked where it opens a group; a
/// path containing one of `fail_substrings` makes its file fail. An object
/// URL reports its object's key as its name, any other path itself.
pub(crate) fn job_files(
    groups: Vec<Vec<String>>,
    by_url: bool,
    fail_substrings: &[String],
) -> Vec<JobFile> {
    let mut files: Vec<JobFile> = groups
        .into_iter()
        .flat_map(|group| {
            group
                .into_iter()
                .enumerate()
                .map(move |(i, path)| (i == 0, path))
        })
        .map(|(starts_group, mut path)| {
            path.shrink_to_fit();
            let (size, rows) = measure(&path);
            let fails = fail_substrings
                .iter()
                .any(|s| !s.is_empty() && path.contains(s.as_str()));
            let name = if by_url {
                object_name(&path)
            } else {
                path.clone()
            };
            let mut file = JobFile::new(path, name);
            file.size = size;
            file.rows = rows;
            file.fails = fails;
            file.starts_group = starts_group;
            file
        })
        .collect();
    files.shrink_to_fit();
    files
}

/// The size in bytes and the rows of the file at `path`: 4 MiB to 256 MiB
/// of rows of 512 B to 4 KiB each, both drawn from a hash of the path.
fn measure(path: &str) -> (i64, i64) {
    let h = fnv1a(path.as_bytes());
    let size = MIN_FILE_BYTES + h % FILE_BYTES_SPREAD;
    let row_bytes = MIN_ROW_BYTES + (h >> 32) % ROW_BYTES_SPREAD;
    // Both below 2^28: the conversions cannot fail.
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    (as_i64(size), as_i64(size / row_bytes))
}

/// Why a failing file failed, naming it.
pub(crate) fn failure_reason(file: &JobFile) -> String {
    if file.missing {
        // As the service words it (`import-api-deployments.md`: "failed to
        // get file size ... NoSuchKey").
        return format!(
            "failed to get file size of {}: NoSuchKey: The specified key does not exist.",
            file.path
        );
    }
    format!(
        "failed to read object {}: access denied (emulated failure)",
        file.path
    )
}

/// 64-bit FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The object's key within its bucket, as the service reports it in `fileName`.
///
/// `s3://bucket/key` gives `key`; a path-style `https://host/bucket/key` gives
/// `key`; anything unparsable gives the part after the last `/`.
pub(crate) fn object_name(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(u) => {
            let path = u.path().trim_start_matches('/');
            let key = if matches!(u.scheme(), "http" | "https") {
                match path.split_once('/') {
                    Some((_bucket, key)) if !key.is_empty() => key,
                    _ => path,
                }
            } else {
                path
            };
            if key.is_empty() {
                raw.to_owned()
            } else {
                key.to_owned()
            }
        }
        Err(_) => raw.rsplit('/').next().unwrap_or(raw).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_URL: &str = "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json";

    #[test]
    fn object_names() {
        assert_eq!(
            object_name(SEED_URL),
            "medium_articles_2020_dpr/medium_articles_2020_dpr.json"
        );
        assert_eq!(object_name("s3://bucket/dir/a.parquet"), "dir/a.parquet");
        assert_eq!(object_name("not a url/x.json"), "x.json");
    }

    #[test]
    fn sizes_and_rows_are_plausible_and_stable() {
        let (size, rows) = measure(SEED_URL);
        assert_eq!(measure(SEED_URL), (size, rows), "the same every time");
        for i in 0..10_000 {
            let (size, rows) = measure(&format!("s3://bucket/data/{i}.parquet"));
            assert!((4 << 20..256 << 20).contains(&size), "{i}: {size} bytes");
            assert!((1_024..=524_288).contains(&rows), "{i}: {rows} rows");
            let row_bytes = size / rows;
            assert!((512..=4_096).contains(&row_bytes), "{i}: {row_bytes} B/row");
        }
        assert_ne!(measure("a.parquet"), measure("b.parquet"));
    }
}
