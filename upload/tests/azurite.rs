//! The uploader against Azure Blob: Azurite 3.37.0 with Shared Key
//! authentication, started by `upload/tests/azurite/ci.sh` (which alone
//! runs this file). Without Azurite, outside CI, each test says it
//! skipped; under `CI=true` it fails.
//!
//! Azure has no multipart upload id: object_store's parts are blocks put
//! to the blob, uncommitted until the block list is put (the completion).
//! The journal keeps the blocks' ids as the parts' ETags, so a resumed
//! upload puts only the missing blocks and then the whole list.
#![cfg(feature = "azure")]

#[path = "azurite/harness.rs"]
mod harness;
#[path = "common/recording.rs"]
mod recording;
#[path = "common/server_tests.rs"]
mod server_tests;
#[path = "common/test_data.rs"]
mod test_data;

use std::path::Path;

use harness::{Recorder, azurite};
use server_tests::{journals, upload_dropped_after, write};
use test_data::data;
use zilliz_import_upload::journal;
use zilliz_import_upload::{Destination, UploadError, Uploader};

const MIB: usize = 1 << 20;

/// Parts of 5 MiB (the smallest), three requests at once.
fn uploader(recorder: &Recorder) -> Uploader {
    Uploader::builder()
        .concurrency(3)
        .part_size(5 * MIB as u64)
        .http_connector(recorder.connector())
        .build()
}

#[tokio::test]
async fn a_multipart_file_lands_as_blocks_with_its_bytes() {
    let Some(azurite) = azurite() else { return };
    let container = azurite.container("multipart");
    let dir = tempfile::tempdir().unwrap();
    let big = data(12 * MIB + 3, 1);
    let a = write(dir.path(), "a.bin", &big);
    let small = write(dir.path(), "small.txt", b"one small file");
    let dest = Destination::Bucket(azurite.destination(&container, "in/run1/"));
    let recorder = Recorder::default();

    let report = uploader(&recorder)
        .upload(&[a, small], &dest, |_| {})
        .await
        .unwrap();

    let keys: Vec<_> = report.files.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["in/run1/a.bin", "in/run1/small.txt"]);
    assert_eq!(azurite.keys(&container).await, keys);
    assert_eq!(azurite.read(&container, keys[0]).await, big);
    assert_eq!(azurite.read(&container, keys[1]).await, b"one small file");
    // 3 blocks of at most 5 MiB and their list; one Put Blob.
    assert_eq!((report.parts_sent, report.parts_skipped), (4, 0));
    assert_eq!(report.bytes, 12 * MIB as u64 + 3 + 14);
    assert_eq!(
        recorder.ops(),
        [
            ("HEAD", 2),
            ("PutBlock", 3),
            ("PutBlockList", 1),
            ("PutBlob", 1)
        ]
        .into_iter()
        .collect()
    );
    let blob = format!("/devstoreaccount1/{container}/in/run1/a.bin");
    assert!(
        (recorder.seen.lock().unwrap().iter())
            .filter(|s| s.op.starts_with("PutBlock"))
            .all(|s| s.path == blob),
        "every block and the list go to the blob"
    );
    assert!(journals(dir.path()).is_empty());
}

/// Runs an upload and drops it (as a kill would stop it) once `after`
/// blocks are journaled; answers the journal's block ids.
async fn interrupted(
    up: &Uploader,
    source: &Path,
    dest: &Destination,
    after: usize,
) -> Vec<String> {
    upload_dropped_after(up, &[source.to_owned()], dest, after).await;
    let journal = journal::load(&journal::journal_path(source)).expect("a journal");
    assert_eq!(journal.upload_id, "", "Azure's uploads have no id");
    journal.parts.into_iter().map(|p| p.etag).collect()
}

#[tokio::test]
async fn a_resumed_upload_puts_no_journaled_block_again() {
    let Some(azurite) = azurite() else { return };
    let container = azurite.container("resume");
    let dir = tempfile::tempdir().unwrap();
    // 8 blocks of 5 MiB.
    let file = write(dir.path(), "one.bin", &data(40 * MIB, 3));
    let dest = Destination::Bucket(azurite.destination(&container, "r"));

    let first = Recorder::default();
    let done = interrupted(&uploader(&first), &file, &dest, 3).await;
    assert!((3..8).contains(&done.len()), "{done:?}");
    assert_eq!(first.count("PutBlockList"), 0);
    assert_eq!(journals(dir.path()).len(), 1);
    assert!(
        azurite.keys(&container).await.is_empty(),
        "nothing committed"
    );

    let second = Recorder::default();
    let report = uploader(&second)
        .upload(std::slice::from_ref(&file), &dest, |_| {})
        .await
        .unwrap();
    assert_eq!(report.parts_skipped as usize, done.len());
    assert_eq!(report.parts_sent as usize, 8 - done.len());
    assert_eq!(second.count("PutBlock"), 8 - done.len());
    assert_eq!(second.count("PutBlockList"), 1);
    // The journal names blocks the first run put; the list the second
    // commits names them (else the bytes below would not be whole).
    let put: Vec<_> = (first.seen.lock().unwrap().iter())
        .filter_map(|s| s.block.clone())
        .collect();
    assert!(done.iter().all(|b| put.contains(b)), "{done:?} {put:?}");
    assert_eq!(
        azurite.read(&container, "r/one.bin").await,
        data(40 * MIB, 3)
    );
    assert!(journals(dir.path()).is_empty());
}

#[tokio::test]
async fn a_finished_upload_run_again_is_skipped() {
    let Some(azurite) = azurite() else { return };
    let container = azurite.container("rerun");
    let dir = tempfile::tempdir().unwrap();
    let big = write(dir.path(), "big.bin", &data(11 * MIB, 7));
    let small = write(dir.path(), "small.bin", b"abc");
    let dest = Destination::Bucket(azurite.destination(&container, ""));
    let sources = [big, small];
    uploader(&Recorder::default())
        .upload(&sources, &dest, |_| {})
        .await
        .unwrap();

    let recorder = Recorder::default();
    let report = uploader(&recorder)
        .upload(&sources, &dest, |_| {})
        .await
        .unwrap();
    assert!(report.files.iter().all(|f| f.skipped));
    assert_eq!((report.parts_sent, report.parts_skipped), (0, 4));
    assert_eq!(recorder.ops(), [("HEAD", 2)].into_iter().collect());
    assert_eq!(azurite.read(&container, "big.bin").await, data(11 * MIB, 7));
}

/// A wrong account key: Azure's 403 on the first request (the HEAD), the
/// credentials refused, with no key in its text and nothing written.
#[tokio::test]
async fn a_wrong_key_fails_without_showing_it() {
    let Some(azurite) = azurite() else { return };
    let container = azurite.container("wrong-key");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.bin", b"payload");
    let wrong = "V1JPTkdXUk9OR1dST05HV1JPTkdXUk9OR1dST05HV1JPTkc=";
    let dest = azurite
        .destination(&container, "")
        .with_setting("AZURE_STORAGE_ACCOUNT_KEY", wrong);
    let err = Uploader::builder()
        .retries(0)
        .build()
        .upload(&[file], &Destination::Bucket(dest), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, UploadError::CredentialsRefused { key, part: None, partly_written: false, .. } if key == "f.bin"),
        "{err:?}"
    );
    assert!(err.to_string().contains("403 Forbidden"), "{err}");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(wrong), "{shown}");
        assert!(!shown.contains(harness::ACCOUNT_KEY), "{shown}");
    }
    assert!(azurite.keys(&container).await.is_empty());
}
