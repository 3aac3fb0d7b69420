//! A local, in-process stand-in for the bulk-import REST API
//! (`/v2/vectordb/jobs/import/*`), as Zilliz Cloud's control plane or as
//! open-source Milvus serves it.
//!
//! It exists so the client, the CLI and their tests can be exercised offline,
//! repeatably and fast: jobs move through `Pending`, `Importing` and
//! `Completed` (or `Failed`; a two-phase import waits in `Uncommitted` for a
//! commit or an abort) on a clock that tests can drive by hand, errors
//! come back with the services' codes inside their `{code, message}`
//! envelope, and recent requests are recorded (with credentials redacted)
//! for inspection. Bodies are decoded into, and answers built from, the types
//! generated from `openapi.yaml` ([`crate::generated::types`]), so the
//! emulator cannot drift from the spec the client is built on.
//!
//! # Two modes
//!
//! **Control plane** (the default) answers as `api.cloud.zilliz.com`:
//!
//! - the bearer token is an API key (default `emulator-key`); a wrong one is
//!   HTTP 401, code 21119;
//! - every body names a cluster (`clusterId`, one of
//!   [`EmulatorBuilder::cluster_ids`]) or a project (`projectId` with
//!   `regionId`, one of [`EmulatorBuilder::projects`]); a job is found by
//!   describe and list only through the target it was created on;
//! - a create reads object URLs (`objectUrls`, or the single `objectUrl`) or
//!   a volume (`volumeName` with `dataPaths`), at most
//!   [`MAX_FILE_GROUPS_CLOUD`](crate::limits::MAX_FILE_GROUPS_CLOUD) groups,
//!   and string `options`; `files` is refused (80000);
//! - list pages (`pageSize` in [`PAGE_SIZES`](crate::limits::PAGE_SIZES),
//!   `currentPage`) and answers `count`, `currentPage`, `pageSize` and
//!   `records`, naming `Importing` `InProgress`;
//! - commit and abort (see [Two-phase imports](#two-phase-imports)) take a
//!   body checked exactly as describe's (target, then `jobId`) and find the
//!   job only through the target it was created on (96026 otherwise). The
//!   control plane's docs do not list these two operations: that it serves
//!   them, and as open-source Milvus does (refusals are Milvus's code 2100),
//!   is an assumption of the emulator, not verified.
//!
//! **Open-source Milvus** ([`EmulatorBuilder::milvus`]) answers as Milvus's
//! REST v2 handlers do:
//!
//! - the bearer token is `user:password`, default [`DEFAULT_MILVUS_TOKEN`];
//!   a wrong or missing one is HTTP 401, code 1800;
//! - nothing names the cluster: `clusterId`, `objectUrls` and every other key
//!   Milvus does not read are ignored, as Go's JSON decoding ignores them;
//! - a create needs `collectionName` and `files` (1802 without), takes at
//!   most [`MAX_FILE_GROUPS_MILVUS`](crate::limits::MAX_FILE_GROUPS_MILVUS)
//!   groups, one file per group for JSON, Parquet and CSV (2100 otherwise),
//!   and string `options` (1100 otherwise; `null` reads as `""`); a body
//!   that is not JSON is 1801;
//! - `describe` and `get_progress` take `{jobId}` and answer `importedRows`
//!   and `totalRows` (the rows to import), `reason` only when there is one,
//!   and no job-level `fileName`; an unknown job is 2100;
//! - list takes `collectionName` and `dbName` and answers every matching job
//!   in `records` alone, with describe's state names;
//! - the database is the body's `dbName`, else the `DB-Name` header, else
//!   `default`;
//! - commit and abort take `{jobId}` as describe does (1802 without it,
//!   2100 for an unknown job).
//!
//! Both modes take what the official SDKs send: every key present, with
//! `""` or `null` for the unset ones, and ids as numbers; both honour
//! `Idempotency-Key` on create; both record the `DB-Name` header. The
//! fail needle ([`EmulatorBuilder::fail_when_url_contains`]) applies to
//! every path: URLs, volume paths and files.
//!
//! List results are returned in creation order (oldest first).
//!
//! # Two-phase imports
//!
//! As open-source Milvus does (milvus-io/milvus#48524, #50692), and on both
//! modes, a job created with the option `auto_commit` set to `"false"`
//! imports its data, then waits in `Uncommitted` (progress 99, no
//! `completeTime`) for as long as it takes, until:
//!
//! - `POST /v2/vectordb/jobs/import/commit`: the job is `Committing`
//!   (progress 99) for a tenth of the job duration, then `Completed`
//!   (progress 100, `completeTime` a tenth of the duration after the commit);
//! - `POST /v2/vectordb/jobs/import/abort`: the job is `Failed` at once,
//!   with the reason [`ABORTED_REASON`](crate::ABORTED_REASON), its progress
//!   as it was and `completeTime` the moment of the abort. A job can be
//!   aborted while `Pending` or `Importing` too, whether it commits itself
//!   or not.
//!
//! Both answer `{"code":0,"data":{}}`. Refused, with code 2100 and a message
//! naming the job and its state: a commit of a job that is not
//! `Uncommitted`; an abort of a job that is `Committing` or `Completed` (an
//! auto-commit job that completed, say) or that failed on its own. Aborting
//! an aborted job again succeeds and changes nothing (as since #50692; older
//! servers refused it). A job whose files fail (see
//! [`EmulatorBuilder::fail_when_url_contains`]) still fails at half its
//! duration, with its own reason, unless it was aborted before.
//!
//! `auto_commit` is read as Milvus reads it, with Go's `strconv.ParseBool`:
//! `1`, `t`, `T`, `TRUE`, `true`, `True` and `0`, `f`, `F`, `FALSE`,
//! `false`, `False`; absent, it is true. Any other value refuses the create
//! as an invalid parameter (1100 on Milvus, 80000 on the control plane);
//! what the real servers do with such a value is unverified.
//!
//! # Bounds
//!
//! The emulator can be left running (`zilliz-import emulator`) and faced with
//! any client, so everything it holds or waits for is bounded:
//!
//! - the request log is a ring of the most recent requests
//!   ([`DEFAULT_REQUEST_LOG_CAPACITY`] entries and [`REQUEST_LOG_MAX_BYTES`]
//!   bytes; see [`EmulatorBuilder::request_log_capacity`]);
//! - a request's body is read only after its path, method and bearer token
//!   have been accepted, and at most [`MAX_BODY_BYTES`] of it;
//! - the jobs held are bounded in count and in bytes: finished jobs are
//!   forgotten, oldest first, to keep at most [`DEFAULT_JOB_LIMIT`] jobs
//!   ([`EmulatorBuilder::job_limit`]) and [`DEFAULT_JOB_MEMORY_LIMIT`]
//!   bytes ([`EmulatorBuilder::job_memory_limit`]), whatever their shape;
//!   running jobs are kept, and so are two-phase jobs until they are
//!   committed or aborted, past the count but not past the bytes: a create
//!   that unfinished jobs leave no room for is refused (47055; 2100 on
//!   Milvus), storing nothing;
//! - a request head must arrive within [`DEFAULT_HEADER_READ_TIMEOUT`], which
//!   also closes idle keep-alive connections; a body within
//!   [`DEFAULT_BODY_READ_TIMEOUT`]; and a write that makes no progress for
//!   [`DEFAULT_WRITE_TIMEOUT`] closes the connection.

#![deny(missing_docs)]

mod clock;
mod cloud;
mod log;
mod milvus;
mod retention;
mod routes;
mod server;
mod store;
mod wire;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::HeaderMap;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use clock::Clock;
use log::RequestLog;
use store::Store;

pub use store::ProgressModel;

use crate::REDACTED;

/// The bearer token open-source Milvus accepts out of the box
/// (`user:password` of its root user), and the one the emulator accepts in
/// [Milvus mode](EmulatorBuilder::milvus) unless
/// [`EmulatorBuilder::api_key`] sets another.
pub const DEFAULT_MILVUS_TOKEN: &str = "root:Milvus";

/// The API key accepted on the control plane unless
/// [`EmulatorBuilder::api_key`] sets another.
const DEFAULT_API_KEY: &str = "emulator-key";

/// The project known on the control plane unless
/// [`EmulatorBuilder::projects`] sets others.
const DEFAULT_PROJECT: (&str, &str) = ("proj-emulator", "aws-us-west-2");

/// How many requests [`EmulatorHandle::requests`] keeps by default: enough
/// for a load test of ten thousand calls, a few megabytes for typical bodies.
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 16_384;

/// The most the request log holds in bytes (strings and bodies as recorded),
/// whatever its capacity; older entries are dropped first to stay under it.
pub const REQUEST_LOG_MAX_BYTES: usize = 32 * 1024 * 1024;

/// Largest request body accepted (as received); a larger one is answered
/// HTTP 413 without being read further.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Largest body (as received) that the request log records; a larger one is
/// handled normally but recorded as `Null`.
pub const MAX_RECORDED_BODY_BYTES: usize = 64 * 1024;

/// How many jobs are kept by default before finished ones are forgotten.
pub const DEFAULT_JOB_LIMIT: usize = 10_000;

/// How many bytes of jobs are kept by default (see
/// [`EmulatorBuilder::job_memory_limit`]): 256 MiB, room for the default
/// 10,000 jobs of a few files each, or for about 130 of the largest creates
/// a body can hold (1,000 groups of 1,900-character paths).
pub const DEFAULT_JOB_MEMORY_LIMIT: usize = 256 * 1024 * 1024;

/// How long a client has to send a whole request head, and how long a
/// keep-alive connection may sit idle, by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client has to send a whole request body, by default.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long writing an answer may make no progress (the client not reading)
/// before the connection is closed, by default.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Entry point, so callers write `Emulator::builder()` and never name the builder type.
#[derive(Debug, Clone, Copy, Default)]
pub struct Emulator;

impl Emulator {
    /// Starts from defaults that work for most tests: the control plane, key
    /// `emulator-key`, cluster `in01-emulator`, project `proj-emulator` in
    /// `aws-us-west-2`, 3 s jobs, real time, a free loopback port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Settings collected before the server binds, so a started emulator never changes shape.
#[derive(Clone)]
pub struct EmulatorBuilder {
    api_key: Option<String>,
    milvus: bool,
    cluster_ids: Vec<String>,
    projects: Vec<(String, String)>,
    /// The shortest and the longest job; each job's is drawn between them.
    job_durations: (Duration, Duration),
    progress_model: ProgressModel,
    fail_substrings: Vec<String>,
    manual_clock: bool,
    listen: SocketAddr,
    request_log_capacity: usize,
    job_limit: usize,
    job_memory_limit: usize,
    header_read_timeout: Duration,
    body_read_timeout: Duration,
    write_timeout: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            milvus: false,
            cluster_ids: vec!["in01-emulator".to_owned()],
            projects: vec![(DEFAULT_PROJECT.0.to_owned(), DEFAULT_PROJECT.1.to_owned())],
            job_durations: (Duration::from_secs(3), Duration::from_secs(3)),
            progress_model: ProgressModel::Steady,
            fail_substrings: Vec::new(),
            manual_clock: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            request_log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
            job_limit: DEFAULT_JOB_LIMIT,
            job_memory_limit: DEFAULT_JOB_MEMORY_LIMIT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("api_key", &REDACTED)
            .field("milvus", &self.milvus)
            .field("cluster_ids", &self.cluster_ids)
            .field("projects", &self.projects)
            .field("job_durations", &self.job_durations)
            .field("progress_model", &self.progress_model)
            .field("fail_substrings", &self.fail_substrings)
            .field("manual_clock", &self.manual_clock)
            .field("listen", &self.listen)
            .field("request_log_capacity", &self.request_log_capacity)
            .field("job_limit", &self.job_limit)
            .field("job_memory_limit", &self.job_memory_limit)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("write_timeout", &self.write_timeout)
            .finish()
    }
}

impl EmulatorBuilder {
    /// The only bearer token accepted, in either mode; anything else gets
    /// HTTP 401 (code 21119 on the control plane, 1800 in
    /// [Milvus mode](Self::milvus)). Without it, the control plane takes
    /// `emulator-key` and Milvus [`DEFAULT_MILVUS_TOKEN`].
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Answers as open-source Milvus's REST v2 import instead of the Zilliz
    /// Cloud control plane: `user:password` tokens, `files` in the server's
    /// own bucket, nothing naming a cluster, the database from `dbName` or
    /// the `DB-Name` header, Milvus's answers and codes (see the
    /// [module docs](self)). Cluster ids and projects are then unused.
    pub fn milvus(mut self) -> Self {
        self.milvus = true;
        self
    }

    /// Replaces the known clusters; any other `clusterId` gets code 96018.
    pub fn cluster_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cluster_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the known control-plane projects, each a `(projectId,
    /// regionId)` pair (default `("proj-emulator", "aws-us-west-2")`); a body
    /// naming another pair gets code 80000.
    pub fn projects<I, P, R>(mut self, projects: I) -> Self
    where
        I: IntoIterator<Item = (P, R)>,
        P: Into<String>,
        R: Into<String>,
    {
        self.projects = projects
            .into_iter()
            .map(|(p, r)| (p.into(), r.into()))
            .collect();
        self
    }

    /// How long a job takes from create to `Completed`, in emulator time.
    pub fn job_duration(mut self, duration: Duration) -> Self {
        self.job_durations = (duration, duration);
        self
    }

    /// Jobs of different lengths: each job's duration is drawn at random,
    /// uniformly between `shortest` and `longest`, when it is created. For
    /// following many jobs that do not all end together.
    pub fn job_durations(mut self, shortest: Duration, longest: Duration) -> Self {
        self.job_durations = (shortest, longest.max(shortest));
        self
    }

    /// How jobs report their percent while importing (default
    /// [`ProgressModel::Steady`]): rising steadily, staying at 0 until they
    /// end, or holding short of the end for a while. Applies to every job
    /// the emulator creates.
    pub fn progress_model(mut self, model: ProgressModel) -> Self {
        self.progress_model = model;
        self
    }

    /// Makes jobs any of whose paths (object URL, volume data path or Milvus
    /// file) contains `needle` fail halfway, to exercise failure handling;
    /// may be called more than once to add more needles.
    pub fn fail_when_url_contains(mut self, needle: impl Into<String>) -> Self {
        self.fail_substrings.push(needle.into());
        self
    }

    /// Freezes time so only [`EmulatorHandle::advance`] moves it, letting tests
    /// and benchmarks run jobs of any length instantly and deterministically.
    pub fn manual_clock(mut self) -> Self {
        self.manual_clock = true;
        self
    }

    /// Where to bind; port 0 picks a free port (see [`EmulatorHandle::local_addr`]).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// How many of the most recent requests [`EmulatorHandle::requests`]
    /// keeps (older ones are dropped first); default
    /// [`DEFAULT_REQUEST_LOG_CAPACITY`]. The log also never holds more than
    /// [`REQUEST_LOG_MAX_BYTES`]. Zero turns recording off.
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.request_log_capacity = capacity;
        self
    }

    /// How many jobs to keep before forgetting finished ones; default
    /// [`DEFAULT_JOB_LIMIT`].
    ///
    /// Like the real service, which drops finished jobs after a retention
    /// period, the emulator forgets them, but by count (and by bytes, see
    /// [`job_memory_limit`](Self::job_memory_limit)) rather than by time so
    /// tests that jump the clock see no difference: before a create stores
    /// its job, the oldest finished (completed or failed) jobs are dropped
    /// until at most `limit` are held with it, passing over the ones that
    /// have not finished. Running jobs are never dropped, nor are two-phase
    /// jobs waiting for a commit (or committing), so only they can make
    /// more than `limit` jobs held; the job just created is always held (a
    /// `limit` of 0 keeps just that one). A forgotten job is unknown
    /// (96026; 2100 on Milvus) to describe, absent from list and from
    /// [`EmulatorHandle::jobs`], and its `Idempotency-Key` is forgotten with
    /// it. Listing order (creation order) and lookups are unaffected by
    /// jobs dropped from between held ones.
    pub fn job_limit(mut self, limit: usize) -> Self {
        self.job_limit = limit;
        self
    }

    /// How many bytes of jobs to keep; default [`DEFAULT_JOB_MEMORY_LIMIT`].
    ///
    /// A job is charged, once when created, an estimate of what it holds:
    /// every string it keeps (paths, names, options, the idempotency key and
    /// its index entry) plus a fixed overhead per job, per file and per
    /// option (see [`EmulatorHandle::job_memory`]). Before a create stores
    /// its job, the oldest finished jobs are dropped until the job fits, as
    /// for [`job_limit`](Self::job_limit). Unfinished jobs are never
    /// dropped, so when they and the new job would hold more than `bytes`,
    /// the create is refused and stores nothing: code 47055 ("busy, retry
    /// later") on the control plane, 2100 on Milvus, which also refuses
    /// creates when it runs too many jobs; the message gives the bytes.
    /// The emulator's memory is then about this budget, plus the request
    /// log ([`REQUEST_LOG_MAX_BYTES`]) and what requests in flight hold.
    pub fn job_memory_limit(mut self, bytes: usize) -> Self {
        self.job_memory_limit = bytes;
        self
    }

    /// How long a client has to send a whole request head (it is not
    /// extended by partial lines), and how long a keep-alive connection may
    /// sit idle between requests; default [`DEFAULT_HEADER_READ_TIMEOUT`].
    /// The connection is closed when it runs out.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a client has, once its head was accepted, to send the whole
    /// body; default [`DEFAULT_BODY_READ_TIMEOUT`]. Running out is answered
    /// HTTP 408 (envelope code 408).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// How long writing an answer may make no progress because the client
    /// is not reading before the connection is closed; default
    /// [`DEFAULT_WRITE_TIMEOUT`].
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Binds and serves in a background task that lives as long as the handle.
    ///
    /// Must be called inside a Tokio runtime.
    pub async fn start(self) -> std::io::Result<EmulatorHandle> {
        let listener = tokio::net::TcpListener::bind(self.listen).await?;
        let local_addr = listener.local_addr()?;
        let (mode, default_key) = if self.milvus {
            (Mode::Milvus, DEFAULT_MILVUS_TOKEN)
        } else {
            (Mode::Cloud, DEFAULT_API_KEY)
        };
        let shared = Arc::new(Shared {
            config: Config {
                mode,
                api_key: self.api_key.unwrap_or_else(|| default_key.to_owned()),
                cluster_ids: self.cluster_ids.into_iter().collect(),
                projects: self.projects.into_iter().collect(),
                job_durations: self.job_durations,
                fail_substrings: self.fail_substrings,
                body_read_timeout: self.body_read_timeout,
            },
            clock: Clock::new(self.manual_clock),
            store: Mutex::new(
                Store::new(self.job_limit)
                    .with_memory_limit(self.job_memory_limit)
                    .with_progress_model(self.progress_model),
            ),
            requests: Mutex::new(RequestLog::new(
                self.request_log_capacity,
                REQUEST_LOG_MAX_BYTES,
            )),
        });
        let timeouts = server::Timeouts {
            header_read: self.header_read_timeout,
            write: self.write_timeout,
            shutdown_grace: self
                .header_read_timeout
                .saturating_add(self.body_read_timeout)
                .saturating_add(self.write_timeout),
        };
        // Either an explicit shutdown or the handle being dropped ends it.
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), timeouts, rx));
        tracing::debug!(%local_addr, "emulator listening");
        Ok(EmulatorHandle {
            shared,
            local_addr,
            base_url: format!("http://{local_addr}"),
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Serves until `signal` completes (for example `tokio::signal::ctrl_c()`),
    /// then shuts down gracefully; for programs that only run the emulator.
    pub async fn run_until<F>(self, signal: F) -> std::io::Result<()>
    where
        F: Future,
    {
        let handle = self.start().await?;
        signal.await;
        handle.shutdown().await;
        Ok(())
    }
}

/// Which service the emulator answers as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The Zilliz Cloud control plane.
    Cloud,
    /// Open-source Milvus.
    Milvus,
}

/// Settings fixed at start.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) mode: Mode,
    /// The bearer token accepted.
    pub(crate) api_key: String,
    pub(crate) cluster_ids: HashSet<String>,
    pub(crate) projects: HashSet<(String, String)>,
    /// The shortest and the longest job.
    pub(crate) job_durations: (Duration, Duration),
    pub(crate) fail_substrings: Vec<String>,
    pub(crate) body_read_timeout: Duration,
}

impl Config {
    /// The duration of a job created now.
    pub(crate) fn job_duration(&self) -> Duration {
        let (shortest, longest) = self.job_durations;
        shortest + (longest - shortest).mul_f64(fastrand::f64())
    }
}

/// State shared between the server task and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) clock: Clock,
    pub(crate) store: Mutex<Store>,
    pub(crate) requests: Mutex<RequestLog>,
}

impl Shared {
    /// Whether the request carries the accepted bearer token.
    pub(crate) fn is_authorized(&self, headers: &HeaderMap) -> bool {
        routes::is_authorized(headers, &self.config.api_key)
    }
}

/// A poisoned lock only means a handler panicked; the data is still usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Control of a running emulator; dropping it stops the server.
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.base_url)
            .field("api_key", &REDACTED)
            .field("job_count", &self.job_count())
            .finish()
    }
}

impl EmulatorHandle {
    /// What a client should use as its server URL, e.g. `http://127.0.0.1:PORT`
    /// (no trailing slash, so paths can be appended directly).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The bound address, useful when the builder asked for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The bearer token clients must send (the configured key, or the mode's
    /// default), so tests need not repeat it.
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// Moves emulator time forward; the only way time passes with a manual
    /// clock, and a skip-ahead on a real one.
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Emulator time since start, so tests can reason about job timing.
    pub fn elapsed(&self) -> Duration {
        self.shared.clock.now()
    }

    /// Every job still held (see [`EmulatorBuilder::job_limit`]) in creation
    /// order, with state as of now, so tests can check what the server did
    /// without going through the API.
    pub fn jobs(&self) -> Vec<EmulatedJob> {
        let now = self.shared.clock.now();
        lock(&self.shared.store).to_public(now)
    }

    /// Number of jobs held, cheaper than `jobs().len()` for load tests; equal
    /// to the number created until finished jobs are forgotten.
    pub fn job_count(&self) -> usize {
        lock(&self.shared.store).len()
    }

    /// Bytes the jobs held take, as the emulator estimates them against
    /// [`EmulatorBuilder::job_memory_limit`]; never more than that limit.
    pub fn job_memory(&self) -> usize {
        lock(&self.shared.store).bytes()
    }

    /// The most recent requests received (all of them until the log's
    /// capacity is reached; see [`EmulatorBuilder::request_log_capacity`]),
    /// in the order they were answered, with credentials redacted.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).to_public()
    }

    /// Stops accepting connections and waits for in-flight requests to finish
    /// (idle connections are closed at once; a busy one is waited for at most
    /// the sum of the three timeouts).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Resolves when the server task ends, which while this handle lives only
    /// happens if serving fails; lets a program `select!` on it and a signal.
    pub async fn wait(&mut self) {
        if let Some(task) = self.task.as_mut() {
            let _ = task.await;
            self.task = None;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Job states as `describe` names them; the control plane's `list` uses
/// [`JobState::list_name`]. Open-source Milvus has more (such as
/// `PreImporting` or `IndexBuilding`), which the emulator does not model.
///
/// A job created with `auto_commit` `"false"` (a two-phase import) goes
/// `Pending`, `Importing`, then `Uncommitted` until it is committed
/// (`Committing`, then `Completed`) or aborted (`Failed`); see the
/// [module docs](self#two-phase-imports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobState {
    /// Accepted, not started (first tenth of the job duration).
    Pending,
    /// Rows being loaded; progress as the [`ProgressModel`] has it (rising
    /// linearly by default).
    Importing,
    /// A two-phase import whose rows are all loaded but not yet visible:
    /// progress 99, no `completeTime`, waiting for commit or abort for as
    /// long as it takes.
    Uncommitted,
    /// A committed two-phase import making its rows visible: progress 99
    /// for a tenth of the job duration, then `Completed`.
    Committing,
    /// All rows loaded (and committed); `totalRows` and `completeTime` are set.
    Completed,
    /// Stopped with a `reason`: a path matched a failure needle, or the job
    /// was aborted ([`ABORTED_REASON`](crate::ABORTED_REASON)).
    Failed,
}

impl JobState {
    /// The name `describe` reports, because clients match on these strings.
    pub fn describe_name(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Importing => "Importing",
            Self::Uncommitted => "Uncommitted",
            Self::Committing => "Committing",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
        }
    }

    /// The name the control plane's `list` reports, which differs from
    /// describe's (`InProgress`); Milvus's list uses describe's names.
    pub fn list_name(self) -> &'static str {
        match self {
            Self::Importing => "InProgress",
            other => other.describe_name(),
        }
    }
}

/// A job as the emulator sees it, for assertions in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatedJob {
    /// Id returned by create.
    pub job_id: String,
    /// Cluster the job was created on; empty for a project or Milvus job.
    pub cluster_id: String,
    /// Project the job was created on (`projectId`); empty otherwise.
    pub project_id: String,
    /// The project's region (`regionId`); empty for a cluster or Milvus job.
    pub region_id: String,
    /// Database name; `default` when the request left it empty (on Milvus,
    /// the `DB-Name` header when the body has none).
    pub db_name: String,
    /// Target collection.
    pub collection_name: String,
    /// Target partition; empty when not given.
    pub partition_name: String,
    /// Object URLs, flattened from `objectUrls` or the single `objectUrl`;
    /// empty for a volume or Milvus job.
    pub object_urls: Vec<String>,
    /// The volume imported from (`volumeName`); empty otherwise.
    pub volume_name: String,
    /// Paths inside the volume, flattened from `dataPaths`; empty otherwise.
    pub data_paths: Vec<String>,
    /// Milvus `files`, in their groups (empty groups dropped); empty otherwise.
    pub files: Vec<Vec<String>>,
    /// The import `options` as received (`null` values as `""`).
    pub options: BTreeMap<String, String>,
    /// The control plane's describe `fileName` (comma-separated for several
    /// files).
    pub file_name: String,
    /// The `fileSize` describe reports.
    pub file_size: i64,
    /// Rows the job imports. The control plane reports them in `totalRows`
    /// once completed (0 before); Milvus from the start, with `importedRows`
    /// rising to them.
    pub total_rows: i64,
    /// State as of the moment `jobs()` was called.
    pub state: JobState,
    /// Progress in percent as of that moment.
    pub progress: i64,
    /// The `Idempotency-Key` the create carried, if any.
    pub idempotency_key: Option<String>,
    /// Emulator time at creation.
    pub created_at: Duration,
    /// Emulator time at which it completed or failed, if it has (never
    /// while it waits for a commit or is committing).
    pub finished_at: Option<Duration>,
}

/// One request as received, kept so tests can check what a client sent
/// without the recording itself becoming a place credentials leak to.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// When the emulator received the request (its head had been read, its
    /// body not yet), as emulator time since the emulator started: the
    /// manual time with [`EmulatorBuilder::manual_clock`], else the real
    /// time elapsed plus any [`EmulatorHandle::advance`], as
    /// [`EmulatorHandle::elapsed`] reads it. Requests are logged once
    /// answered, so `at` need not rise through [`EmulatorHandle::requests`].
    pub at: Duration,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path without the query string.
    pub path: String,
    /// Whether the bearer token matched; the token itself is never stored.
    pub authorized: bool,
    /// The `Idempotency-Key` header, if sent.
    pub idempotency_key: Option<String>,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<String>,
    /// The `User-Agent` header, if sent.
    pub user_agent: Option<String>,
    /// The `DB-Name` header, if sent.
    pub db_name: Option<String>,
    /// The JSON body with `accessKey`, `secretKey`, `token`, `apiKey` (at any
    /// depth) and any string equal to the API key replaced by `<redacted>`;
    /// `Null` when the body was not JSON, was larger than
    /// [`MAX_RECORDED_BODY_BYTES`], or was never read: for a request without
    /// the right bearer token, to an unknown path or with another method than
    /// POST, the body is neither read nor kept.
    pub body: serde_json::Value,
    /// HTTP status the emulator answered with.
    pub status: u16,
    /// Envelope `code` the emulator answered with.
    pub code: i64,
}
