//! The volume's credentials as object_store sees them: a
//! [`CredentialProvider`] that holds the current grant and applies again
//! [`REFRESH_MARGIN`] before it expires (as the SDKs do), or when the store
//! refused it. object_store asks the provider before signing every request,
//! so parts already queued pick up the new credentials.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use object_store::CredentialProvider;
use object_store::aws::AwsCredential;
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use crate::error::UploadError;
use crate::grant::{GrantSource, StorageGrant};

/// How long before `expireTime` the grant is renewed: 300 s, as in pymilvus
/// and the Java SDK.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The clock the refresh is decided by; tests move it by hand.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

struct Current {
    grant: Arc<StorageGrant>,
    aws: Arc<AwsCredential>,
    /// Counts the grants held so far: a request refused under grant `n`
    /// renews only when `n` is still the current one (a double check, so
    /// that many parts refused at once apply once).
    generation: u64,
    /// When the grant was applied for, by the clock.
    issued: SystemTime,
}

/// Holds a volume path's current grant and renews it.
pub(crate) struct GrantCredentials {
    source: Arc<dyn GrantSource>,
    path: String,
    clock: Clock,
    current: Mutex<Current>,
}

impl std::fmt::Debug for GrantCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantCredentials")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn aws_credential(grant: &StorageGrant) -> AwsCredential {
    AwsCredential {
        key_id: grant.access_key_id.clone(),
        secret_key: grant.secret_access_key.expose_secret().to_owned(),
        token: grant
            .session_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
    }
}

impl GrantCredentials {
    /// Applies for `path` once; the first grant says where the store is.
    pub(crate) async fn first(
        source: Arc<dyn GrantSource>,
        path: String,
        clock: Clock,
    ) -> Result<Arc<Self>, UploadError> {
        let grant = apply(&*source, &path).await?;
        let issued = clock();
        let aws = Arc::new(aws_credential(&grant));
        Ok(Arc::new(GrantCredentials {
            source,
            path,
            clock,
            current: Mutex::new(Current {
                grant: Arc::new(grant),
                aws,
                generation: 0,
                issued,
            }),
        }))
    }

    /// The grant in use now.
    pub(crate) async fn grant(&self) -> Arc<StorageGrant> {
        self.current.lock().await.grant.clone()
    }

    /// The generation of the grant in use now (see [`Self::renew_after`]).
    pub(crate) async fn generation(&self) -> u64 {
        self.current.lock().await.generation
    }

    /// Renews the grant after the store refused grant `generation`, unless
    /// another request renewed it meanwhile.
    pub(crate) async fn renew_after(&self, generation: u64) -> Result<(), UploadError> {
        let mut current = self.current.lock().await;
        if current.generation == generation {
            self.renew(&mut current).await?;
        }
        Ok(())
    }

    async fn renew(&self, current: &mut Current) -> Result<(), UploadError> {
        let grant = apply(&*self.source, &self.path).await?;
        tracing::debug!(path = %self.path, "volume credentials renewed");
        current.aws = Arc::new(aws_credential(&grant));
        current.grant = Arc::new(grant);
        current.generation += 1;
        current.issued = (self.clock)();
        Ok(())
    }

    /// Whether `current` is due for renewal: within [`REFRESH_MARGIN`] of
    /// its expiry, or within half its lifetime when that is shorter (so a
    /// grant that lives under 300 s is not applied for again at every
    /// request).
    fn expiring(&self, current: &Current) -> bool {
        current.grant.expire_time.is_some_and(|expires| {
            let life = expires.duration_since(current.issued).unwrap_or_default();
            (self.clock)() + REFRESH_MARGIN.min(life / 2) >= expires
        })
    }
}

async fn apply(source: &dyn GrantSource, path: &str) -> Result<StorageGrant, UploadError> {
    source.apply(path).await.map_err(|e| UploadError::Grant {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

#[async_trait]
impl CredentialProvider for GrantCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let mut current = self.current.lock().await;
        if self.expiring(&current) {
            self.renew(&mut current)
                .await
                .map_err(|e| object_store::Error::Generic {
                    store: "volume",
                    source: Box::new(e),
                })?;
        }
        Ok(current.aws.clone())
    }
}

/// GCS in bearer-token mode: the session token is the OAuth token.
#[cfg(feature = "gcp")]
#[derive(Debug)]
pub(crate) struct GcpBearer(pub(crate) Arc<GrantCredentials>);

#[cfg(feature = "gcp")]
#[async_trait]
impl CredentialProvider for GcpBearer {
    type Credential = object_store::gcp::GcpCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<Self::Credential>> {
        let aws = self.0.get_credential().await?;
        Ok(Arc::new(object_store::gcp::GcpCredential {
            bearer: aws.token.clone().unwrap_or_default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::GrantError;
    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::UNIX_EPOCH;

    /// Grants living `life` from the test clock's now.
    struct Short {
        now: Arc<StdMutex<SystemTime>>,
        life: Duration,
        applies: AtomicUsize,
    }

    #[async_trait]
    impl GrantSource for Short {
        async fn apply(&self, _path: &str) -> Result<StorageGrant, GrantError> {
            let n = self.applies.fetch_add(1, Ordering::SeqCst);
            Ok(StorageGrant {
                endpoint: "e".into(),
                bucket: "b".into(),
                region: "r".into(),
                cloud: "aws".into(),
                prefix: String::new(),
                access_key_id: format!("key-{n}"),
                secret_access_key: "s".to_owned().into(),
                session_token: Some("t".to_owned().into()),
                expire_time: Some(*self.now.lock().unwrap() + self.life),
                max_content_length: None,
                max_file_number: None,
            })
        }
    }

    async fn renewals(life: Duration, steps: &[u64]) -> Vec<String> {
        let now = Arc::new(StdMutex::new(UNIX_EPOCH + Duration::from_secs(1_000_000)));
        let source = Arc::new(Short {
            now: now.clone(),
            life,
            applies: AtomicUsize::new(0),
        });
        let read = now.clone();
        let clock: Clock = Arc::new(move || *read.lock().unwrap());
        let creds = GrantCredentials::first(source, "p/".into(), clock)
            .await
            .unwrap();
        let mut keys = Vec::new();
        for step in steps {
            *now.lock().unwrap() += Duration::from_secs(*step);
            keys.push(creds.get_credential().await.unwrap().key_id.clone());
        }
        keys
    }

    #[tokio::test]
    async fn renewed_300_s_before_expiry() {
        let keys = renewals(Duration::from_secs(3600), &[0, 3299, 1, 0, 3299, 1]).await;
        assert_eq!(keys, ["key-0", "key-0", "key-1", "key-1", "key-1", "key-2"]);
    }

    #[tokio::test]
    async fn a_short_grant_is_renewed_at_half_its_life_not_at_each_request() {
        let keys = renewals(Duration::from_secs(60), &[0, 0, 29, 1, 0, 0]).await;
        assert_eq!(keys, ["key-0", "key-0", "key-0", "key-1", "key-1", "key-1"]);
    }

    #[tokio::test]
    async fn a_refusal_renews_once_for_many_requests() {
        let now = Arc::new(StdMutex::new(UNIX_EPOCH));
        let source = Arc::new(Short {
            now: now.clone(),
            life: Duration::from_secs(3600),
            applies: AtomicUsize::new(0),
        });
        let read = now.clone();
        let clock: Clock = Arc::new(move || *read.lock().unwrap());
        let creds = GrantCredentials::first(source.clone(), "p/".into(), clock)
            .await
            .unwrap();
        let seen = creds.generation().await;
        for _ in 0..3 {
            creds.renew_after(seen).await.unwrap();
        }
        assert_eq!(source.applies.load(Ordering::SeqCst), 2);
        assert_eq!(creds.get_credential().await.unwrap().key_id, "key-1");
    }
}
