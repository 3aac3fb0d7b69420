//! What can go wrong, naming the file, the key and the part, and whether
//! the object may be partly written (then its journal keeps what is done,
//! and the same call goes on from there).

use std::io;
use std::path::PathBuf;

/// Why an upload stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// A source is missing, not a file or folder, or has a name that is not
    /// UTF-8 (object keys are).
    #[error("invalid source {path}: {reason}")]
    InvalidSource { path: PathBuf, reason: String },
    /// A source could not be read.
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    /// The destination (URL, endpoint, volume path) is not usable.
    #[error("invalid destination: {0}")]
    InvalidDestination(String),
    /// A key the object store does not take.
    #[error("invalid object key {key:?} for {path}: {reason}")]
    InvalidKey {
        path: PathBuf,
        key: String,
        reason: String,
    },
    /// Two sources would land on the same key.
    #[error("{first} and {second} would both be uploaded to {key}")]
    DuplicateKey {
        key: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// The volume's `apply` failed.
    #[error("volume apply for path {path:?} failed: {message}")]
    Grant { path: String, message: String },
    /// The upload would pass the volume's `condition`; nothing was sent.
    #[error(
        "the upload ({files} files, {bytes} bytes) exceeds the volume's limit{}{}. \
         If you are using the free tier, you may switch to the pay-as-you-go volume plan",
        .max_content_length.map(|m| format!(" of {m} bytes (maxContentLength)")).unwrap_or_default(),
        .max_file_number.map(|m| format!(" of {m} files (maxFileNumber)")).unwrap_or_default()
    )]
    QuotaExceeded {
        files: u64,
        bytes: u64,
        /// Set when `bytes` passes it.
        max_content_length: Option<u64>,
        /// Set when `files` passes it.
        max_file_number: Option<u64>,
    },
    /// The store refused the credentials, also right after they were
    /// renewed (a wrong or revoked session token, missing rights).
    #[error("{file}: the store refused the credentials for {key}{}: {message}{}",
        part_label(*.part), partial_label(*.partly_written))]
    CredentialsRefused {
        file: PathBuf,
        key: String,
        part: Option<usize>,
        message: String,
        partly_written: bool,
    },
    /// A request to the store failed (after its retries).
    #[error("{file}: {operation} of {key}{} failed: {message}{}",
        part_label(*.part), partial_label(*.partly_written))]
    Store {
        file: PathBuf,
        key: String,
        part: Option<usize>,
        operation: &'static str,
        message: String,
        /// Whether the failure is one a later run may not meet again
        /// (throttling, 5xx, time-outs) once the retries ran out.
        transient: bool,
        partly_written: bool,
    },
    /// The source changed while it was being uploaded: its parts would not
    /// make one consistent object.
    #[error("{file} changed while it was being uploaded to {key}; run the upload again")]
    SourceChanged { file: PathBuf, key: String },
    /// The journal beside a source could not be written.
    #[error("cannot write the upload journal {path}: {source}")]
    Journal { path: PathBuf, source: io::Error },
}

fn part_label(part: Option<usize>) -> String {
    part.map(|p| format!(" (part {})", p + 1))
        .unwrap_or_default()
}

fn partial_label(partly: bool) -> &'static str {
    if partly {
        " (the object is not complete: its journal keeps the parts sent, run the upload again to go on)"
    } else {
        ""
    }
}

impl UploadError {
    /// Whether the object the error is about may be partly written (a
    /// multipart upload underway, its journal beside the source).
    pub fn partly_written(&self) -> bool {
        matches!(
            self,
            UploadError::Store {
                partly_written: true,
                ..
            } | UploadError::CredentialsRefused {
                partly_written: true,
                ..
            }
        )
    }
}

/// How a store's error is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Throttling, 5xx, time-outs, broken connections: wait and send again.
    Transient,
    /// Expired, invalid or refused credentials: renew them and send again.
    Credentials,
    /// The multipart upload is gone (aborted, expired): start the file over.
    NoSuchUpload,
    /// Anything else: stop.
    Fatal,
}

/// S3 error codes met as credentials that ran out or were revoked.
const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "InvalidAccessKeyId",
    "RequestExpired",
];

/// S3 error codes worth another try (the Java SDK's list).
const TRANSIENT_CODES: &[&str] = &[
    "SlowDown",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// The S3 `<Code>` of an error body inside `text`, if any.
pub(crate) fn s3_code(text: &str) -> Option<&str> {
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text.get(start..)?.find("</Code>")?;
    text.get(start..start + len)
}

/// The HTTP status object_store's error text names
/// ("... status code: 400 Bad Request ...").
fn status(text: &str) -> Option<u16> {
    let at = text.find("status code: ")? + "status code: ".len();
    text.get(at..at + 3)?.parse().ok()
}

/// Sorts a store error into what to do next.
pub(crate) fn classify(e: &object_store::Error) -> Failure {
    let text = e.to_string();
    if let Some(code) = s3_code(&text) {
        if CREDENTIAL_CODES.contains(&code) {
            return Failure::Credentials;
        }
        // Azure's: a block the list names is gone (uncommitted blocks
        // expire after 7 days), as S3's upload that is gone.
        if code == "NoSuchUpload" || code == "InvalidBlockList" {
            return Failure::NoSuchUpload;
        }
        if TRANSIENT_CODES.contains(&code) {
            return Failure::Transient;
        }
    }
    match e {
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => return Failure::Credentials,
        object_store::Error::NotFound { .. } => return Failure::NoSuchUpload,
        _ => {}
    }
    match status(&text) {
        // A HEAD answer has no body to name the code in: a 400 there is
        // the store refusing the credentials (S3's InvalidToken,
        // ExpiredToken).
        Some(400) if text.contains("performing HEAD") => Failure::Credentials,
        Some(408 | 429) => Failure::Transient,
        Some(s) if s >= 500 => Failure::Transient,
        Some(_) => Failure::Fatal,
        // No answer at all: a connection or a time-out that object_store's
        // own retries did not get over.
        None if text.contains("error sending request")
            || text.contains("timed out")
            || text.contains("connection")
            || text.contains("Connection") =>
        {
            Failure::Transient
        }
        None => Failure::Fatal,
    }
}

/// Removes secrets from a store's error text: the values given, and the
/// `<Token-0>` element S3 echoes an expired session token in.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret, "[REDACTED]");
    }
    // `find` answers char boundaries, so these slices cannot panic.
    while let Some(start) = out.find("<Token-") {
        let rest = &out[start..];
        let end = rest
            .find("</Token-")
            .and_then(|close| rest[close..].find('>').map(|e| start + close + e + 1))
            .unwrap_or(out.len());
        out.replace_range(start..end, "[REDACTED]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Error texts come from the store: nothing in them may panic.
        #[test]
        fn store_texts_never_panic(text in "(<Code>|</Code>|<Token-|</Token-|>|status code: |é|[a-z0-9 ]){0,40}", secret in ".{0,8}") {
            let _ = s3_code(&text);
            let _ = status(&text);
            let out = scrub(&text, &[&secret]);
            prop_assert!(!out.contains("<Token-"));
        }
    }

    #[test]
    fn s3_code_is_read_from_the_body() {
        let text = "Error performing PUT http://x in 1ms - Server returned non-2xx status code: 400 Bad Request: <?xml version=\"1.0\"?><Error><Code>InvalidToken</Code><Message>m</Message></Error>";
        assert_eq!(s3_code(text), Some("InvalidToken"));
        assert_eq!(status(text), Some(400));
        assert_eq!(s3_code("<Code>unterminated"), None);
    }

    #[test]
    fn scrub_removes_secrets_and_echoed_tokens() {
        let text =
            "bad SECRETKEY <Error><Token-0>TOKENVALUE</Token-0><Code>ExpiredToken</Code></Error>";
        let out = scrub(text, &["SECRETKEY"]);
        assert_eq!(
            out,
            "bad [REDACTED] <Error>[REDACTED]<Code>ExpiredToken</Code></Error>"
        );
        assert_eq!(scrub("x <Token-0 unterminated", &[]), "x [REDACTED]");
        assert_eq!(scrub("x <Token-0>abc", &[]), "x [REDACTED]");
    }
}
