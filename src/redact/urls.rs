//! URLs fit to print: whatever is, or may be, a URL's user-info or query is
//! hidden, whether or not the text parses as a URL.
//!
//! The text is read as given, not through a URL parser: a parser's reading
//! of a malformed URL (a forgotten scheme, a password holding a raw `#`, `?`
//! or `/`) puts the secret in a host, a port or a path, and shows it. Here
//! everything before the last `@` counts as user-info, and everything from
//! the first `?` or `#` as query; where a `?` or `#` comes before the last
//! `@`, either reading may be the right one, so nothing after the scheme is
//! shown.

use super::{REDACTED, escape_controls};

/// A URL the user gave (a base URL, an object URL) or a server quoted, fit
/// to print: its user-info and its query or fragment replaced by
/// [`REDACTED`] (see the module's docs), control and format characters
/// escaped. `admin:pw@host:19530` shows as `<redacted>@host:19530`,
/// `https://u:p#w@h/` as `https://<redacted>`.
pub(crate) fn redact_url(raw: &str) -> String {
    let parts = Parts::of(raw.trim());
    let mut out = String::from(parts.scheme);
    // The last `@` may stand in a query or fragment, so that what follows it
    // may be the query's (`?mail=a@b`), and what precedes it may be a
    // password (`u:p?w@host`): nothing after the scheme is safe.
    if parts.user_info.is_some_and(|u| u.contains(['?', '#'])) {
        out.push_str(REDACTED);
        return out;
    }
    if parts.user_info.is_some() {
        out.push_str(REDACTED);
        out.push('@');
    }
    out.push_str(&escape_controls(parts.location));
    if let Some((mark, _)) = parts.query {
        out.push(mark);
        out.push_str(REDACTED);
    }
    out
}

/// Text with every URL in it that carries a query or a password shown as
/// [`redact_url`] shows it: a server's failure reason often quotes the
/// presigned object URL it could not read, signature included.
pub(crate) fn redact_urls_in_text(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let Some(sep) = word.find("://") else {
            out.push_str(piece);
            continue;
        };
        // The scheme runs back from `://` over scheme characters; whatever
        // stands before it (a quote, `：`, `（`) may be several bytes long.
        let start = word[..sep]
            .char_indices()
            .rev()
            .find(|&(_, c)| !is_scheme_char(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = word
            .trim_end_matches(|c: char| ",.;:)]}>'\"".contains(c))
            .len()
            .max(sep + 3);
        let url = &word[start..end];
        if url.contains(['?', '@', '#']) {
            out.push_str(&word[..start]);
            out.push_str(&redact_url(url));
            out.push_str(&piece[end..]);
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// The secret parts of a URL, for the scrubber: the user-info (whole, and
/// the user and the password apart, each as given and percent-decoded: a
/// token may stand as the user), the whole query, and each of its values
/// (as given and decoded: a server may quote only the signature). Decoding
/// is lossy where the bytes are not UTF-8.
pub(crate) fn url_secrets(raw: &str) -> Vec<String> {
    // A plain URL, the common case, has nothing to hide.
    if memchr::memchr3(b'?', b'@', b'#', raw.as_bytes()).is_none() {
        return Vec::new();
    }
    let parts = Parts::of(raw.trim());
    let mut secrets = Vec::new();
    let mut both = |text: &str| {
        secrets.push(text.to_owned());
        let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
        if decoded != text {
            secrets.push(decoded.into_owned());
        }
    };
    if let Some(user_info) = parts.user_info {
        both(user_info);
        if let Some((user, password)) = user_info.split_once(':') {
            both(user);
            both(password);
        }
    }
    if let Some((_, query)) = parts.query {
        both(query);
        for pair in query.split('&') {
            if let Some((_, value)) = pair.split_once('=') {
                both(value);
                if value.contains('+') {
                    // A form reads `+` as a space.
                    both(&value.replace('+', " "));
                }
            }
        }
    }
    secrets
}

/// A URL cut as [`redact_url`] reads it.
struct Parts<'a> {
    /// `https://`, or empty where the text starts with no scheme followed
    /// by a slash (`admin:pw@host` has none: `admin:` is the user).
    scheme: &'a str,
    /// Everything before the last `@`, where there is one.
    user_info: Option<&'a str>,
    /// Host, port and path: what follows the user-info, up to the query.
    location: &'a str,
    /// The first `?` or `#` after the user-info, and what follows it.
    query: Option<(char, &'a str)>,
}

impl<'a> Parts<'a> {
    fn of(text: &'a str) -> Parts<'a> {
        let mut scheme_end = scheme_len(text);
        // `token:/@host` and `token:\\@host` read as a scheme as well as a
        // user and a password: before an `@`, only a scheme this crate
        // speaks is taken as one, anything else as user-info.
        if scheme_end > 0
            && text[scheme_end..].contains('@')
            && !is_known_scheme(&text[..scheme_end])
        {
            scheme_end = 0;
        }
        let (scheme, rest) = text.split_at(scheme_end);
        let (user_info, tail) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (location, query) = match tail.find(['?', '#']) {
            // `?` and `#` are ASCII: one byte each.
            Some(i) => (
                &tail[..i],
                Some((char::from(tail.as_bytes()[i]), &tail[i + 1..])),
            ),
            None => (tail, None),
        };
        Parts {
            scheme,
            user_info,
            location,
            query,
        }
    }
}

/// The length of the scheme at the start of `text` with the slashes that
/// follow it (`https://`, `s3:/`, `http:\\`); 0 where there is no scheme or
/// no slash after it.
fn scheme_len(text: &str) -> usize {
    let Some((scheme, rest)) = text.split_once(':') else {
        return 0;
    };
    let slashes = rest.len() - rest.trim_start_matches(['/', '\\']).len();
    let named = scheme.starts_with(|c: char| c.is_ascii_alphabetic());
    if named && slashes > 0 && scheme.chars().all(is_scheme_char) {
        scheme.len() + 1 + slashes
    } else {
        0
    }
}

/// `https://` and the like: a scheme this crate sends to or names objects
/// with (any case), with its colon and slashes.
fn is_known_scheme(scheme: &str) -> bool {
    let name = scheme.split(':').next().unwrap_or_default();
    ["http", "https", "s3", "gs", "az"]
        .iter()
        .any(|known| name.eq_ignore_ascii_case(known))
}

fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+-.".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_query_and_user_info_are_redacted() {
        assert_eq!(
            redact_url(
                "https://bucket.s3.amazonaws.com/a/b.parquet?X-Amz-Signature=abc&X-Amz-Credential=def"
            ),
            "https://bucket.s3.amazonaws.com/a/b.parquet?<redacted>"
        );
        assert_eq!(
            redact_url("s3://user:hunter22@bucket/key"),
            "s3://<redacted>@bucket/key"
        );
        assert_eq!(redact_url("https://h/p.json"), "https://h/p.json");
        // A user that looks like a scheme (the fuzzer's find).
        assert_eq!(redact_url("token:\\@h"), "<redacted>@h");
        assert_eq!(redact_url("token://pw@h"), "<redacted>@h");
        assert_eq!(redact_url("HTTPS://u:p@h"), "HTTPS://<redacted>@h");
        assert_eq!(redact_url("https://h/p#frag"), "https://h/p#<redacted>");
        assert_eq!(redact_url("not a url?sig=1"), "not a url?<redacted>");
        assert_eq!(
            redact_url("http://u:pass word@h:99999/p?q"),
            "http://<redacted>@h:99999/p?<redacted>"
        );
    }

    /// Issue 19, point 7: what a URL parser reads wrongly still hides the
    /// user-info: no scheme, a raw `#`, `?` or `/` in the password, a token
    /// as the user, a scheme a parser would take without slashes.
    #[test]
    fn malformed_user_info_is_hidden_whatever_a_parser_would_read() {
        let cases = [
            ("admin:PASSWORD@host:19530", "<redacted>@host:19530"),
            ("https://admin:PA#SS@host:19530", "https://<redacted>"),
            ("https://admin:PA?SS@host:19530/p", "https://<redacted>"),
            (
                "https://admin:PA/SS@host:19530/p",
                "https://<redacted>@host:19530/p",
            ),
            ("https://TOKEN@host/", "https://<redacted>@host/"),
            ("https:TOKEN@host", "<redacted>@host"),
            ("HTTPS:\\\\u:PW@host", "HTTPS:\\\\<redacted>@host"),
            ("  https://u:PW@host  ", "https://<redacted>@host"),
            ("https://h/p?mail=a@b.com&sig=SIG", "https://<redacted>"),
            (
                "https://u:PW@h/a@b/c?q=1",
                "https://<redacted>@b/c?<redacted>",
            ),
            ("user:PW@", "<redacted>@"),
            ("@", "<redacted>@"),
            (
                "https://h/\u{1b}[2J\u{200b}",
                "https://h/\\u{1b}[2J\\u{200b}",
            ),
        ];
        for (raw, shown) in cases {
            assert_eq!(redact_url(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn urls_inside_text_lose_their_query() {
        assert_eq!(
            redact_urls_in_text(
                "failed to read object https://b.s3.amazonaws.com/a.parquet?X-Amz-Signature=SIG: access denied"
            ),
            "failed to read object https://b.s3.amazonaws.com/a.parquet?<redacted>: access denied"
        );
        assert_eq!(
            redact_urls_in_text("(s3://u:pw@b/k), and 'https://h/p?q=1'."),
            "(s3://<redacted>@b/k), and 'https://h/p?<redacted>'."
        );
        let plain = "no secrets at https://h/p.json here";
        assert_eq!(redact_urls_in_text(plain), plain);
    }

    /// The panic the China region hit: a multi-byte character right before
    /// the scheme.
    #[test]
    fn multibyte_text_before_a_scheme_does_not_panic() {
        assert_eq!(
            redact_urls_in_text("集合不存在，参考：https://docs.zilliz.com.cn/x"),
            "集合不存在，参考：https://docs.zilliz.com.cn/x"
        );
        assert_eq!(
            redact_urls_in_text("正在读取：s3://bucket/a.parquet?sig=SECRET"),
            "正在读取：s3://bucket/a.parquet?<redacted>"
        );
        assert_eq!(redact_urls_in_text("é://"), "é://");
        assert_eq!(redact_urls_in_text("://?"), "://?<redacted>");
    }

    #[test]
    fn url_secrets_lists_user_info_and_query() {
        let v = url_secrets("https://u:pw12@h/p?sig=a%2Fbcd&x");
        assert_eq!(
            v,
            [
                "u:pw12",
                "u",
                "pw12",
                "sig=a%2Fbcd&x",
                "sig=a/bcd&x",
                "a%2Fbcd",
                "a/bcd"
            ]
        );
        assert_eq!(url_secrets("https://TOKEN@h/"), ["TOKEN"]);
        assert_eq!(url_secrets("s3://b/k?s=a+b"), ["s=a+b", "a+b", "a b"]);
        assert!(url_secrets("https://h/p").is_empty());
    }
}
