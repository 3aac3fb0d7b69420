//! The client's volume `apply` as a [`GrantSource`] (feature `volumes`):
//! the one mapping from the library's answer ([`VolumeUpload`]) to a
//! [`StorageGrant`], shared by the CLI and the quickstart. It lives here,
//! behind a feature, because this crate may depend on the client while a
//! plain dependency on the client must compile no object-store crates.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use zilliz_import::{Client, VolumeUpload};

use crate::grant::{GrantError, GrantSource, StorageGrant};

/// Applies for upload credentials to one volume through `client`: each
/// grant (the first, and every renewal) is one `POST /v2/volumes/apply`,
/// with the client's retries and scrubbing.
#[derive(Debug, Clone)]
pub struct VolumeGrants {
    client: Client,
    volume: String,
}

impl VolumeGrants {
    /// Grants for `volume` from `client` (an API key on the control plane).
    pub fn new(client: Client, volume: impl Into<String>) -> Self {
        VolumeGrants {
            client,
            volume: volume.into(),
        }
    }
}

#[async_trait]
impl GrantSource for VolumeGrants {
    async fn apply(&self, path: &str) -> Result<StorageGrant, GrantError> {
        let upload = self.client.apply_volume(&self.volume, path).await?;
        Ok(storage_grant(&upload)?)
    }
}

/// Why an apply answer cannot be used. Names the field, never a secret.
#[derive(Debug, thiserror::Error)]
#[error("volume apply answered an unusable {field}: {reason}")]
pub struct GrantMappingError {
    pub field: &'static str,
    pub reason: String,
}

/// Maps apply's answer into a grant: the bucket `bucketName`, the key
/// prefix `volumePrefix`, the keys `tmpAK`/`tmpSK`/`sessionToken` (an
/// empty token is none), `expireTime` read as RFC 3339, and the
/// `condition` limits (a negative one is refused: it cannot be a limit).
pub fn storage_grant(upload: &VolumeUpload) -> Result<StorageGrant, GrantMappingError> {
    let credentials = &upload.credentials;
    let limit = |field: &'static str, value: Option<i64>| {
        value
            .map(|v| {
                u64::try_from(v).map_err(|_| GrantMappingError {
                    field,
                    reason: format!("{v} is negative"),
                })
            })
            .transpose()
    };
    let token = credentials.session_token.expose_secret();
    Ok(StorageGrant {
        endpoint: upload.endpoint.clone(),
        bucket: upload.bucket_name.clone(),
        region: upload.region.clone(),
        cloud: upload.cloud.clone(),
        prefix: upload.volume_prefix.clone(),
        access_key_id: credentials.tmp_ak.expose_secret().to_owned(),
        secret_access_key: credentials.tmp_sk.expose_secret().to_owned().into(),
        session_token: (!token.is_empty()).then(|| token.to_owned().into()),
        expire_time: Some(rfc3339(&credentials.expire_time).map_err(|reason| {
            GrantMappingError {
                field: "credentials.expireTime",
                reason,
            }
        })?),
        max_content_length: limit(
            "condition.maxContentLength",
            upload.condition.max_content_length,
        )?,
        max_file_number: limit("condition.maxFileNumber", upload.condition.max_file_number)?,
    })
}

/// An RFC 3339 time: `2099-12-31T23:59:59Z`, with fractions, or with an
/// offset such as `+08:00` instead of `Z`.
fn rfc3339(text: &str) -> Result<SystemTime, String> {
    let wrong = || format!("{text:?} is not an RFC 3339 time");
    // An offset `±HH:MM` at the end: the time before it is local to it.
    let (local, offset) = match text.len().checked_sub(6).and_then(|at| {
        let (head, tail) = (text.get(..at)?, text.get(at..)?);
        let sign = match tail.as_bytes()[0] {
            b'+' => 1i64,
            b'-' => -1,
            _ => return None,
        };
        let (h, m) = tail.get(1..)?.split_once(':')?;
        let minutes = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
        Some((head, sign * minutes * 60))
    }) {
        Some((head, seconds)) if head.contains('T') => (format!("{head}Z"), seconds),
        _ => (text.to_owned(), 0),
    };
    let at = humantime::parse_rfc3339_weak(&local).map_err(|_| wrong())?;
    let shift = Duration::from_secs(offset.unsigned_abs());
    // Local time ahead of UTC (+08:00) is that much later than UTC's.
    let utc = if offset >= 0 {
        at.checked_sub(shift)
    } else {
        at.checked_add(shift)
    };
    utc.ok_or_else(wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    use secrecy::ExposeSecret;

    fn answer(expire: &str, condition: serde_json::Value) -> VolumeUpload {
        serde_json::from_value(serde_json::json!({
            "volumeName": "vol",
            "volumePrefix": "vol/",
            "endpoint": "http://127.0.0.1:9000",
            "bucketName": "bucket-1",
            "region": "us-east-1",
            "cloud": "aws",
            "uploadPath": "vol/run/",
            "condition": condition,
            "credentials": {
                "tmpAK": "ASIAKEYID",
                "tmpSK": "the-secret-key",
                "sessionToken": "the-session-token",
                "expireTime": expire,
            },
        }))
        .expect("an apply answer")
    }

    #[test]
    fn every_field_maps_and_the_secrets_stay_hidden() {
        let upload = answer(
            "2099-12-31T23:59:59Z",
            serde_json::json!({"maxContentLength": 1073741824, "maxFileNumber": 1000}),
        );
        let grant = storage_grant(&upload).unwrap();
        assert_eq!(grant.endpoint, "http://127.0.0.1:9000");
        assert_eq!(grant.bucket, "bucket-1");
        assert_eq!(grant.region, "us-east-1");
        assert_eq!(grant.cloud, "aws");
        assert_eq!(grant.prefix, "vol/");
        assert_eq!(grant.access_key_id, "ASIAKEYID");
        assert_eq!(grant.secret_access_key.expose_secret(), "the-secret-key");
        assert_eq!(
            grant.session_token.as_ref().map(|t| t.expose_secret()),
            Some("the-session-token")
        );
        assert_eq!(
            grant.expire_time,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_799))
        );
        assert_eq!(grant.max_content_length, Some(1 << 30));
        assert_eq!(grant.max_file_number, Some(1000));
        let shown = format!("{grant:?}");
        for secret in ["the-secret-key", "the-session-token"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn limits_absent_stay_none_and_an_empty_token_is_none() {
        let mut upload = answer("2099-12-31T23:59:59.5Z", serde_json::json!({}));
        upload.credentials.session_token = String::new().into();
        let grant = storage_grant(&upload).unwrap();
        assert_eq!(
            (grant.max_content_length, grant.max_file_number),
            (None, None)
        );
        assert!(grant.session_token.is_none());
        assert_eq!(
            grant.expire_time,
            Some(SystemTime::UNIX_EPOCH + Duration::from_millis(4_102_444_799_500))
        );
    }

    #[test]
    fn expire_times_with_offsets_and_wrong_ones() {
        let utc = rfc3339("2030-01-01T08:00:00Z").unwrap();
        assert_eq!(rfc3339("2030-01-01T16:00:00+08:00").unwrap(), utc);
        assert_eq!(rfc3339("2030-01-01T03:00:00-05:00").unwrap(), utc);
        assert_eq!(rfc3339("2030-01-01T08:00:00+00:00").unwrap(), utc);
        for wrong in [
            "",
            "tomorrow",
            "2030-01-01",
            "+08:00",
            "2030-13-01T00:00:00Z",
            "é+08:00",
        ] {
            assert!(rfc3339(wrong).is_err(), "{wrong:?}");
        }
        let e = storage_grant(&answer("soon", serde_json::json!({}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "volume apply answered an unusable credentials.expireTime: \"soon\" is not an RFC 3339 time"
        );
        let e = storage_grant(&answer(
            "2099-12-31T23:59:59Z",
            serde_json::json!({"maxFileNumber": -1}),
        ))
        .unwrap_err();
        assert_eq!(e.field, "condition.maxFileNumber");
    }
}
