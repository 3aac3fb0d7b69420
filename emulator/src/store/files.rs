//! A job's files as the service reports them: each file's `fileName`, and
//! a size and a number of rows derived from its path, so they are stable.

use super::job::JobFile;

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

/// The size in bytes and the rows of the file at `path`: 1 MiB to ~4 GiB,
/// and 1,000 to ~5 billion rows.
fn measure(path: &str) -> (i64, i64) {
    let h = fnv1a(path.as_bytes());
    (
        1_048_576 + i64::try_from(h % 4_294_967_296).unwrap_or(0),
        1_000 + i64::try_from((h >> 20) % 5_000_000_000).unwrap_or(0),
    )
}

/// Why a failing file failed, naming it.
pub(crate) fn failure_reason(file: &JobFile) -> String {
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
}
