//! Volume credentials: renewed before they expire and when refused; a
//! token refused for good.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::{Mode, MotoGrants, Recorder, moto, now, s3_error};
use crate::server_tests::write;
use crate::test_data::data;
use crate::{MIB, uploader, volume};
use zilliz_import_upload::{Progress, UploadError, Uploader};

fn manual_clock() -> (
    Arc<Mutex<std::time::SystemTime>>,
    zilliz_import_upload::Clock,
) {
    let time = Arc::new(Mutex::new(now()));
    let read = time.clone();
    (time, Arc::new(move || *read.lock().unwrap()))
}

#[tokio::test]
async fn credentials_near_their_expiry_are_renewed_mid_upload() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("expiry");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.bin", &data(30 * MIB, 8));
    let (time, clock) = manual_clock();
    let mut grants = MotoGrants::new(&moto, &bucket, Mode::Sts);
    grants.lifetime = Some((time.clone(), Duration::from_secs(3600)));
    let grants = Arc::new(grants);
    let recorder = Recorder::default();
    let up = Uploader::builder()
        .concurrency(1)
        .clock(clock)
        .http_connector(recorder.connector())
        .build();

    let sent = AtomicUsize::new(0);
    let report = up
        .upload(&[file], &volume(&grants, "expiry"), |p| {
            if let Progress::PartSent { .. } = p
                && sent.fetch_add(1, Ordering::SeqCst) + 1 == 3
            {
                // 4 min 59 s before expiry: inside the 300 s margin.
                *time.lock().unwrap() += Duration::from_secs(3600 - 299);
            }
        })
        .await
        .unwrap();

    assert_eq!(report.parts_sent, 6);
    assert_eq!(grants.applies(), 2);
    let seen = recorder.seen.lock().unwrap().clone();
    let parts: Vec<_> = seen.iter().filter(|s| s.op == "UploadPart").collect();
    assert_ne!(parts[0].key_id, parts[5].key_id);
    assert!(parts[..3].iter().all(|s| s.key_id == parts[0].key_id));
    assert!(parts[3..].iter().all(|s| s.key_id == parts[5].key_id));
    assert_eq!(
        moto.read(&bucket, "volume-prefix/expiry/f.bin").await,
        data(30 * MIB, 8)
    );
}

#[tokio::test]
async fn a_part_refused_for_an_expired_token_is_sent_again_with_new_credentials() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("expired");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.bin", &data(20 * MIB, 9));
    let grants = Arc::new(MotoGrants::new(&moto, &bucket, Mode::Sts));
    let recorder = Recorder::default();
    // What S3 answers once STS credentials ran out (moto does not check
    // expiry): 400 ExpiredToken, echoing the token.
    recorder.inject(|seen, nth| {
        (seen.op == "UploadPart" && nth == 2)
            .then(|| s3_error(400, "ExpiredToken", "<Token-0>ECHOED-TOKEN</Token-0>"))
    });
    let report = uploader(&recorder)
        .upload(&[file], &volume(&grants, "expired"), |_| {})
        .await
        .unwrap();
    assert_eq!(report.parts_sent, 4);
    assert_eq!(recorder.count("UploadPart"), 5);
    assert_eq!(grants.applies(), 2);
    assert_eq!(
        moto.read(&bucket, "volume-prefix/expired/f.bin").await,
        data(20 * MIB, 9)
    );
}

#[tokio::test]
async fn a_refused_session_token_fails_typed_and_shows_no_secret() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("badtoken");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.bin", &data(MIB, 10));
    let grants = Arc::new(MotoGrants::new(&moto, &bucket, Mode::BadToken));
    let recorder = Recorder::default();
    let err = uploader(&recorder)
        .upload(std::slice::from_ref(&file), &volume(&grants, "bad"), |_| {})
        .await
        .unwrap_err();
    let UploadError::CredentialsRefused {
        file: ref failed,
        ref key,
        part,
        ref message,
        partly_written,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (failed, key.as_str(), part, partly_written),
        (&file, "volume-prefix/bad/f.bin", None, false)
    );
    // moto's real answer to a token not its own: 400 InvalidToken (a HEAD
    // answer has no body, so only the status shows). Renewed once, refused
    // again.
    assert!(message.contains("400 Bad Request"), "{message}");
    assert_eq!(grants.applies(), 2);
    assert_eq!(recorder.ops(), [("HEAD", 2)].into_iter().collect());
    let shown = format!("{err} {err:?}");
    for secret in grants.secrets.lock().unwrap().iter() {
        assert!(!shown.contains(secret.as_str()), "a secret in {shown}");
    }
}
