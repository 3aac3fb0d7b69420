//! The uploader against object_store's in-memory store, so that these run
//! everywhere (no server): keys, the one bound over requests in flight
//! across files, and a resume after a failed part.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use zilliz_import_upload::object_store::memory::InMemory;
use zilliz_import_upload::object_store::multipart::{MultipartStore, PartId};
use zilliz_import_upload::object_store::path::Path as Key;
use zilliz_import_upload::object_store::{
    MultipartId, ObjectStoreExt, PutPayload, PutResult, Result,
};
use zilliz_import_upload::{
    Destination, Progress, StoreDestination, UploadError, Uploader, journal,
};

const MIB: usize = 1 << 20;

/// The in-memory store's multipart uploads, counted, with the parts in
/// flight measured, failing every part from the `fail_from`th on.
#[derive(Debug)]
struct Watched {
    inner: Arc<InMemory>,
    parts: AtomicUsize,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    fail_from: usize,
}

#[async_trait]
impl MultipartStore for Watched {
    async fn create_multipart(&self, path: &Key) -> Result<MultipartId> {
        self.inner.create_multipart(path).await
    }

    async fn put_part(
        &self,
        path: &Key,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let n = self.parts.fetch_add(1, Ordering::SeqCst);
        if n >= self.fail_from {
            return Err(zilliz_import_upload::object_store::Error::Generic {
                store: "test",
                source: "injected failure".into(),
            });
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        // Wait for another part to start (or a long while), so that the
        // bound is what stops them.
        for _ in 0..20_000 {
            if self.in_flight.load(Ordering::SeqCst) >= 2 {
                break;
            }
            tokio::task::yield_now().await;
        }
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let mut id_ = self.inner.put_part(path, id, part_idx, data).await?;
        id_.content_id = format!("etag-{part_idx}");
        Ok(id_)
    }

    async fn complete_multipart(
        &self,
        path: &Key,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        self.inner.complete_multipart(path, id, parts).await
    }

    async fn abort_multipart(&self, path: &Key, id: &MultipartId) -> Result<()> {
        self.inner.abort_multipart(path, id).await
    }
}

fn store(fail_from: usize) -> (Arc<InMemory>, Arc<Watched>, Destination) {
    let inner = Arc::new(InMemory::new());
    let watched = Arc::new(Watched {
        inner: inner.clone(),
        parts: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        most_in_flight: AtomicUsize::new(0),
        fail_from,
    });
    let dest = Destination::Store(StoreDestination {
        objects: inner.clone(),
        multipart: watched.clone(),
        name: "memory".into(),
        prefix: "pre".into(),
    });
    (inner, watched, dest)
}

fn write(dir: &Path, name: &str, len: usize, seed: u8) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let bytes: Vec<u8> = (0..len).map(|i| (i / 4096) as u8 ^ seed).collect();
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn read(store: &InMemory, key: &str) -> Vec<u8> {
    store
        .get(&Key::from(key))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parts_of_all_files_share_one_bound() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("data");
    for i in 0..4 {
        write(&folder, &format!("sub/f{i}.bin"), 11 * MIB, i as u8);
    }
    let (inner, watched, dest) = store(usize::MAX);
    let events = std::sync::Mutex::new(Vec::new());
    let report = Uploader::builder()
        .concurrency(3)
        .build()
        .upload(std::slice::from_ref(&folder), &dest, |p| {
            events.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    let events = events.into_inner().unwrap();
    assert_eq!(
        events[0],
        Progress::Planned {
            files: 4,
            bytes: 44 * MIB as u64
        }
    );
    let sent: u64 = events
        .iter()
        .map(|e| match e {
            Progress::PartSent { bytes, .. } => *bytes,
            _ => 0,
        })
        .sum();
    assert_eq!(sent, 44 * MIB as u64);
    let done: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Progress::FileDone {
                key,
                skipped: false,
                ..
            } => Some(key.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(done.len(), 4);
    assert!(matches!(events.last(), Some(Progress::FileDone { .. })));
    assert_eq!(report.parts_sent, 12);
    assert_eq!(watched.parts.load(Ordering::SeqCst), 12);
    let most = watched.most_in_flight.load(Ordering::SeqCst);
    assert!(
        most <= 3,
        "{most} parts in flight at once, over the bound of 3"
    );
    assert!(most >= 2, "parts should go side by side ({most})");
    for i in 0..4 {
        let key = format!("pre/sub/f{i}.bin");
        assert_eq!(
            read(&inner, &key).await,
            std::fs::read(folder.join(format!("sub/f{i}.bin"))).unwrap()
        );
    }
}

#[tokio::test]
async fn a_failed_part_leaves_a_journal_the_next_call_goes_on_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.bin", 26 * MIB, 9);
    let (inner, watched, dest) = store(3);
    let up = Uploader::builder().concurrency(1).build();
    let err = up
        .upload(std::slice::from_ref(&file), &dest, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::Store {
                part: Some(3),
                partly_written: true,
                transient: false,
                ..
            }
        ),
        "{err:?}"
    );
    let journaled = journal::load(&journal::journal_path(&file)).unwrap();
    assert_eq!(journaled.parts.len(), 3);
    assert_eq!(journaled.key, "pre/f.bin");

    // The same upload id, in a store that no longer fails.
    let fresh = Arc::new(Watched {
        inner: inner.clone(),
        parts: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        most_in_flight: AtomicUsize::new(0),
        fail_from: usize::MAX,
    });
    let dest = Destination::Store(StoreDestination {
        objects: inner.clone(),
        multipart: fresh.clone(),
        name: "memory".into(),
        prefix: "pre".into(),
    });
    let report = up
        .upload(std::slice::from_ref(&file), &dest, |_| {})
        .await
        .unwrap();
    assert_eq!((report.parts_sent, report.parts_skipped), (3, 3));
    assert_eq!(fresh.parts.load(Ordering::SeqCst), 3);
    assert_eq!(
        read(&inner, "pre/f.bin").await,
        std::fs::read(&file).unwrap()
    );
    assert!(!journal::journal_path(&file).exists());
    assert_eq!(
        watched.parts.load(Ordering::SeqCst),
        4,
        "parts 1-3, then the failure"
    );
}
