//! Control of a running emulator: its address, its clock, what it holds and
//! what it received, and its shutdown.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::log::RecordedRequest;
use crate::redact::REDACTED;
use crate::shared::{Shared, lock};
use crate::view::EmulatedJob;

/// Control of a running emulator; dropping it stops the server.
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The volumes' S3 endpoint, aborted with the emulator.
    storage_task: Option<JoinHandle<()>>,
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
    /// The handle of the server `task` serving at `local_addr`, which ends
    /// when `shutdown` is sent or dropped.
    pub(crate) fn new(
        shared: Arc<Shared>,
        local_addr: SocketAddr,
        shutdown: oneshot::Sender<()>,
        task: JoinHandle<()>,
    ) -> Self {
        Self {
            shared,
            local_addr,
            base_url: format!("http://{local_addr}"),
            shutdown: Some(shutdown),
            task: Some(task),
            storage_task: None,
        }
    }

    pub(crate) fn with_storage(mut self, task: JoinHandle<()>) -> Self {
        self.storage_task = Some(task);
        self
    }

    /// The volumes' S3-compatible endpoint, `http://127.0.0.1:PORT`, as
    /// apply answers it in `endpoint`: path-style, bucket
    /// `emulator-volumes`, region `us-east-1`, SigV4 with the keys and
    /// session token apply hands out.
    pub fn volume_storage_url(&self) -> String {
        self.shared.config.storage_url.clone()
    }

    /// The directory the volumes' files are kept in: `<dir>/emulator-volumes/<volume>/<path>`.
    pub fn volume_storage_dir(&self) -> &std::path::Path {
        self.shared.storage.root()
    }

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

    /// Every job still held (see [`EmulatorBuilder::job_limit`](crate::EmulatorBuilder::job_limit)) in creation
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
    /// [`EmulatorBuilder::job_memory_limit`](crate::EmulatorBuilder::job_memory_limit); never more than that limit.
    pub fn job_memory(&self) -> usize {
        lock(&self.shared.store).bytes()
    }

    /// The most recent requests received (all of them until the log's
    /// capacity is reached; see [`EmulatorBuilder::request_log_capacity`](crate::EmulatorBuilder::request_log_capacity)),
    /// in the order they were answered, with credentials redacted.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).to_public()
    }

    /// Stops accepting connections and waits for in-flight requests to finish
    /// (idle connections are closed at once; a busy one is waited for at most
    /// the sum of the three timeouts).
    pub async fn shutdown(mut self) {
        if let Some(storage) = self.storage_task.take() {
            storage.abort();
        }
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
        if let Some(storage) = self.storage_task.take() {
            storage.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
