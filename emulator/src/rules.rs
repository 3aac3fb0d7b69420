//! The services' rules that the spec does not state, written here on the
//! emulator's own authority: from `../shared/reference/zilliz-import-api.md`
//! and `import-api-deployments.md` (cited per rule as "api" and
//! "deployments"), and from the seed, `../shared/seed/create-import-jobs-v2.md`.
//! The rules the spec can state (file-group counts, page sizes, the key's
//! length, required fields) are read from it instead (see `spec.rs`).
//!
//! The client states its own rules in its own code: where the two share a
//! rule, a test of one against the other is a test of both.

use std::collections::BTreeMap;

use crate::spec::limits::MAX_IDEMPOTENCY_KEY_LEN;

/// The `reason` describe gives a job that was aborted: "the job ends
/// `Failed` with the reason `aborted by user`" (the spec's abort operation;
/// deployments, "Operations on Milvus", says "with an abort reason").
pub const ABORTED_REASON: &str = "aborted by user";

/// The import options the emulator reads (deployments, "Options"): a map
/// of strings whose keys the server knows; any other key is ignored.
pub(crate) mod option_keys {
    /// `"false"` parks the finished job in `Uncommitted` until commit or abort.
    pub(crate) const AUTO_COMMIT: &str = "auto_commit";
    /// How long the job may run, such as `"300s"` or `"1.5h"`.
    pub(crate) const TIMEOUT: &str = "timeout";
}

/// Jobs per list page when the body names none: the page size of the
/// documented list body (api, "List": `{"clusterId", "pageSize": 10,
/// "currentPage": 1}`).
pub(crate) const DEFAULT_PAGE_SIZE: i64 = 10;

/// File formats whose group holds exactly one file (deployments,
/// "Documented limits": "A file group holds one file for JSON, JSONL,
/// Parquet and CSV; a NumPy group is a folder with one `.npy` file per
/// field").
const SINGLE_FILE_FORMATS: [&str; 4] = [".json", ".jsonl", ".parquet", ".csv"];

/// Why an `Idempotency-Key` header is refused, or `None`: "Keys are
/// printable ASCII, at most 256 bytes" (api, "Idempotent create"; the
/// length is the spec's `maxLength`), refused with Milvus's code 1100
/// (deployments, "Headers").
pub(crate) fn idempotency_key_problem(key: &[u8]) -> Option<String> {
    if !key.iter().all(|b| (0x20..0x7f).contains(b)) {
        Some("must be printable ASCII".to_owned())
    } else if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        Some(format!("must be at most {MAX_IDEMPOTENCY_KEY_LEN} bytes"))
    } else {
        None
    }
}

/// Why a file group is refused (a blank path, or several files of a
/// single-file format), or `None`. An empty group is not refused here:
/// open-source Milvus's proxy drops empty groups before it counts them.
pub(crate) fn file_group_problem(group: &[String]) -> Option<String> {
    if group.iter().any(|p| p.trim().is_empty()) {
        return Some("a path is empty".to_owned());
    }
    if group.len() > 1
        && let Some(format) = group.iter().find_map(|p| single_file_format(p))
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

/// The single-file format a path names, by its extension in any case,
/// ignoring a `?query` or `#fragment`.
fn single_file_format(path: &str) -> Option<&'static str> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    SINGLE_FILE_FORMATS.into_iter().find(|ext| {
        name.len() > ext.len()
            && name
                .get(name.len() - ext.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(ext))
    })
}

/// Whether a job created with these options commits itself (the default,
/// deployments: "`auto_commit` (default `"true"`)"), read as open-source
/// Milvus reads it: with Go's `strconv.ParseBool`, so `1`, `t`, `T`,
/// `TRUE`, `true`, `True` and `0`, `f`, `F`, `FALSE`, `false`, `False`,
/// nothing else (not even with spaces around). Any other value (`""`
/// included) is refused with the text of the problem. That the real servers
/// refuse the create for such a value, and with which code, is unverified.
pub(crate) fn auto_commit(options: &BTreeMap<String, String>) -> Result<bool, String> {
    let Some(value) = options.get(option_keys::AUTO_COMMIT) else {
        return Ok(true);
    };
    match value.as_str() {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        other => Err(format!(
            "options.{} must be \"true\" or \"false\" (as Go's strconv.ParseBool \
             reads it), got {other:?}",
            option_keys::AUTO_COMMIT
        )),
    }
}

/// Why the `timeout` option is refused, or `None` without one. Milvus reads
/// it with Go's `time.ParseDuration` (deployments: `"300s"`, `"1.5h"`) and
/// refuses the create, as an import failure, when it does not parse (its
/// datacoord's `GetTimeoutTs`; read from the source, not tried on a server).
/// Go's syntax: an optional sign, then one or more decimal numbers each
/// with a unit (`ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`), as `1h30m`;
/// a bare `0` too.
pub(crate) fn timeout_problem(options: &BTreeMap<String, String>) -> Option<String> {
    let value = options.get(option_keys::TIMEOUT)?;
    (!is_go_duration(value)).then(|| {
        format!(
            "parse timeout failed, err=time: invalid duration {value:?} (options.{} takes a \
             duration such as \"300s\" or \"1h30m\")",
            option_keys::TIMEOUT
        )
    })
}

/// Whether Go's `time.ParseDuration` reads `text`.
fn is_go_duration(text: &str) -> bool {
    let text = text.strip_prefix(['+', '-']).unwrap_or(text);
    if text == "0" {
        return true;
    }
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let number = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (digits, tail) = rest.split_at(number);
        let whole = digits.split_once('.').map_or(digits, |(w, _)| w);
        let fraction = digits.split_once('.').map_or("", |(_, f)| f);
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return false;
        }
        let Some(unit) = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| tail.starts_with(u))
            .max_by_key(|u| u.len())
        else {
            return false;
        };
        rest = &tail[unit.len()..];
    }
    true
}

/// Why an object URL is refused, or `None`: it must be a URL that names
/// a host or bucket (api, "Create": "URL of the object that stores the
/// data"; the older API answered an invalid one with code 10003). The URL
/// is not quoted back: a presigned one carries its signature.
pub(crate) fn object_url_problem(url: &str) -> Option<&'static str> {
    match url::Url::parse(url.trim()) {
        Err(_) => Some("is not a URL"),
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Some("names no bucket or host"),
        Ok(_) => None,
    }
}

/// Why the storage credentials a create carries (each `true` when sent
/// and not empty) are refused, or `None`. They belong to object URLs
/// (deployments, "Sources": object URLs take "optional `accessKey` +
/// `secretKey` (+ `token` for temporary credentials)"; a volume is named
/// with `volumeName` + `dataPaths` alone), the keys go as a pair, and a
/// session token goes with the keys it was issued with. The control
/// plane's answer to a half pair is unverified; open-source Milvus reads
/// none of them (deployments: its body is exactly five fields).
pub(crate) fn credentials_problem(
    by_volume: bool,
    access_key: bool,
    secret_key: bool,
    token: bool,
) -> Option<&'static str> {
    if by_volume && (access_key || secret_key || token) {
        Some(
            "storage credentials (accessKey, secretKey, token) go with object URLs; a volume needs none",
        )
    } else if access_key != secret_key {
        Some("accessKey and secretKey go together")
    } else if token && !secret_key {
        Some("a token goes with the accessKey and secretKey it was issued with")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_file_formats_by_extension() {
        assert_eq!(single_file_format("a/b.PARQUET"), Some(".parquet"));
        assert_eq!(single_file_format("s3://b/x.jsonl?sig=s"), Some(".jsonl"));
        assert_eq!(single_file_format("s3://b/x.json#f"), Some(".json"));
        assert_eq!(single_file_format("d/vec.npy"), None);
        assert_eq!(single_file_format(".csv"), None);
        assert_eq!(single_file_format("dir.csv/"), None);
        assert_eq!(single_file_format("ééé"), None);
        assert_eq!(single_file_format("é.csv"), Some(".csv"));
    }

    #[test]
    fn groups() {
        let group = |paths: &[&str]| paths.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(file_group_problem(&group(&["a.npy", "b.npy"])), None);
        assert_eq!(file_group_problem(&group(&["a.parquet"])), None);
        assert_eq!(file_group_problem(&[]), None, "dropped, not refused");
        assert_eq!(
            file_group_problem(&group(&["a.npy", " "])).as_deref(),
            Some("a path is empty")
        );
        let two = file_group_problem(&group(&["a.parquet", "b.parquet"])).unwrap();
        assert!(two.starts_with("a group of 2 files holds a .parquet file"));
    }

    #[test]
    fn idempotency_keys() {
        assert_eq!(idempotency_key_problem(b"abc def"), None);
        assert_eq!(idempotency_key_problem(&[b'a'; 256]), None);
        let long = idempotency_key_problem(&[b'a'; 257]);
        assert_eq!(long.as_deref(), Some("must be at most 256 bytes"));
        let ascii = Some("must be printable ASCII".to_owned());
        assert_eq!(idempotency_key_problem("é".as_bytes()), ascii);
        assert_eq!(idempotency_key_problem(b"a\tb"), ascii);
    }

    #[test]
    fn auto_commit_reads_as_go_parse_bool() {
        let options =
            |v: &str| BTreeMap::from([(option_keys::AUTO_COMMIT.to_owned(), v.to_owned())]);
        assert_eq!(auto_commit(&BTreeMap::new()), Ok(true), "the default");
        for v in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(auto_commit(&options(v)), Ok(true), "{v}");
        }
        for v in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(auto_commit(&options(v)), Ok(false), "{v}");
        }
        for v in [
            "",
            " true",
            "false ",
            "tRUE",
            "yes",
            "no",
            "2",
            "é",
            "ｔｒｕｅ",
        ] {
            let problem = auto_commit(&options(v)).expect_err(v);
            assert!(
                problem.starts_with("options.auto_commit must be"),
                "{problem}"
            );
            assert!(problem.ends_with(&format!("got {v:?}")), "{problem}");
        }
        // Another key does not count.
        let other = BTreeMap::from([("AUTO_COMMIT".to_owned(), "maybe".to_owned())]);
        assert_eq!(auto_commit(&other), Ok(true));
    }

    #[test]
    fn timeouts_read_as_go_parse_duration() {
        for ok in [
            "300s", "1.5h", "1h30m", "0", "-5s", "+2m", ".5s", "5.s", "10ms", "3us", "3µs", "1ns",
            "0s",
        ] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in [
            "", "soon", "300", "5 s", "s", ".s", "1.2.3s", "1d", "-", "1h30", "é",
        ] {
            assert!(!is_go_duration(bad), "{bad}");
        }
        let options = |v: &str| BTreeMap::from([(option_keys::TIMEOUT.to_owned(), v.to_owned())]);
        assert_eq!(timeout_problem(&BTreeMap::new()), None);
        assert_eq!(timeout_problem(&options("300s")), None);
        let problem = timeout_problem(&options("soon")).expect("refused");
        assert!(
            problem.starts_with("parse timeout failed, err=time: invalid duration \"soon\""),
            "{problem}"
        );
    }

    #[test]
    fn object_urls_name_a_host() {
        assert_eq!(object_url_problem("s3://bucket/a.parquet"), None);
        assert_eq!(object_url_problem("https://h/b/a.json?sig=1"), None);
        assert_eq!(object_url_problem("a.parquet"), Some("is not a URL"));
        assert_eq!(
            object_url_problem("s3:///a.parquet"),
            Some("names no bucket or host")
        );
        assert_eq!(object_url_problem("é://x"), Some("is not a URL"));
    }

    #[test]
    fn credentials_go_together_and_with_object_urls() {
        assert_eq!(credentials_problem(false, false, false, false), None);
        assert_eq!(credentials_problem(false, true, true, false), None);
        assert_eq!(credentials_problem(false, true, true, true), None);
        assert_eq!(credentials_problem(true, false, false, false), None);
        for (by_volume, a, s, t) in [
            (true, true, true, false),
            (true, false, false, true),
            (false, true, false, false),
            (false, false, true, false),
            (false, false, false, true),
            (false, true, false, true),
        ] {
            assert!(
                credentials_problem(by_volume, a, s, t).is_some(),
                "{by_volume} {a} {s} {t}"
            );
        }
    }
}
