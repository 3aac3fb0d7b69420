//! The client: the generated one, with what a call adds around it.
//!
//! Each operation checks its input, sends through the generated client
//! (whose hooks rate-limit, retry and bound the read: see `hooks`), and
//! reads what progenitor decoded (see `answer`), in [`Client::send`].

use std::sync::{
    Arc, PoisonError, RwLock,
    atomic::{AtomicBool, Ordering},
};

use progenitor_client::{ClientInfo, ResponseValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use tracing::Instrument;

use crate::{
    CreateImportJob, CreatedImportJob, Error, ErrorKind, ImportJobPage, ImportProgress,
    ListImportJobs, Target,
    answer::{Envelope, settle},
    checks::not_blank,
    generated::{self, types},
    hooks::within,
    redact::{REDACTED, Scrubber},
};

/// A generated request builder with the `DB-Name` header set when a
/// database is named. Every operation's builder has its own type, hence a
/// macro rather than a function.
macro_rules! with_database {
    ($send:expr, $db:expr) => {{
        let send = $send;
        match $db {
            Some(db) => send.db_name(db),
            None => send,
        }
    }};
}
pub(crate) use with_database;

/// A client for Zilliz Cloud and Milvus import jobs. Cheap to clone; clones
/// share the connection pool and the rate limiter.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    generated: generated::Client,
    /// The API key (and, for a `user:password` token, the password alone),
    /// ready to scrub server text: built once, shared by every call; it
    /// learns the temporary credentials a volume's apply hands out.
    scrubber: RwLock<Scrubber>,
    /// Whether the base URL is the Zilliz Cloud control plane.
    control_plane: bool,
    /// Whether the token is `user:password`: the credential of open-source
    /// Milvus or a cluster endpoint, never of the control plane, which
    /// takes API keys.
    user_password: bool,
    /// Set once describe answered 404 and `get_progress` answered: the
    /// server predates the rename, so describe goes there directly.
    older_describe_path: AtomicBool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("api_key", &REDACTED)
            .field("retry", &self.inner.generated.inner().retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client over `generated`, whose inner value sets how it sends.
    pub(crate) fn new(
        generated: generated::Client,
        api_key: &SecretString,
        control_plane: bool,
    ) -> Client {
        let key = api_key.expose_secret();
        let password = key.split_once(':').map_or("", |(_, password)| password);
        let scrubber = Scrubber::default().with(key).with(password);
        Client {
            inner: Arc::new(Inner {
                generated,
                scrubber: RwLock::new(scrubber),
                control_plane,
                user_password: key.contains(':'),
                older_describe_path: AtomicBool::new(false),
            }),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.generated.baseurl()
    }

    /// Whether the base URL is the Zilliz Cloud control plane (decided once,
    /// when the client was built).
    pub(crate) fn on_control_plane(&self) -> bool {
        self.inner.control_plane
    }

    /// Whether the token is `user:password` (Milvus, a cluster endpoint).
    pub(crate) fn has_user_password(&self) -> bool {
        self.inner.user_password
    }

    /// The generated client, for anything this layer does not wrap. It sends
    /// through the same hooks (auth, timeouts, retries, rate limit), and
    /// decodes as progenitor does, without reading the envelope's `code`.
    pub fn raw(&self) -> &generated::Client {
        &self.inner.generated
    }

    /// Starts an import job.
    ///
    /// The request is validated first; invalid input sends nothing. Without
    /// an idempotency key a failed create is retried only when the server
    /// cannot have started the job (no connection, or HTTP 429); with one,
    /// every attempt carries the same key and it is retried like describe.
    pub async fn create_import_job(&self, job: CreateImportJob) -> Result<CreatedImportJob, Error> {
        self.check_target(job.target())?;
        let db = job.target().database_name().map(str::to_owned);
        let (body, key, scrubber) = job.into_body(self.scrubber())?;
        let mut send = self.raw().create_import_job().body(body);
        if let Some(k) = &key {
            send = send.idempotency_key(k.clone());
        }
        // Boxed: the call's state moves through the layers below as a pointer.
        // The room is made first, for the call to be built in it rather than
        // built aside and copied in whole.
        let room = Box::new_uninit();
        let call = Box::into_pin(Box::write(room, with_database!(send, db).send()));
        let (job_id, request_id) = self.send(None, &|| scrubber.clone(), call).await?;
        // The id is handed back as the server sent it, for the calls that
        // name the job; one that echoes a secret is no id to print or send.
        if !scrubber.is_clean_token(&job_id) && scrubber.finds_secret(&job_id) {
            let kind = ErrorKind::Decode {
                reason: "the job id holds a credential of this request".to_owned(),
                excerpt: REDACTED.to_owned(),
            };
            return Err(Error::new(kind).answered(Some(200), request_id));
        }
        Ok(CreatedImportJob {
            job_id,
            idempotency_key: key,
            request_id,
        })
    }

    /// A job's progress. `target` is where the job runs: a
    /// [`Target::cluster`], a [`Target::project`], or [`Target::milvus`],
    /// with its database if not the default.
    ///
    /// A server that answers HTTP 404 here (open-source Milvus before the
    /// rename) is asked once at the older `get_progress` path; when that
    /// answers, this client goes there directly from then on.
    pub async fn describe_import_job(
        &self,
        target: &Target,
        job_id: &str,
    ) -> Result<ImportProgress, Error> {
        self.describe_until(target, job_id, None).await
    }

    /// [`Client::describe_import_job`], every attempt ending by `deadline`.
    pub(crate) async fn describe_until(
        &self,
        target: &Target,
        job_id: &str,
        deadline: Option<Instant>,
    ) -> Result<ImportProgress, Error> {
        self.check_job(target, job_id)?;
        let body = target.job_reference(job_id);
        let db = target.database_name();
        let raw = self.raw();
        let scrubber = || self.scrubber();
        let describe = || {
            let send = with_database!(raw.describe_import_job().body(body.clone()), db).send();
            self.send(deadline, &scrubber, Box::pin(send))
        };
        let get_progress = || {
            let send = with_database!(raw.get_import_job_progress().body(body.clone()), db).send();
            self.send(deadline, &scrubber, Box::pin(send))
        };
        let older = &self.inner.older_describe_path;
        let answer = if older.load(Ordering::Relaxed) {
            get_progress().await
        } else {
            match describe().await {
                Err(e) if e.status() == Some(404) => {
                    let answer = get_progress().await;
                    // The path exists if it answered anything but 404.
                    let found = |e: &Error| e.status().is_some_and(|s| s != 404);
                    if answer.as_ref().err().is_none_or(found) {
                        tracing::info!("describe answered 404; using get_progress from now on");
                        older.store(true, Ordering::Relaxed);
                    }
                    answer
                }
                other => other,
            }
        };
        let (data, _) = answer?;
        Ok(ImportProgress::from_wire(data, &self.scrubber()))
    }

    /// One page of a target's import jobs (on Milvus, all of them). The page
    /// size and number are checked before sending. To walk every page see
    /// [`Client::list_all_import_jobs`].
    pub async fn list_import_jobs(&self, request: &ListImportJobs) -> Result<ImportJobPage, Error> {
        request.validate()?;
        self.check_target(&request.target)?;
        let body = request.to_body()?;
        let db = request.target.database_name();
        let send = with_database!(self.raw().list_import_jobs().body(body), db).send();
        let (data, _) = self.send(None, &|| self.scrubber(), Box::pin(send)).await?;
        Ok(ImportJobPage::from_wire(data, &self.scrubber()))
    }

    /// What every call naming one job checks before sending: the target,
    /// and a job id that is not blank.
    pub(crate) fn check_job(&self, target: &Target, job_id: &str) -> Result<(), Error> {
        target.validate()?;
        self.check_target(target)?;
        not_blank("jobId", job_id)
    }

    /// The Zilliz Cloud control plane has no jobs of its own: it needs a
    /// cluster or a project named, so a Milvus target (or Milvus files) sent
    /// there is refused before sending.
    fn check_target(&self, target: &Target) -> Result<(), Error> {
        if target.is_milvus() && self.on_control_plane() {
            return Err(Error::invalid(
                "clusterId",
                "the Zilliz Cloud control plane needs a cluster id, or a project id and region id; \
                 an open-source Milvus target (and its files) goes to the Milvus URL as base URL",
            ));
        }
        Ok(())
    }

    pub(crate) fn scrubber(&self) -> Scrubber {
        let scrubber = self.inner.scrubber.read();
        scrubber.unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Teaches the scrubber secrets an answer handed out, so that no later
    /// error, log or answer of this client (and its clones) shows them.
    pub(crate) fn learn_secrets(&self, secrets: &[&str]) {
        let mut scrubber = (self.inner.scrubber.write()).unwrap_or_else(PoisonError::into_inner);
        let mut learned = std::mem::take(&mut *scrubber);
        for secret in secrets {
            learned = learned.learn(secret);
        }
        *scrubber = learned;
    }

    /// The deadline of a call starting now: the operation timeout, or
    /// `outer` (a wait's deadline), whichever comes first.
    pub(crate) fn deadline(&self, outer: Option<Instant>) -> Option<Instant> {
        self.raw().inner().deadline(outer)
    }

    /// Waits until a describe could be sent now without waiting for the
    /// rate limiter, without taking its slot.
    pub(crate) async fn room_to_describe(&self) {
        self.raw().inner().room_for("describe_import_job").await;
    }

    /// Runs one generated call, ending by `deadline` as well as the
    /// operation timeout, and reads its answer: the data and the request id.
    pub(crate) async fn send<R>(
        &self,
        deadline: Option<Instant>,
        scrubber: &(dyn Fn() -> Scrubber + Sync),
        call: impl Future<
            Output = Result<ResponseValue<R>, progenitor_client::Error<types::ErrorEnvelope>>,
        >,
    ) -> Result<(R::Data, Option<String>), Error>
    where
        R: Envelope + serde::de::DeserializeOwned,
    {
        let span = tracing::info_span!(
            "zilliz_import",
            operation = tracing::field::Empty,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        // Without a subscriber the span is disabled: nothing to time or record.
        let started = (!span.is_disabled()).then(std::time::Instant::now);
        // Entered on every poll only where a subscriber listens.
        let call = within(deadline, call);
        let (result, seen) = match started {
            Some(_) => call.instrument(span.clone()).await,
            None => call.await,
        };
        let (operation, attempts, status) = (seen.operation, seen.attempts, seen.status);
        let outcome = settle(result, seen, scrubber);
        if let Some(started) = started {
            // The span's fields describe the call as it ended: recorded once.
            span.record("operation", (!operation.is_empty()).then_some(operation));
            span.record("attempt", attempts);
            span.record("status", status);
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            let request_id = match &outcome {
                Ok((_, id)) => id.as_deref(),
                Err(e) => e.request_id(),
            };
            span.record("request_id", request_id);
        }
        match &outcome {
            Ok(_) => tracing::info!(parent: &span, "succeeded"),
            Err(e) => {
                let sent = e.may_have_been_sent();
                tracing::warn!(parent: &span, error = %e, may_have_been_sent = sent, "failed");
            }
        }
        outcome
    }
}
