//! Settings collected before the server binds, and starting it.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::collections::{self, Collections, DEFAULT_COLLECTION};
use crate::handle::EmulatorHandle;
use crate::log::RequestLog;
use crate::redact::REDACTED;
use crate::server;
use crate::shared::{Config, Mode, Shared};
use crate::store::{ProgressModel, Store};
use crate::volume_storage::{self, Grants, Storage};
use crate::volume_sts::ExternalStore;
use crate::volumes::{VolumeSettings, Volumes};
use crate::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_JOB_LIMIT,
    DEFAULT_JOB_MEMORY_LIMIT, DEFAULT_MILVUS_TOKEN, DEFAULT_REQUEST_LOG_CAPACITY,
    DEFAULT_WRITE_TIMEOUT, REQUEST_LOG_MAX_BYTES,
};

/// The API key accepted on the control plane unless
/// [`EmulatorBuilder::api_key`] sets another.
const DEFAULT_API_KEY: &str = "emulator-key";

/// The project known on the control plane unless
/// [`EmulatorBuilder::projects`] sets others.
const DEFAULT_PROJECT: (&str, &str) = ("proj-emulator", "aws-us-west-2");

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
    /// `(name, schema)` for `collections/describe`, later ones winning.
    collections: Vec<(String, serde_json::Value)>,
    volume_dir: Option<PathBuf>,
    volume_storage_listen: SocketAddr,
    volumes: VolumeSettings,
    /// `--object-store`: URL, access key, secret key.
    object_store: Option<(String, String, String)>,
}

/// How long apply's credentials last unless told: an hour, as STS's
/// `AssumeRole` gives by default.
pub const DEFAULT_VOLUME_CREDENTIALS_LIFETIME: Duration = Duration::from_secs(3600);
/// `condition.maxContentLength` unless told: 1 TB, what a serverless or
/// dedicated cluster takes in one request (`import-api-deployments.md`,
/// "Documented limits").
pub const DEFAULT_VOLUME_MAX_CONTENT_LENGTH: i64 = 1_000_000_000_000;
/// `condition.maxFileNumber` unless told: 1,000 files, as documented there.
pub const DEFAULT_VOLUME_MAX_FILE_NUMBER: i64 = 1000;

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
            collections: vec![(DEFAULT_COLLECTION.to_owned(), collections::default_schema())],
            volume_dir: None,
            volume_storage_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            volumes: VolumeSettings {
                credentials_lifetime: DEFAULT_VOLUME_CREDENTIALS_LIFETIME,
                max_content_length: DEFAULT_VOLUME_MAX_CONTENT_LENGTH,
                max_file_number: Some(DEFAULT_VOLUME_MAX_FILE_NUMBER),
            },
            object_store: None,
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
            .field(
                "collections",
                &self.collections.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("volume_dir", &self.volume_dir)
            .field("volume_storage_listen", &self.volume_storage_listen)
            .field("volumes", &self.volumes)
            .field(
                "object_store",
                &self
                    .object_store
                    .as_ref()
                    .map(|(url, _, _)| (url, REDACTED)),
            )
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
    /// [crate docs](crate)). Cluster ids and projects are then unused.
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

    /// A collection `collections/describe` knows (Milvus mode), in the
    /// database `default`, with `schema` as the `data` of a describe answer
    /// (or the whole answer); one of the same name is replaced, the
    /// default [`DEFAULT_COLLECTION`] included. [`start`](Self::start)
    /// refuses a schema that is not that shape.
    pub fn collection(mut self, name: impl Into<String>, schema: serde_json::Value) -> Self {
        self.collections.push((name.into(), schema));
        self
    }

    /// Binds and serves in a background task that lives as long as the handle.
    ///
    /// Must be called inside a Tokio runtime.
    pub async fn start(self) -> std::io::Result<EmulatorHandle> {
        let invalid = |e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
        let collections = Collections::new(self.collections).map_err(invalid)?;
        let external = match self.object_store {
            Some((url, key, secret)) => {
                Some(ExternalStore::new(&url, key, secret).map_err(invalid)?)
            }
            None => None,
        };
        let listener = tokio::net::TcpListener::bind(self.listen).await?;
        let local_addr = listener.local_addr()?;
        let storage_addr = self.volume_storage_listen;
        // Named, so that which of the two listeners failed is told.
        let storage_listener =
            (tokio::net::TcpListener::bind(storage_addr).await).map_err(|e| {
                std::io::Error::new(e.kind(), format!("volume storage {storage_addr}: {e}"))
            })?;
        let storage_url = format!("http://{}", storage_listener.local_addr()?);
        let storage = Storage::new(self.volume_dir)?;
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
                collections,
                volumes: self.volumes,
                storage_url,
                external,
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
            volumes: Mutex::new(Volumes::default()),
            grants: Grants::default(),
            storage,
        });
        let storage_task = volume_storage::serve(storage_listener, Arc::clone(&shared))?;
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
        Ok(EmulatorHandle::new(shared, local_addr, tx, task).with_storage(storage_task))
    }

    /// Keeps the volumes' files in `dir` (made if missing) instead of a
    /// temporary directory removed when the emulator is dropped.
    pub fn volume_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.volume_dir = Some(dir.into());
        self
    }

    /// Where the volumes' S3 endpoint listens (default `127.0.0.1:0`: a
    /// free port); see [`EmulatorHandle::volume_storage_url`].
    pub fn volume_storage_listen(mut self, addr: SocketAddr) -> Self {
        self.volume_storage_listen = addr;
        self
    }

    /// How long the credentials apply hands out last, on the emulator's
    /// clock (default [`DEFAULT_VOLUME_CREDENTIALS_LIFETIME`]); a short one
    /// lets a test see them expire mid-upload.
    pub fn volume_credentials_lifetime(mut self, lifetime: Duration) -> Self {
        self.volumes.credentials_lifetime = lifetime;
        self
    }

    /// The `condition` apply answers: the most bytes and (`None`: no
    /// limit) files of one upload (defaults [`DEFAULT_VOLUME_MAX_CONTENT_LENGTH`],
    /// [`DEFAULT_VOLUME_MAX_FILE_NUMBER`]).
    pub fn volume_condition(
        mut self,
        max_content_length: i64,
        max_file_number: Option<i64>,
    ) -> Self {
        self.volumes.max_content_length = max_content_length;
        self.volumes.max_file_number = max_file_number;
        self
    }

    /// Keeps volumes in an external S3-compatible store instead of the
    /// emulator's own endpoint: `url` is `http(s)://HOST[:PORT]/BUCKET`
    /// (path-style; `?region=R`, default `us-east-1`) with the store's
    /// keys. Apply then answers the store, and credentials from its STS
    /// (`AssumeRole`) where it has one, else these keys (with an empty
    /// session token). The bucket must exist. The emulator does not look
    /// into such a store: an import from it is taken, its files present.
    pub fn volume_object_store(
        mut self,
        url: impl Into<String>,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.object_store = Some((url.into(), access_key.into(), secret_key.into()));
        self
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
