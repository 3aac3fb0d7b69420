//! What a volume's `apply` hands out, and the trait the uploader asks it
//! through. The uploader does not call the REST API itself: the caller (the
//! CLI) maps the client's apply answer into a [`StorageGrant`], so this
//! crate stays free of the client and the client free of object storage.

use std::error::Error as StdError;
use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;
use secrecy::SecretString;

/// Temporary access to a volume's storage, scoped to one path, as the
/// volume API's `apply` answers it.
#[derive(Clone)]
pub struct StorageGrant {
    /// Host (or URL) of the storage service: `s3.amazonaws.com`,
    /// `storage.googleapis.com`, `http://127.0.0.1:9000`. A bare host means
    /// HTTPS.
    pub endpoint: String,
    /// The bucket the volume lives in (`bucketName`).
    pub bucket: String,
    /// The bucket's region.
    pub region: String,
    /// `aws`, `gcp`, `ali`, `tc`, `az`, ...: every cloud but `gcp` is
    /// spoken to through SigV4 (S3-compatible), `gcp` with the session
    /// token as a bearer token.
    pub cloud: String,
    /// The volume's prefix inside the bucket (`volumePrefix`), put before
    /// every key.
    pub prefix: String,
    /// `tmpAK`.
    pub access_key_id: String,
    /// `tmpSK`.
    pub secret_access_key: SecretString,
    /// `sessionToken`.
    pub session_token: Option<SecretString>,
    /// When the credentials stop working; they are renewed
    /// [`crate::REFRESH_MARGIN`] before.
    pub expire_time: Option<SystemTime>,
    /// `condition.maxContentLength`: the most bytes one upload may send.
    pub max_content_length: Option<u64>,
    /// `condition.maxFileNumber`: the most files one upload may send.
    pub max_file_number: Option<u64>,
}

/// The secrets never show: only whether they are there.
impl fmt::Debug for StorageGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageGrant")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("cloud", &self.cloud)
            .field("prefix", &self.prefix)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expire_time", &self.expire_time)
            .field("max_content_length", &self.max_content_length)
            .field("max_file_number", &self.max_file_number)
            .finish()
    }
}

/// The error a [`GrantSource`] answers with (the client's own error,
/// boxed). Its text is shown to the user, so it must hold no secret.
pub type GrantError = Box<dyn StdError + Send + Sync + 'static>;

/// Hands out storage grants for a volume path: the volume API's `apply`
/// (`POST /v2/volumes/apply {volumeName, path}`). Called once before an
/// upload, again [`crate::REFRESH_MARGIN`] before the grant expires, and
/// again when the store refuses the credentials as expired.
#[async_trait]
pub trait GrantSource: Send + Sync + 'static {
    /// A fresh grant for `path` (a volume directory: no leading `/`, a
    /// trailing `/`).
    async fn apply(&self, path: &str) -> Result<StorageGrant, GrantError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let grant = StorageGrant {
            endpoint: "e".into(),
            bucket: "b".into(),
            region: "r".into(),
            cloud: "aws".into(),
            prefix: "p/".into(),
            access_key_id: "ASIAVISIBLE".into(),
            secret_access_key: "the-secret-key".to_owned().into(),
            session_token: Some("the-session-token".to_owned().into()),
            expire_time: None,
            max_content_length: Some(1),
            max_file_number: None,
        };
        let shown = format!("{grant:?}");
        assert!(shown.contains("ASIAVISIBLE"), "{shown}");
        assert!(!shown.contains("the-secret-key"), "{shown}");
        assert!(!shown.contains("the-session-token"), "{shown}");
    }
}
