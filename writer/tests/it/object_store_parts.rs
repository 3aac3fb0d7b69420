//! The object store sink uploads the parts of a file several at once, never
//! more than its bound, in parts of the size asked for; a failed part fails
//! the write and aborts the upload. Seen through a store that wraps
//! object_store's `InMemory` and watches every part.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result, UploadPart,
};
use tokio::runtime::Runtime;
use zilliz_import_writer::{Format, ObjectStoreSink, WriteError, Writer};

use serde_json::{Value, json};
use zilliz_import_writer::Schema;

const PART: usize = 5 << 20;

/// What the store saw.
#[derive(Debug, Default)]
struct Seen {
    issued: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// A part shorter than `PART` was issued: the file's last.
    last_issued: AtomicUsize,
    sizes: Mutex<Vec<usize>>,
    completed: AtomicUsize,
    aborted: AtomicUsize,
}

#[derive(Debug)]
struct Watched {
    inner: InMemory,
    seen: Arc<Seen>,
    /// Parts held back until this many more are issued (or the last is).
    hold: usize,
    /// The part (0-based) that fails, if any.
    fail: Option<usize>,
}

impl std::fmt::Display for Watched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watched")
    }
}

#[derive(Debug)]
struct WatchedUpload {
    inner: Box<dyn MultipartUpload>,
    seen: Arc<Seen>,
    hold: usize,
    fail: Option<usize>,
}

#[async_trait]
impl MultipartUpload for WatchedUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let seen = self.seen.clone();
        let i = seen.issued.fetch_add(1, SeqCst);
        let now = seen.in_flight.fetch_add(1, SeqCst) + 1;
        seen.max_in_flight.fetch_max(now, SeqCst);
        let size = data.content_length();
        seen.sizes.lock().unwrap().push(size);
        if size < PART {
            seen.last_issued.store(1, SeqCst);
        }
        let (hold, fail) = (self.hold, self.fail);
        let inner = self.inner.put_part(data);
        Box::pin(async move {
            // Held until `hold` more parts are issued, or the last one is: a
            // sink that waited for each part before the next would never
            // get there (the spin only ends such a run, as a failure).
            let mut spins = 0u64;
            while seen.issued.load(SeqCst) < i + 1 + hold
                && seen.last_issued.load(SeqCst) == 0
                && spins < 50_000_000
            {
                spins += 1;
                tokio::task::yield_now().await;
            }
            let result = if fail == Some(i) {
                Err(object_store::Error::Generic {
                    store: "Watched",
                    source: "part refused".into(),
                })
            } else {
                inner.await
            };
            seen.in_flight.fetch_sub(1, SeqCst);
            result
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        self.seen.completed.fetch_add(1, SeqCst);
        self.inner.complete().await
    }

    async fn abort(&mut self) -> Result<()> {
        self.seen.aborted.fetch_add(1, SeqCst);
        self.inner.abort().await
    }
}

#[async_trait]
impl ObjectStore for Watched {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        Ok(Box::new(WatchedUpload {
            inner: self.inner.put_multipart_opts(location, opts).await?,
            seen: self.seen.clone(),
            hold: self.hold,
            fail: self.fail,
        }))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

fn runtimes() -> Vec<(&'static str, Runtime)> {
    vec![
        (
            "multi-thread",
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
        (
            "current-thread",
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        ),
    ]
}

fn watched(hold: usize, fail: Option<usize>) -> (Arc<Watched>, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let store = Arc::new(Watched {
        inner: InMemory::new(),
        seen: seen.clone(),
        hold,
        fail,
    });
    (store, seen)
}

/// Rows of about 4 KiB, so that a few thousand fill several parts.
fn schema() -> Schema {
    Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "s", "type": "VarChar", "params": [{"key": "max_length", "value": "8192"}]}
    ]}))
    .unwrap()
}

fn row(id: i64) -> Value {
    json!({"id": id, "s": format!("{id:>4000}")})
}

/// A JSONL writer into `store` under `prefix`, parts of 5 MiB, `concurrency`
/// of them at once.
fn writer(store: &Arc<Watched>, prefix: &str, rt: &Runtime, concurrency: usize) -> Writer {
    let sink = ObjectStoreSink::new(
        store.clone() as Arc<dyn ObjectStore>,
        prefix,
        rt.handle().clone(),
    )
    .part_size(PART)
    .concurrency(concurrency);
    Writer::builder(schema())
        .format(Format::Jsonl)
        .create(Box::new(sink))
        .unwrap()
}

/// About 31 MiB of JSONL: six full parts of 5 MiB and a short one.
const ROWS: i64 = 8_000;

#[test]
fn parts_go_up_together_up_to_the_bound() {
    for (flavor, rt) in runtimes() {
        let (store, seen) = watched(2, None);
        let mut w = writer(&store, "up", &rt, 3);
        for id in 0..ROWS {
            w.push_json(&row(id)).unwrap();
        }
        let summary = w.finish().unwrap();
        // Three parts in flight at once, never more.
        assert_eq!(seen.max_in_flight.load(SeqCst), 3, "{flavor}");
        assert_eq!(seen.in_flight.load(SeqCst), 0, "{flavor}");
        // Parts of the size asked for, the last one short, as many as the
        // bytes need.
        let sizes = seen.sizes.lock().unwrap().clone();
        let parts = (summary.bytes as usize).div_ceil(PART);
        assert_eq!(sizes.len(), parts, "{flavor}");
        assert!(parts >= 6, "{flavor}: {parts} parts");
        assert!(
            sizes[..parts - 1].iter().all(|&s| s == PART),
            "{flavor}: {sizes:?}"
        );
        assert_eq!(
            sizes.iter().sum::<usize>() as u64,
            summary.bytes,
            "{flavor}"
        );
        assert_eq!(
            (seen.completed.load(SeqCst), seen.aborted.load(SeqCst)),
            (1, 0)
        );
        // The object holds every line, in order.
        let body = rt.block_on(async {
            store
                .get(&Path::from("up/1.jsonl"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
        });
        assert_eq!(body.len() as u64, summary.bytes);
        let text = std::str::from_utf8(&body).unwrap();
        assert_eq!(text.lines().count() as i64, ROWS);
        let last = ROWS - 1;
        assert_eq!(text.lines().last().unwrap(), row(last).to_string());
    }
}

#[test]
fn one_part_at_a_time_when_asked() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let (store, seen) = watched(0, None);
    let mut w = writer(&store, "one", &rt, 1);
    for id in 0..2_700 {
        w.push_json(&row(id)).unwrap();
    }
    w.finish().unwrap();
    assert_eq!(seen.max_in_flight.load(SeqCst), 1);
    assert_eq!(seen.sizes.lock().unwrap().len(), 3);
}

#[test]
fn a_failed_part_fails_the_write_and_aborts_the_upload() {
    for (flavor, rt) in runtimes() {
        let (store, seen) = watched(2, Some(1));
        let mut w = writer(&store, "bad", &rt, 3);
        let mut failed = None;
        for id in 0..ROWS {
            if let Err(e) = w.push_json(&row(id)) {
                failed = Some(e);
                break;
            }
        }
        let e = match failed {
            Some(e) => e,
            None => w.finish().unwrap_err(),
        };
        match &e {
            WriteError::Io { path, source } => {
                assert!(path.ends_with("1.jsonl"), "{flavor}: {path:?}");
                assert!(
                    source.to_string().contains("part refused"),
                    "{flavor}: {source}"
                );
            }
            other => panic!("{flavor}: {other:?}"),
        }
        assert_eq!(
            (seen.completed.load(SeqCst), seen.aborted.load(SeqCst)),
            (0, 1),
            "{flavor}"
        );
        assert!(
            rt.block_on(store.head(&Path::from("bad/1.jsonl"))).is_err(),
            "{flavor}: no object"
        );
    }
}
