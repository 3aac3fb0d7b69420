//! Files into any `object_store::ObjectStore` (S3, GCS, Azure, a local
//! directory, memory), behind the feature `object-store`.
//!
//! Each file is a multipart upload: parts go up as they fill, several at
//! once up to a bound ([`ObjectStoreSink::concurrency`]), so memory stays
//! at `(concurrency + 1) * part_size` for the file being written; nothing
//! is visible until
//! [`Sink::commit`] completes every upload (an upload never completed is
//! never an object). [`Sink::abort`] aborts them. So the guarantee of
//! [`crate::LocalDir`] holds in a bucket too: a failed or interrupted write
//! leaves no object that looks finished. Stores drop abandoned multipart
//! uploads by their own rules (S3: a lifecycle rule).
//!
//! The writer is synchronous; this sink drives the store's futures with
//! `tokio::runtime::Handle::block_on`, so call it from a thread that is not
//! running async tasks (`tokio::task::spawn_blocking`, or a plain thread).

use std::future::Future;
use std::io::{self, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt, UploadPart};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::task::JoinHandle;

use crate::error::WriteError;
use crate::sink::{Sink, SinkFile};

/// Default part size: 16 MiB (S3 takes parts of 5 MiB to 5 GiB, and at most
/// 10,000 of them: 16 MiB parts allow files up to 156 GiB).
pub const DEFAULT_PART_SIZE: usize = 16 << 20;

/// Default number of parts of a file uploaded at once (pymilvus's uploaders
/// use 4 to 5). With the part filling meanwhile, a file holds at most
/// `(concurrency + 1) * part_size` bytes: 80 MiB by default.
pub const DEFAULT_UPLOAD_CONCURRENCY: usize = 4;

/// An upload shared by its file and the sink (which completes or aborts
/// it); `None` once either happened.
type Slot = Arc<Mutex<Option<Box<dyn MultipartUpload>>>>;

/// A [`Sink`] into an object store, under a prefix.
pub struct ObjectStoreSink {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    runtime: Handle,
    part_size: usize,
    concurrency: usize,
    started: Vec<(Path, Slot)>,
}

impl ObjectStoreSink {
    /// Files go to `prefix/<relative path>` in `store`; the store's futures
    /// run on `runtime`.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: impl Into<Path>, runtime: Handle) -> Self {
        ObjectStoreSink {
            store,
            prefix: prefix.into(),
            runtime,
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_UPLOAD_CONCURRENCY,
            started: Vec::new(),
        }
    }

    /// Bytes per uploaded part (at least 5 MiB, as S3 requires of every
    /// part but the last).
    pub fn part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(5 << 20);
        self
    }

    /// Parts of one file in flight at once (at least 1;
    /// [`DEFAULT_UPLOAD_CONCURRENCY`] by default). On a multi-thread
    /// runtime they are spawned and go up while the writer encodes the next
    /// part; on a current-thread runtime they go up together whenever the
    /// writer waits for one. Either way the writer waits for a part to
    /// finish before it starts one past the bound, so memory stays at
    /// `(concurrency + 1) * part_size` for the file being written.
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.concurrency = parts.max(1);
        self
    }

    fn key(&self, relative: &str) -> Path {
        relative
            .split('/')
            .filter(|p| !p.is_empty())
            .fold(self.prefix.clone(), |key, part| key.clone().join(part))
    }
}

fn store_error(key: &Path, e: object_store::Error) -> WriteError {
    WriteError::io(PathBuf::from(key.as_ref()), io::Error::other(e))
}

/// A part spawned on a multi-thread runtime; dropping it (a failed write)
/// stops the upload of that part.
struct Spawned(JoinHandle<object_store::Result<()>>);

impl Future for Spawned {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(result) => result.map_err(io::Error::other),
            Err(e) => Err(io::Error::other(e)),
        })
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type InFlight = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

struct StoreFile {
    key: Path,
    slot: Slot,
    runtime: Handle,
    buf: Vec<u8>,
    part_size: usize,
    concurrency: usize,
    in_flight: FuturesUnordered<InFlight>,
    parts: usize,
    bytes: u64,
}

impl StoreFile {
    /// Starts the upload of the buffered bytes as the next part, once fewer
    /// than `concurrency` parts are in flight.
    fn upload_part(&mut self) -> io::Result<()> {
        while self.in_flight.len() >= self.concurrency {
            self.wait_one()?;
        }
        let part = std::mem::replace(&mut self.buf, Vec::with_capacity(self.part_size));
        let upload: UploadPart = {
            let mut slot = self
                .slot
                .lock()
                .map_err(|_| io::Error::other("upload lock poisoned"))?;
            let upload = slot
                .as_mut()
                .ok_or_else(|| io::Error::other("the upload was aborted"))?;
            upload.put_part(part.into())
        };
        let part: InFlight = match self.runtime.runtime_flavor() {
            RuntimeFlavor::CurrentThread => {
                Box::pin(async move { upload.await.map_err(io::Error::other) })
            }
            _ => Box::pin(Spawned(self.runtime.spawn(upload))),
        };
        self.in_flight.push(part);
        self.parts += 1;
        Ok(())
    }

    /// Waits for one part in flight to finish; its error, if it failed.
    fn wait_one(&mut self) -> io::Result<()> {
        match self.runtime.block_on(self.in_flight.next()) {
            Some(result) => result,
            None => Ok(()),
        }
    }
}

impl Write for StoreFile {
    /// Cuts parts of exactly `part_size` bytes (some stores, R2 for one,
    /// want every part but the last of one size).
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            let take = (self.part_size - self.buf.len()).min(rest.len());
            self.buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.buf.len() == self.part_size {
                self.upload_part()?;
            }
        }
        self.bytes += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SinkFile for StoreFile {
    fn close(mut self: Box<Self>) -> Result<u64, WriteError> {
        let key = PathBuf::from(self.key.as_ref());
        // The last part may be short; an empty file is one empty part.
        if !self.buf.is_empty() || self.parts == 0 {
            self.upload_part().map_err(|e| WriteError::io(&key, e))?;
        }
        while !self.in_flight.is_empty() {
            self.wait_one().map_err(|e| WriteError::io(&key, e))?;
        }
        Ok(self.bytes)
    }
}

impl Sink for ObjectStoreSink {
    fn create(&mut self, path: &str) -> Result<Box<dyn SinkFile>, WriteError> {
        let key = self.key(path);
        match self.runtime.block_on(self.store.head(&key)) {
            Ok(_) => {
                return Err(WriteError::Exists {
                    path: PathBuf::from(key.as_ref()),
                });
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(store_error(&key, e)),
        }
        let upload = self
            .runtime
            .block_on(self.store.put_multipart(&key))
            .map_err(|e| store_error(&key, e))?;
        let slot: Slot = Arc::new(Mutex::new(Some(upload)));
        self.started.push((key.clone(), slot.clone()));
        Ok(Box::new(StoreFile {
            key,
            slot,
            runtime: self.runtime.clone(),
            buf: Vec::with_capacity(self.part_size),
            part_size: self.part_size,
            concurrency: self.concurrency,
            in_flight: FuturesUnordered::new(),
            parts: 0,
            bytes: 0,
        }))
    }

    fn commit(&mut self) -> Result<(), WriteError> {
        for (key, slot) in std::mem::take(&mut self.started) {
            let upload = slot.lock().ok().and_then(|mut s| s.take());
            let Some(mut upload) = upload else { continue };
            self.runtime
                .block_on(upload.complete())
                .map_err(|e| store_error(&key, e))?;
        }
        Ok(())
    }

    fn abort(&mut self) {
        for (_, slot) in self.started.drain(..) {
            let upload = slot.lock().ok().and_then(|mut s| s.take());
            if let Some(mut upload) = upload {
                let _ = self.runtime.block_on(upload.abort());
            }
        }
    }
}
