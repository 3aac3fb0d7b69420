//! The uploader: its settings, and one upload from the plan to the report.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream;
use object_store::client::HttpConnector;
use tokio::sync::Semaphore;

use crate::credentials::{Clock, system_clock};
use crate::destination::{Destination, StoreSettings};
use crate::error::UploadError;
use crate::plan::{check_quota, keys, list_sources};
use crate::report::{Progress, UploadReport};
use crate::request::Requester;
use crate::transfer::Shared;

/// Requests in flight at once by default: parts of any files (pymilvus
/// sends 5 files at a time, one part each).
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Retries of one request by default (pymilvus: 5 attempts, Java: 5
/// retries).
pub const DEFAULT_RETRIES: usize = 5;

/// Sends local files and folders to a [`Destination`]; see the crate's
/// documentation.
#[derive(Clone)]
pub struct Uploader {
    concurrency: usize,
    part_size: Option<u64>,
    retries: usize,
    signed_payload: bool,
    clock: Clock,
    connector: Option<Arc<dyn HttpConnector>>,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader")
            .field("concurrency", &self.concurrency)
            .field("part_size", &self.part_size)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

impl Default for Uploader {
    fn default() -> Self {
        Uploader::builder().build()
    }
}

/// Settings of an [`Uploader`].
#[derive(Clone)]
pub struct UploaderBuilder(Uploader);

impl UploaderBuilder {
    /// Requests in flight at once, over all files (at least 1). Memory is
    /// at most `concurrency * part size` of file data, plus a constant.
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.0.concurrency = requests.max(1);
        self
    }

    /// The part size instead of the SDKs' rule (`max(5 MiB, size / 1000)`
    /// rounded up to MiB); raised to 5 MiB, and so that no file needs more
    /// than 10,000 parts.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.0.part_size = Some(bytes);
        self
    }

    /// How many times a request is sent again after a transient failure
    /// (throttling, 5xx, time-outs, broken connections), with a pause of
    /// 200 ms doubling up to 10 s. Refused credentials are renewed once per
    /// request on top of this.
    pub fn retries(mut self, retries: usize) -> Self {
        self.0.retries = retries;
        self
    }

    /// How an S3 store checks the bytes of each part. By default (`false`)
    /// each request carries a CRC64NVME checksum of its body, which the
    /// store verifies, and the signature covers the headers only
    /// (`UNSIGNED-PAYLOAD`): one cheap CRC pass over the data instead of a
    /// SHA-256 pass, the largest CPU cost of an upload otherwise. With
    /// `true`, the body's SHA-256 is signed (SigV4's signed payload, as
    /// minio-py does over plain HTTP), for stores that do not know
    /// CRC64NVME checksums.
    pub fn signed_payload(mut self, signed: bool) -> Self {
        self.0.signed_payload = signed;
        self
    }

    /// The clock that decides when volume credentials are due for renewal
    /// (tests move it by hand).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.0.clock = clock;
        self
    }

    /// The HTTP client of the S3 (and GCS) stores: object_store's reqwest
    /// one by default; tests count and inject answers through their own.
    pub fn http_connector(mut self, connector: Arc<dyn HttpConnector>) -> Self {
        self.0.connector = Some(connector);
        self
    }

    pub fn build(self) -> Uploader {
        self.0
    }
}

impl Uploader {
    pub fn builder() -> UploaderBuilder {
        UploaderBuilder(Uploader {
            concurrency: DEFAULT_CONCURRENCY,
            part_size: None,
            retries: DEFAULT_RETRIES,
            signed_payload: false,
            clock: system_clock(),
            connector: None,
        })
    }

    /// Sends the files and folders `sources` to `dest`.
    ///
    /// A file goes to `prefix + path + its name`, a folder's files to
    /// `prefix + path + their path below the folder`. Before anything is
    /// sent, everything is listed and the volume's limits are checked.
    /// Files already there with the same size are skipped; a file whose
    /// earlier upload was interrupted goes on from its journal. On an error
    /// the files finished stay finished and the journals keep the parts
    /// sent: the same call goes on from there.
    pub async fn upload(
        &self,
        sources: &[PathBuf],
        dest: &Destination,
        on_progress: impl Fn(Progress) + Send + Sync,
    ) -> Result<UploadReport, UploadError> {
        let files = list_sources(sources)?;
        if files.is_empty() {
            return Err(UploadError::InvalidSource {
                path: sources.first().cloned().unwrap_or_default(),
                reason: "no file to upload".into(),
            });
        }
        let settings = StoreSettings {
            // Every attempt is made (and counted) by the uploader itself.
            retries: 0,
            signed_payload: self.signed_payload,
            clock: self.clock.clone(),
            connector: self.connector.clone(),
        };
        let opened = dest.open(&settings).await?;
        let keys = keys(&files, &opened.prefix, &opened.dir)?;
        check_quota(&files, opened.max_content_length, opened.max_file_number)?;
        on_progress(Progress::Planned {
            files: files.len(),
            bytes: files.iter().map(|f| f.size).sum(),
        });

        let shared = Shared {
            objects: opened.objects,
            multipart: opened.multipart,
            requester: Requester {
                grants: opened.grants,
                retries: self.retries,
                secrets: Arc::new(opened.secrets),
            },
            permits: Arc::new(Semaphore::new(self.concurrency)),
            identity: opened.identity,
            part_size: self.part_size,
            on_progress: &on_progress,
        };
        // Files side by side; their requests share the permits.
        let mut sent = stream::iter(files.iter().zip(&keys).enumerate())
            .map(|(i, (file, key))| {
                let shared = &shared;
                async move { (i, shared.send(file, key).await) }
            })
            .buffer_unordered(self.concurrency);
        let mut done = Vec::with_capacity(files.len());
        while let Some((i, result)) = sent.next().await {
            done.push((i, result?));
        }
        done.sort_by_key(|(i, _)| *i);
        let files: Vec<_> = done.into_iter().map(|(_, f)| f).collect();
        Ok(UploadReport {
            bytes: files.iter().map(|f| f.bytes).sum(),
            parts_sent: files.iter().map(|f| f.parts_sent).sum(),
            parts_skipped: files.iter().map(|f| f.parts_skipped).sum(),
            files,
        })
    }
}
