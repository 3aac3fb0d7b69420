//! Checks of what the caller gives, made before anything is sent: each
//! names the field at fault as the API names it.

use crate::{Error, limits, redact::redact_url};

/// Every group of a source sound (see [`limits::file_group_problem`]) and
/// each path accepted by `path`; the number of groups.
pub(crate) fn check_groups(
    field: &'static str,
    groups: &[Vec<String>],
    path: impl Fn(&str) -> Result<(), Error>,
) -> Result<usize, Error> {
    if groups.is_empty() {
        return Err(Error::invalid(
            field,
            "needs at least one group, and every group at least one path",
        ));
    }
    for (n, group) in groups.iter().enumerate() {
        if let Some(problem) = limits::file_group_problem(group) {
            return Err(Error::invalid(field, format!("group {}: {problem}", n + 1)));
        }
        group.iter().try_for_each(|p| path(p))?;
    }
    Ok(groups.len())
}

/// A Go duration the server's `timeout` option takes: a positive number
/// followed by `ms`, `s`, `m` or `h`, such as `300s` or `1.5h`.
pub(crate) fn is_positive_duration(text: &str) -> bool {
    let number = ["ms", "s", "m", "h"]
        .iter()
        .find_map(|unit| text.strip_suffix(unit));
    number
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .and_then(|n| n.parse::<f64>().ok())
        .is_some_and(|n| n.is_finite() && n > 0.0)
}

pub(crate) fn not_blank(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        Err(Error::invalid(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// An object URL names a bucket or host. The strict, cheap parse of
/// `http::Uri` accepts the usual ones (`s3://bucket/key`, a presigned
/// `https` URL) at a tenth of the cost; what it refuses (a space, a
/// non-ASCII key, no host) is read by the WHATWG parser, which decides.
pub(crate) fn check_object_url(field: &'static str, raw: &str) -> Result<(), Error> {
    if let Ok(uri) = raw.parse::<http::Uri>()
        && uri.scheme().is_some()
        && uri.host().is_some_and(|h| !h.is_empty())
    {
        return Ok(());
    }
    let url = url::Url::parse(raw)
        .map_err(|e| Error::invalid(field, format!("`{}` is not a URL: {e}", redact_url(raw))))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid(
            field,
            format!("`{}` names no bucket or host", redact_url(raw)),
        ));
    }
    Ok(())
}

pub(crate) fn check_idempotency_key(key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::invalid("Idempotency-Key", "must not be empty"));
    }
    if let Some(problem) = limits::idempotency_key_problem(key.as_bytes()) {
        return Err(Error::invalid("Idempotency-Key", problem));
    }
    if key.trim() != key {
        // HTTP trims header values: the server would see another key.
        return Err(Error::invalid(
            "Idempotency-Key",
            "must not start or end with a space",
        ));
    }
    Ok(())
}
