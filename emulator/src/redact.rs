//! What the request log keeps of a body: the body with its credentials
//! replaced by [`REDACTED`], so recording requests is no place for a
//! secret to leak to. The emulator's own, small rule: credential fields by
//! name at any depth, any string holding the bearer token (the Java SDK
//! sends the key inside the body), and the user-info and query of URLs (a
//! presigned URL's signature is a credential).

use serde_json::Value;

/// What a recorded body shows in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// Body keys whose values are credentials, compared in any ASCII case.
const SECRET_KEYS: &[&str] = &[
    "accesskey",
    "secretkey",
    "token",
    "apikey",
    "api_key",
    "password",
];

/// `value` with every credential replaced (see the module docs); `null`
/// credentials stay `null`, so the log still tells unset from set.
pub(crate) fn redact_body(value: &Value, api_key: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let secret = SECRET_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s));
                    let v = if secret && !v.is_null() {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact_body(v, api_key)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| redact_body(v, api_key)).collect())
        }
        Value::String(s) if !api_key.is_empty() && s.contains(api_key) => {
            Value::String(REDACTED.to_owned())
        }
        Value::String(s) => Value::String(redact_urls(s)),
        other => other.clone(),
    }
}

/// Text with each white-space-separated word that holds `://` and a
/// user-info (`@`) or a query or fragment (`?`, `#`) shown without them:
/// `https://u:p@host/a?sig` as `https://<redacted>@host/a?<redacted>`.
/// Where a `?` or `#` comes before the last `@`, which of them ends the
/// user-info is unclear, so nothing after the scheme is kept.
pub(crate) fn redact_urls(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        match word.split_once("://") {
            Some((scheme, rest)) if rest.contains(['@', '?', '#']) => {
                out.push_str(scheme);
                out.push_str("://");
                out.push_str(&redact_after_scheme(rest));
                out.push_str(&piece[word.len()..]);
            }
            _ => out.push_str(piece),
        }
    }
    out
}

/// The part of a URL after `scheme://`, its user-info and query redacted.
fn redact_after_scheme(rest: &str) -> String {
    let query_at = rest.find(['?', '#']);
    let (user_info, location) = match rest.rfind('@') {
        Some(at) if query_at.is_some_and(|q| q < at) => return REDACTED.to_owned(),
        Some(at) => (true, &rest[at + 1..]),
        None => (false, rest),
    };
    let mut out = String::new();
    if user_info {
        out.push_str(REDACTED);
        out.push('@');
    }
    match location.find(['?', '#']) {
        Some(q) => {
            out.push_str(&location[..=q]);
            out.push_str(REDACTED);
        }
        None => out.push_str(location),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_secrets_at_any_depth() {
        let body = json!({
            "accessKey": "AK", "secretKey": "SK", "token": null,
            "nested": [{"Token": "T"}], "apiKey": "k", "note": "xx-the-key-xx",
            "collectionName": "c"
        });
        assert_eq!(
            redact_body(&body, "the-key"),
            json!({
                "accessKey": "<redacted>", "secretKey": "<redacted>", "token": null,
                "nested": [{"Token": "<redacted>"}], "apiKey": "<redacted>",
                "note": "<redacted>", "collectionName": "c"
            })
        );
    }

    #[test]
    fn urls_lose_their_user_info_and_query() {
        let cases = [
            ("s3://b/a.parquet", "s3://b/a.parquet"),
            (
                "https://b.s3.amazonaws.com/a.parquet?X-Amz-Signature=S",
                "https://b.s3.amazonaws.com/a.parquet?<redacted>",
            ),
            ("https://u:p@host/a", "https://<redacted>@host/a"),
            (
                "https://u:p@host/a#f",
                "https://<redacted>@host/a#<redacted>",
            ),
            ("https://u:p?w@host/a", "https://<redacted>"),
            (
                "read s3://b/é.json?sig, then é",
                "read s3://b/é.json?<redacted> then é",
            ),
            ("no url? here@", "no url? here@"),
        ];
        for (text, shown) in cases {
            assert_eq!(redact_urls(text), shown, "{text}");
        }
    }
}
