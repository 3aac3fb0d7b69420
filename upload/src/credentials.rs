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
        let aws = Arc::new(aws_credential(&grant));
        Ok(Arc::new(GrantCredentials {
            source,
            path,
            clock,
            current: Mutex::new(Current {
                grant: Arc::new(grant),
                aws,
                generation: 0,
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
        Ok(())
    }

    fn expiring(&self, grant: &StorageGrant) -> bool {
        grant
            .expire_time
            .is_some_and(|expires| (self.clock)() + REFRESH_MARGIN >= expires)
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
        if self.expiring(&current.grant) {
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
