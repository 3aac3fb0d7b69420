//! What the tests against a real server (moto, Azurite) share besides the
//! recording connector: finding the server `ci.sh` started, the files they
//! upload and the journals left beside them, an upload stopped midway,
//! and reading back what landed. Included by each such test crate as
//! `#[path = "common/server_tests.rs"] mod server_tests;`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use zilliz_import_upload::journal::JOURNAL_SUFFIX;
use zilliz_import_upload::object_store::path::Path as Key;
use zilliz_import_upload::object_store::{ObjectStore, ObjectStoreExt};
use zilliz_import_upload::{Destination, Progress, Uploader};

/// The URL `ci.sh` put in `url_var`, or `None` (with a message) when there
/// is none and this is not CI. Under `CI=true` a missing server fails the
/// test: no quiet skip. `server` and `ci_sh` are for the messages.
pub fn server_url(url_var: &str, server: &str, ci_sh: &str) -> Option<String> {
    match std::env::var(url_var) {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but no {server}: run these tests through {ci_sh}")
        }
        Err(_) => {
            eprintln!("skipped: no {server} (run through {ci_sh})");
            None
        }
    }
}

/// A name for a test's own bucket or container: tests run side by side
/// on one server, and a server may outlive a run. `_` is `-`, as bucket
/// and container names take no `_`.
pub fn fresh_name(test: &str) -> String {
    static NAMES: AtomicUsize = AtomicUsize::new(0);
    let n = NAMES.fetch_add(1, Ordering::Relaxed);
    format!("{test}-{}-{n}", std::process::id()).replace('_', "-")
}

/// Runs one of the helper scripts beside `ci.sh` (sts.py, container.js;
/// `what` names the call in messages) and answers its stdout. A script
/// that fails fails the test, with the script's stderr.
pub fn run_helper(command: &mut Command, what: &str) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Writes `bytes` to `dir/name` (and the folders on the way).
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The journals in `dir` (an upload leaves one beside each source it has
/// not finished).
pub fn journals(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(JOURNAL_SUFFIX) {
            found.push(path);
        }
    }
    found
}

/// Runs an upload and drops it (as a kill would stop it) once `after`
/// parts are sent, and so journaled. An upload that ends first fails the
/// test: it was meant to be cut short.
pub async fn upload_dropped_after(
    up: &Uploader,
    sources: &[PathBuf],
    dest: &Destination,
    after: usize,
) {
    let sent = AtomicUsize::new(0);
    let stop = tokio::sync::Notify::new();
    let upload = up.upload(sources, dest, |p| {
        if let Progress::PartSent { .. } = p
            && sent.fetch_add(1, Ordering::SeqCst) + 1 == after
        {
            stop.notify_one();
        }
    });
    tokio::select! {
        result = upload => panic!("the upload ended before the kill: {result:?}"),
        () = stop.notified() => {}
    }
}

/// The object at `key`, whole.
pub async fn read(store: &impl ObjectStore, key: &str) -> Vec<u8> {
    let got = (store.get(&Key::from(key)).await).unwrap_or_else(|e| panic!("{key}: {e}"));
    got.bytes().await.unwrap().to_vec()
}

/// Every key in the store, sorted.
pub async fn keys(store: &impl ObjectStore) -> Vec<String> {
    use futures_util::TryStreamExt;
    let mut keys: Vec<String> = (store.list(None))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    keys
}
