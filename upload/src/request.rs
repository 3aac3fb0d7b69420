//! One request to the store, sent again as long as that can help: after a
//! pause on throttling, 5xx and broken connections; after renewing the
//! volume's credentials when the store refused them. object_store's own
//! retries are off (see [`crate::UploaderBuilder::retries`]), so every
//! attempt is counted here and the rules are the ones written below.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::GrantCredentials;
use crate::error::{Failure, UploadError, classify, scrub};

/// How a request ended when it could not be helped.
pub(crate) enum CallError {
    /// The store's answer, sorted.
    Store(Failure, String),
    /// Renewing the credentials failed.
    Grant(UploadError),
}

/// The pause before the `n`th retry (1-based): 200 ms doubling, at most
/// 10 s. (pymilvus waits 5 s between its five attempts.)
pub(crate) fn backoff(n: usize) -> Duration {
    let ms = 200u64.saturating_mul(1 << n.min(16).saturating_sub(1));
    Duration::from_millis(ms.min(10_000))
}

/// Sends requests to the store under the upload's rules.
#[derive(Clone)]
pub(crate) struct Requester {
    pub grants: Option<Arc<GrantCredentials>>,
    pub retries: usize,
    /// Static secrets (a bucket's keys) kept out of error texts.
    pub secrets: Arc<Vec<String>>,
}

impl Requester {
    /// Runs `attempt` until it succeeds, a failure that retrying cannot
    /// help, or the retries run out. Credentials are renewed once per
    /// request: a store that refuses fresh ones too is refusing them for
    /// good (a wrong token, missing rights).
    pub(crate) async fn call<T, F, Fut>(&self, mut attempt: F) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = object_store::Result<T>>,
    {
        let mut renewed = false;
        let mut retried = 0;
        loop {
            let generation = match &self.grants {
                Some(g) => Some(g.generation().await),
                None => None,
            };
            let error = match attempt().await {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            let failure = classify(&error);
            match (failure, &self.grants, generation) {
                (Failure::Credentials, Some(grants), Some(generation)) if !renewed => {
                    renewed = true;
                    tracing::debug!("credentials refused; applying again");
                    grants
                        .renew_after(generation)
                        .await
                        .map_err(CallError::Grant)?;
                }
                (Failure::Transient, _, _) if retried < self.retries => {
                    retried += 1;
                    tracing::debug!(retry = retried, "transient store error; sending again");
                    tokio::time::sleep(backoff(retried)).await;
                }
                _ => return Err(CallError::Store(failure, self.scrubbed(&error).await)),
            }
        }
    }

    /// The error's text without any secret in it.
    async fn scrubbed(&self, error: &object_store::Error) -> String {
        use secrecy::ExposeSecret;
        let mut secrets: Vec<String> = self.secrets.as_ref().clone();
        if let Some(grants) = &self.grants {
            let grant = grants.grant().await;
            secrets.push(grant.secret_access_key.expose_secret().to_owned());
            if let Some(token) = &grant.session_token {
                secrets.push(token.expose_secret().to_owned());
            }
        }
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        scrub(&error.to_string(), &refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_seconds() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(7), Duration::from_secs(10));
        assert_eq!(backoff(usize::MAX), Duration::from_secs(10));
    }
}
