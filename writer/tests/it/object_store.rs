//! The object store sink, against object_store's in-memory store: objects
//! appear only at commit, and never after a failure.

use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use serde_json::json;
use zilliz_import_writer::{Format, ObjectStoreSink, WriteError, Writer};

use crate::common::{small, small_row};

fn exists(rt: &tokio::runtime::Runtime, store: &InMemory, key: &str) -> Option<u64> {
    rt.block_on(store.head(&Path::from(key)))
        .ok()
        .map(|m| m.size)
}

#[test]
fn multipart_uploads_complete_at_commit() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = Arc::new(InMemory::new());
    let sink = ObjectStoreSink::new(
        store.clone() as Arc<dyn ObjectStore>,
        "jobs/a",
        rt.handle().clone(),
    )
    .part_size(5 << 20);
    let mut w = Writer::builder(small(false))
        .format(Format::Jsonl)
        .create(Box::new(sink))
        .unwrap();
    // About 8 MiB of lines: two parts.
    for id in 0..150_000 {
        w.push_json(&small_row(id)).unwrap();
    }
    assert_eq!(exists(&rt, &store, "jobs/a/1.jsonl"), None);
    let summary = w.finish().unwrap();
    assert_eq!(summary.files(), vec![vec!["1.jsonl".to_owned()]]);
    assert!(summary.bytes > 5 << 20);
    assert_eq!(exists(&rt, &store, "jobs/a/1.jsonl"), Some(summary.bytes));
    let body = rt.block_on(async {
        store
            .get(&Path::from("jobs/a/1.jsonl"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    });
    let text = std::str::from_utf8(&body).unwrap();
    assert_eq!(text.lines().count(), 150_000);
    assert_eq!(
        text.lines().last().unwrap(),
        "{\"id\":149999,\"vec\":[1.0,2.0,3.0,149999.0],\"title\":\"t149999\"}"
    );
}

#[test]
fn a_failure_leaves_no_object_and_existing_objects_are_kept() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = Arc::new(InMemory::new());
    let sink = ObjectStoreSink::new(
        store.clone() as Arc<dyn ObjectStore>,
        "p",
        rt.handle().clone(),
    );
    let mut w = Writer::builder(small(false))
        .format(Format::Jsonl)
        .file_size(4096)
        .create(Box::new(sink))
        .unwrap();
    for id in 0..500 {
        w.push_json(&small_row(id)).unwrap();
    }
    assert!(matches!(
        w.push_json(&json!({"id": "x"})),
        Err(WriteError::Row(_))
    ));
    assert_eq!(exists(&rt, &store, "p/1.jsonl"), None);
    assert_eq!(exists(&rt, &store, "p/2.jsonl"), None);
    // A finished object is never overwritten.
    rt.block_on(store.put(&Path::from("q/1.parquet"), b"mine".to_vec().into()))
        .unwrap();
    let sink = ObjectStoreSink::new(
        store.clone() as Arc<dyn ObjectStore>,
        "q",
        rt.handle().clone(),
    );
    let mut w = Writer::builder(small(false))
        .create(Box::new(sink))
        .unwrap();
    w.push_json(&small_row(1)).unwrap();
    match w.finish() {
        Err(WriteError::Exists { path }) => assert_eq!(path.to_str(), Some("q/1.parquet")),
        other => panic!("{other:?}"),
    }
    assert_eq!(exists(&rt, &store, "q/1.parquet"), Some(4));
}
