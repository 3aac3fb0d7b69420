//! Keeping secrets out of everything a person or a log can read.
//!
//! Debug output shows [`REDACTED`] in place of a secret; text that comes back
//! from the server (messages, body excerpts) is scrubbed of the secrets the
//! call carried, since a server may echo a request back in its error.

/// What Debug and error messages show in place of a secret.
pub const REDACTED: &str = "<redacted>";

/// The most characters of a response body an error keeps.
pub(crate) const EXCERPT_CHARS: usize = 256;

/// An object URL fit to print: a presigned URL's query string (its
/// signature) and any password are replaced by [`REDACTED`].
pub(crate) fn redact_url(raw: &str) -> String {
    // `Url` would percent-encode the placeholder, so a marker goes in and
    // the placeholder replaces it in the text.
    const MARK: &str = "REDACTEDMARK";
    match url::Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some(MARK));
            }
            let had_query = url.query().is_some();
            url.set_query(None);
            url.set_fragment(None);
            let text = url.to_string().replace(MARK, REDACTED);
            if had_query {
                format!("{text}?{REDACTED}")
            } else {
                text
            }
        }
        // Unparsable: keep only what comes before anything query-like.
        Err(_) => match raw.find(['?', '#', '@']) {
            Some(i) => format!("{}{REDACTED}", &raw[..i]),
            None => raw.to_owned(),
        },
    }
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
        let start = word[..sep]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(0, |i| i + 1);
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

/// The secret parts of a presigned URL, for [`Scrubber`]: the whole query,
/// each parameter's value (raw and decoded: a server may quote only the
/// signature), and any password.
pub(crate) fn url_secrets(raw: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(raw) else {
        return raw
            .split_once('?')
            .map(|(_, q)| vec![q.to_owned()])
            .unwrap_or_default();
    };
    let mut secrets: Vec<String> = url.query().map(str::to_owned).into_iter().collect();
    for pair in url.query().unwrap_or_default().split('&') {
        if let Some((_, value)) = pair.split_once('=') {
            secrets.push(value.to_owned());
        }
    }
    secrets.extend(url.query_pairs().map(|(_, v)| v.into_owned()));
    secrets.extend(url.password().map(str::to_owned));
    secrets
}

/// Removes known secret values from text that comes from elsewhere.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    /// Shorter values would scrub ordinary words; no real key is that short.
    const MIN_LEN: usize = 4;

    pub(crate) fn with(mut self, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        if secret.len() >= Self::MIN_LEN && !self.secrets.contains(&secret) {
            self.secrets.push(secret);
        }
        self
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = redact_urls_in_text(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// The start of a body, as lossy UTF-8, bounded and scrubbed.
    pub(crate) fn excerpt(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let scrubbed = self.scrub(&text);
        let mut cut: String = scrubbed.chars().take(EXCERPT_CHARS).collect();
        if scrubbed.chars().nth(EXCERPT_CHARS).is_some() {
            cut.push('…');
        }
        cut
    }
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.secrets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_query_and_password_are_redacted() {
        assert_eq!(
            redact_url(
                "https://bucket.s3.amazonaws.com/a/b.parquet?X-Amz-Signature=abc&X-Amz-Credential=def"
            ),
            "https://bucket.s3.amazonaws.com/a/b.parquet?<redacted>"
        );
        assert_eq!(
            redact_url("s3://user:hunter22@bucket/key"),
            "s3://user:<redacted>@bucket/key"
        );
        assert_eq!(redact_url("https://h/p.json"), "https://h/p.json");
        assert_eq!(redact_url("not a url?sig=1"), "not a url<redacted>");
    }

    #[test]
    fn scrubber_removes_secrets_and_bounds_excerpts() {
        let s = Scrubber::default().with("SECRETKEY123").with("ab");
        assert_eq!(
            s.scrub("bad key SECRETKEY123 and ab"),
            "bad key <redacted> and ab"
        );
        let long = "x".repeat(1000);
        let e = s.excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
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
            "(s3://u:<redacted>@b/k), and 'https://h/p?<redacted>'."
        );
        let plain = "no secrets at https://h/p.json here";
        assert_eq!(redact_urls_in_text(plain), plain);
    }

    #[test]
    fn url_secrets_lists_query_and_password() {
        let v = url_secrets("https://u:pw12@h/p?sig=a%2Fbcd&x");
        assert_eq!(v, ["sig=a%2Fbcd&x", "a%2Fbcd", "a/bcd", "", "pw12"]);
    }
}
