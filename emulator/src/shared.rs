//! What the server task and the handle share: the settings fixed at start,
//! the clock, the jobs and the request log.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::HeaderMap;

use crate::clock::Clock;
use crate::collections::Collections;
use crate::log::RequestLog;
use crate::routes;
use crate::store::Store;
use crate::volume_storage::{Grants, Storage};
use crate::volumes::{VolumeSettings, Volumes};

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
    /// The collections `collections/describe` knows.
    pub(crate) collections: Collections,
    /// The limits and the credentials' lifetime apply hands out.
    pub(crate) volumes: VolumeSettings,
    /// The volumes' S3 endpoint, `http://127.0.0.1:PORT`.
    pub(crate) storage_url: String,
    /// An external store the volumes are kept in instead, if given.
    pub(crate) external: Option<crate::volume_sts::ExternalStore>,
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
    pub(crate) volumes: Mutex<Volumes>,
    /// The credentials apply handed out, which the S3 endpoint checks.
    pub(crate) grants: Grants,
    /// The directory the volumes' files are kept in.
    pub(crate) storage: Storage,
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
