//! Volumes kept in an external S3-compatible store
//! ([`crate::EmulatorBuilder::volume_object_store`]) instead of the
//! emulator's own endpoint: apply answers the store's endpoint, bucket and
//! region, and credentials from the store's STS (`AssumeRole`, as AWS and
//! moto serve it, on the store's own endpoint) where it has one, and
//! otherwise the store's own keys with an empty session token.
//!
//! The STS call is signed with SigV4 (service `sts`) by the few lines
//! below; its answer is read for the four fields the credentials need.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The role the emulator assumes: stores that check it (AWS) need one
/// that exists; moto takes any.
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/zilliz-emulator-volumes";

/// An external store: `http(s)://HOST[:PORT]/BUCKET`, path-style, with its keys.
#[derive(Clone)]
pub(crate) struct ExternalStore {
    pub(crate) endpoint: String,
    pub(crate) bucket: String,
    pub(crate) region: String,
    access_key: String,
    secret_key: String,
}

impl std::fmt::Debug for ExternalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalStore")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("secret_key", &crate::redact::REDACTED)
            .finish_non_exhaustive()
    }
}

/// Temporary credentials, and when they expire (real time).
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
    pub(crate) session_token: String,
    /// RFC 3339, as the store said, or the emulator's lifetime from now.
    pub(crate) expire_time: String,
}

impl ExternalStore {
    /// `url` is `http(s)://HOST[:PORT]/BUCKET`, optionally `?region=R`
    /// (default `us-east-1`).
    pub(crate) fn new(url: &str, access_key: String, secret_key: String) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("object store `{url}`: {e}"))?;
        let bucket = parsed.path().trim_matches('/');
        let host = parsed.host_str().unwrap_or_default();
        if !matches!(parsed.scheme(), "http" | "https") || host.is_empty() {
            return Err(format!(
                "object store `{url}`: give http(s)://HOST[:PORT]/BUCKET"
            ));
        }
        if bucket.is_empty() || bucket.contains('/') {
            return Err(format!(
                "object store `{url}`: name one bucket, as http(s)://HOST[:PORT]/BUCKET"
            ));
        }
        let region = parsed.query_pairs().find(|(k, _)| k == "region");
        let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
        Ok(ExternalStore {
            endpoint: format!("{}://{host}{port}", parsed.scheme()),
            bucket: bucket.to_owned(),
            region: region.map_or("us-east-1".to_owned(), |(_, r)| r.into_owned()),
            access_key,
            secret_key,
        })
    }

    /// Credentials for `lifetime` (at least 15 minutes, STS's least): from
    /// STS where the store answers `AssumeRole`, else its own keys.
    pub(crate) async fn issue(&self, lifetime: Duration) -> Issued {
        match self.assume_role(lifetime).await {
            Ok(issued) => issued,
            Err(why) => {
                tracing::debug!(%why, "no STS at the object store; handing out its own keys");
                Issued {
                    access_key: self.access_key.clone(),
                    secret_key: self.secret_key.clone(),
                    session_token: String::new(),
                    expire_time: humantime::format_rfc3339_seconds(SystemTime::now() + lifetime)
                        .to_string(),
                }
            }
        }
    }

    async fn assume_role(&self, lifetime: Duration) -> Result<Issued, String> {
        let seconds = lifetime.as_secs().clamp(900, 43_200);
        let body = format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=zilliz-emulator&DurationSeconds={seconds}",
            url::form_urlencoded::byte_serialize(ROLE_ARN.as_bytes()).collect::<String>()
        );
        let host = self.endpoint.split("://").nth(1).unwrap_or_default();
        let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        // 2026-12-06T10:23:00Z -> 20261206T102300Z.
        let amz_date: String = now.chars().filter(|c| !matches!(c, '-' | ':')).collect();
        let date = &amz_date[..8];
        let scope = format!("{date}/{}/sts/aws4_request", self.region);
        let canonical = format!(
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:{host}\nx-amz-date:{amz_date}\n\ncontent-type;host;x-amz-date\n{}",
            hex(&Sha256::digest(body.as_bytes()))
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(
            format!("AWS4{}", self.secret_key).as_bytes(),
            date.as_bytes(),
        );
        for part in [self.region.as_str(), "sts", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex(&hmac(&key, to_sign.as_bytes()));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=content-type;host;x-amz-date, Signature={signature}",
            self.access_key
        );
        let answer = reqwest::Client::new()
            .post(format!("{}/", self.endpoint))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-amz-date", &amz_date)
            .header("authorization", authorization)
            .body(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = answer.status();
        let text = answer.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("STS answered HTTP {status}"));
        }
        let field = |name: &str| -> Result<String, String> {
            let open = format!("<{name}>");
            let start = text.find(&open).ok_or(format!("no {name}"))? + open.len();
            let end = text[start..]
                .find("</")
                .ok_or(format!("no end of {name}"))?;
            Ok(text[start..start + end].trim().to_owned())
        };
        Ok(Issued {
            access_key: field("AccessKeyId")?,
            secret_key: field("SecretAccessKey")?,
            session_token: field("SessionToken")?,
            expire_time: field("Expiration")?,
        })
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
