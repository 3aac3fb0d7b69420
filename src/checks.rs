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

/// A page of a listing (jobs, volumes): its size within the API's range
/// (code 96008 otherwise), its number from 1 (96009).
pub(crate) fn check_page(page: u32, page_size: u32) -> Result<(), Error> {
    if !crate::limits::PAGE_SIZES.contains(&page_size) {
        // A range's Debug is `1..=100`.
        let outside = format!("{page_size} is outside {:?}", crate::limits::PAGE_SIZES);
        return Err(Error::invalid("pageSize", outside));
    }
    if page < 1 {
        return Err(Error::invalid("currentPage", "pages count from 1"));
    }
    Ok(())
}

pub(crate) fn not_blank(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        Err(Error::invalid(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// [`not_blank`] for a field that may be left out: absent is fine, set
/// means set to something.
pub(crate) fn not_blank_if_set(field: &'static str, value: Option<&str>) -> Result<(), Error> {
    value.map_or(Ok(()), |value| not_blank(field, value))
}

/// An object URL names a bucket or host. The usual ones (`s3://bucket/key`,
/// a presigned `https` URL) pass a look at their shape, at a tenth of a
/// parse's cost; anything else (a space, a non-ASCII key, no host, a
/// port) is read by the WHATWG parser, which decides.
pub(crate) fn check_object_url(field: &'static str, raw: &str) -> Result<(), Error> {
    if plain_url(raw) {
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

/// `scheme://host/...` in printable ASCII, the scheme a letter then letters,
/// digits, `+`, `-` or `.`, and a host of letters, digits, `-`, `_` and
/// `.` up to the first `/`, `?` or `#` (so no user-info and no port): a
/// URL with a host, whatever else a parser would say of it.
fn plain_url(raw: &str) -> bool {
    let raw = raw.as_bytes();
    let Some(colon) = memchr::memchr(b':', raw) else {
        return false;
    };
    let (scheme, rest) = raw.split_at(colon);
    let Some(rest) = rest.strip_prefix(b"://") else {
        return false;
    };
    let host_end = memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len());
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && host_end > 0
        && rest[..host_end]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && rest[host_end..]
            .iter()
            .fold(true, |ok, b| ok & b.is_ascii_graphic())
}

/// A key the server reads as sent: not empty, by its rule (see
/// [`limits::idempotency_key_problem`]), and without spaces at its ends,
/// which HTTP trims (the server would see another key).
pub(crate) fn check_idempotency_key(key: &str) -> Result<(), Error> {
    let problem = match limits::idempotency_key_problem(key.as_bytes()) {
        _ if key.is_empty() => "must not be empty".to_owned(),
        Some(problem) => problem,
        None if key.trim() != key => "must not start or end with a space".to_owned(),
        None => return Ok(()),
    };
    Err(Error::invalid("Idempotency-Key", problem))
}
