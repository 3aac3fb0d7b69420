//! The uploader against a real S3-compatible server with temporary
//! credentials: moto 5.2.5 with STS and authentication on, started by
//! `upload/tests/moto/ci.sh` (`upload/tests/moto/ci.sh` alone runs this
//! file). Without moto, outside CI, each test says it skipped.

#[path = "moto/credentials.rs"]
mod credentials;
#[path = "moto/harness.rs"]
mod harness;
#[path = "common/recording.rs"]
mod recording;
#[path = "moto/resume.rs"]
mod resume;
#[path = "common/server_tests.rs"]
mod server_tests;
#[path = "common/test_data.rs"]
mod test_data;

use std::sync::Arc;

use harness::{Mode, MotoGrants, Recorder, moto};
use server_tests::{journals, write};
use test_data::data;
use zilliz_import_upload::{Destination, UploadError, Uploader};

pub(crate) const MIB: usize = 1 << 20;

pub(crate) fn volume(grants: &Arc<MotoGrants>, path: &str) -> Destination {
    Destination::Volume {
        grants: grants.clone(),
        path: path.to_owned(),
    }
}

pub(crate) fn uploader(recorder: &Recorder) -> Uploader {
    Uploader::builder()
        .concurrency(3)
        .http_connector(recorder.connector())
        .build()
}

#[tokio::test]
async fn files_and_a_folder_land_on_their_keys() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("files-and-folder");
    let dir = tempfile::tempdir().unwrap();
    let big = data(12 * MIB + 3, 1);
    let a = write(dir.path(), "a.bin", &big);
    let small = write(dir.path(), "small.txt", b"one small file");
    let folder = dir.path().join("folder");
    write(&folder, "x/y.bin", &data(6 * MIB, 2));
    write(&folder, "z.txt", b"z");
    let grants = Arc::new(MotoGrants::new(&moto, &bucket, Mode::Sts));
    let recorder = Recorder::default();

    let report = uploader(&recorder)
        .upload(
            &[a.clone(), small, folder],
            &volume(&grants, "/bulk/run1"),
            |_| {},
        )
        .await
        .unwrap();

    let keys: Vec<_> = report.files.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "volume-prefix/bulk/run1/a.bin",
            "volume-prefix/bulk/run1/small.txt",
            "volume-prefix/bulk/run1/x/y.bin",
            "volume-prefix/bulk/run1/z.txt",
        ]
    );
    assert_eq!(moto.keys(&bucket).await, keys);
    assert_eq!(moto.read(&bucket, keys[0]).await, big);
    assert_eq!(moto.read(&bucket, keys[1]).await, b"one small file");
    assert_eq!(moto.read(&bucket, keys[2]).await, data(6 * MIB, 2));
    assert_eq!(moto.read(&bucket, keys[3]).await, b"z");
    // 3 + 2 parts of 5 MiB, two single PUTs.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["bytes"], 12 * MIB + 3 + 14 + 6 * MIB + 1);
    assert_eq!(json["partsSent"], 7);
    assert_eq!(json["partsSkipped"], 0);
    assert_eq!(json["files"][0]["partsSent"], 3);
    assert_eq!(json["files"][0]["skipped"], false);
    assert_eq!(recorder.count("UploadPart"), 5);
    assert_eq!(recorder.count("PUT"), 2);
    assert_eq!(recorder.count("Create"), 2);
    assert_eq!(recorder.count("Complete"), 2);
    assert_eq!(grants.applies(), 1);
    assert_eq!(*grants.paths.lock().unwrap(), ["bulk/run1/"]);
    assert!(journals(dir.path()).is_empty());
}

#[tokio::test]
async fn an_object_there_with_the_same_size_is_skipped() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("skip");
    let dir = tempfile::tempdir().unwrap();
    let big = write(dir.path(), "big.bin", &data(11 * MIB, 7));
    let small = write(dir.path(), "small.bin", b"abc");
    let grants = Arc::new(MotoGrants::new(&moto, &bucket, Mode::Sts));
    let dest = volume(&grants, "skip");
    uploader(&Recorder::default())
        .upload(&[big.clone(), small.clone()], &dest, |_| {})
        .await
        .unwrap();
    std::fs::write(&small, b"abcd").unwrap();

    let recorder = Recorder::default();
    let report = uploader(&recorder)
        .upload(&[big, small], &dest, |_| {})
        .await
        .unwrap();
    assert!(report.files[0].skipped);
    assert_eq!(report.files[0].parts_skipped, 3);
    assert!(!report.files[1].skipped, "a different size is sent again");
    assert_eq!(report.parts_sent, 1);
    assert_eq!(
        recorder.ops(),
        [("HEAD", 2), ("PUT", 1)].into_iter().collect()
    );
    assert_eq!(
        moto.read(&bucket, "volume-prefix/skip/small.bin").await,
        b"abcd"
    );
}

#[tokio::test]
async fn a_quota_that_would_be_passed_sends_nothing() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("quota");
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.bin", &data(6 * MIB, 11));
    let b = write(dir.path(), "b.bin", b"bb");
    let mut grants = MotoGrants::new(&moto, &bucket, Mode::Sts);
    grants.max_content_length = Some(6 * MIB as u64 + 1);
    let grants = Arc::new(grants);
    let recorder = Recorder::default();
    let err = uploader(&recorder)
        .upload(&[a.clone(), b.clone()], &volume(&grants, "q"), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::QuotaExceeded { files: 2, bytes, max_content_length: Some(m), max_file_number: None }
                if bytes == 6 * MIB as u64 + 2 && m == 6 * MIB as u64 + 1
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("pay-as-you-go"), "{err}");
    assert_eq!(recorder.total(), 0);

    let mut grants = MotoGrants::new(&moto, &bucket, Mode::Sts);
    grants.max_file_number = Some(1);
    let err = uploader(&recorder)
        .upload(&[a, b], &volume(&Arc::new(grants), "q"), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::QuotaExceeded {
                max_file_number: Some(1),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(recorder.total(), 0);
    assert!(moto.keys(&bucket).await.is_empty());
}

#[tokio::test]
async fn a_bucket_with_keys_from_aws_variables() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("bucket-dest");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.bin", &data(7 * MIB, 12));
    let (key, secret, token) = moto.assume();
    let vars = |name: &str| match name {
        "AWS_ACCESS_KEY_ID" => Some(key.clone()),
        "AWS_SECRET_ACCESS_KEY" => Some(secret.clone()),
        "AWS_SESSION_TOKEN" => Some(token.clone()),
        "AWS_ENDPOINT_URL" => Some(moto.url.clone()),
        _ => None,
    };
    let dest = zilliz_import_upload::BucketDestination::parse(&format!("s3://{bucket}/in/here"))
        .unwrap()
        .with_vars(vars);
    // SigV4 with the payload's SHA-256 signed, the other way of checking
    // the bytes.
    let up = Uploader::builder().signed_payload(true).build();
    let report = up
        .upload(&[file], &Destination::Bucket(dest), |_| {})
        .await
        .unwrap();
    assert_eq!(report.files[0].key, "in/here/f.bin");
    assert_eq!(report.parts_sent, 2);
    assert_eq!(moto.read(&bucket, "in/here/f.bin").await, data(7 * MIB, 12));
}
