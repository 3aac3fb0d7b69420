//! The uploader against a real S3-compatible server with temporary
//! credentials: moto 5.2.5 with STS and authentication on, started by
//! `upload/tests/moto/ci.sh` (`upload/tests/moto/ci.sh` alone runs this
//! file). Without moto, outside CI, each test says it skipped.

#[path = "moto/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness::{Mode, MotoGrants, Recorder, data, moto, now, s3_error};
use zilliz_import_upload::journal::{self, JOURNAL_SUFFIX};
use zilliz_import_upload::{Destination, Progress, UploadError, Uploader};

const MIB: usize = 1 << 20;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn volume(grants: &Arc<MotoGrants>, path: &str) -> Destination {
    Destination::Volume {
        grants: grants.clone(),
        path: path.to_owned(),
    }
}

fn uploader(recorder: &Recorder) -> Uploader {
    Uploader::builder()
        .concurrency(3)
        .http_connector(recorder.connector())
        .build()
}

fn journals(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(JOURNAL_SUFFIX) {
            found.push(path);
        }
    }
    found
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

/// Runs an upload and drops it (as a kill would stop it) once `after`
/// parts are journaled; answers the parts the journals hold, by file name.
async fn interrupted(
    up: &Uploader,
    sources: &[PathBuf],
    dest: &Destination,
    after: usize,
) -> Vec<(String, usize)> {
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
    let mut done = Vec::new();
    for source in sources {
        let name = source.file_name().unwrap().to_string_lossy().into_owned();
        for part in journal::load(&journal::journal_path(source)).map_or(vec![], |j| j.parts) {
            done.push((name.clone(), part.index));
        }
    }
    done
}

#[tokio::test]
async fn a_resumed_upload_sends_no_completed_part_again() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("resume");
    let dir = tempfile::tempdir().unwrap();
    // 8 + 6 parts of 5 MiB.
    let one = write(dir.path(), "one.bin", &data(40 * MIB, 3));
    let two = write(dir.path(), "two.bin", &data(28 * MIB, 4));
    let sources = [one.clone(), two.clone()];
    let grants = Arc::new(MotoGrants::new(&moto, &bucket, Mode::Sts));
    let dest = volume(&grants, "resume");

    let first = Recorder::default();
    let done = interrupted(&uploader(&first), &sources, &dest, 7).await;
    let journaled = done.len();
    assert!(journaled >= 7, "{journaled}");
    assert_eq!(journals(dir.path()).len(), 2);

    let second = Recorder::default();
    let report = uploader(&second)
        .upload(&sources, &dest, |_| {})
        .await
        .unwrap();
    assert_eq!(report.parts_skipped as usize, journaled);
    assert_eq!(report.parts_sent as usize, 14 - journaled);
    assert_eq!(second.count("UploadPart"), 14 - journaled);
    assert_eq!(second.count("Create"), 0, "the same uploads go on");
    for seen in second.seen.lock().unwrap().iter() {
        if let Some(part) = seen.part {
            let name = seen.path.rsplit('/').next().unwrap().to_owned();
            assert!(!done.contains(&(name, part)), "{seen:?} was sent again");
        }
    }
    let done: Vec<_> = [&one, &two]
        .iter()
        .map(|s| journal::load(&journal::journal_path(s)))
        .collect();
    assert!(
        done.iter().all(Option::is_none),
        "journals go once complete"
    );
    assert_eq!(
        moto.read(&bucket, "volume-prefix/resume/one.bin").await,
        data(40 * MIB, 3)
    );
    assert_eq!(
        moto.read(&bucket, "volume-prefix/resume/two.bin").await,
        data(28 * MIB, 4)
    );
    assert!(journals(dir.path()).is_empty());
}

#[tokio::test]
async fn a_changed_source_starts_its_upload_over() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("changed");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.bin", &data(20 * MIB, 5));
    let grants = Arc::new(MotoGrants::new(&moto, &bucket, Mode::Sts));
    let dest = volume(&grants, "changed");
    let done = interrupted(&uploader(&Recorder::default()), &[file.clone()], &dest, 2).await;
    assert!(done.len() >= 2);

    // Same size, new bytes and mtime.
    std::fs::write(&file, data(20 * MIB, 6)).unwrap();
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();

    let recorder = Recorder::default();
    let report = uploader(&recorder)
        .upload(&[file], &dest, |_| {})
        .await
        .unwrap();
    assert_eq!((report.parts_sent, report.parts_skipped), (4, 0));
    assert_eq!(recorder.count("Create"), 1);
    assert_eq!(
        moto.read(&bucket, "volume-prefix/changed/f.bin").await,
        data(20 * MIB, 6)
    );
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
        .upload(&[file.clone()], &volume(&grants, "bad"), |_| {})
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

/// The child of [`a_sigkill_at_half_way_loses_no_journaled_part`]: uploads
/// the file it is given until it is killed.
#[tokio::test]
async fn sigkill_child() {
    let Ok(spec) = std::env::var("ZI_UPLOAD_SIGKILL_CHILD") else {
        return;
    };
    let moto = moto().expect("moto");
    let (bucket, file) = spec.split_once('|').unwrap();
    let grants = Arc::new(MotoGrants::new(&moto, bucket, Mode::Sts));
    let report = Uploader::builder()
        .concurrency(2)
        .build()
        .upload(&[PathBuf::from(file)], &volume(&grants, "kill"), |_| {})
        .await;
    panic!("the child should have been killed first: {report:?}");
}

#[tokio::test]
async fn a_sigkill_at_half_way_loses_no_journaled_part() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("sigkill");
    let dir = tempfile::tempdir().unwrap();
    // 16 parts of 5 MiB.
    let file = write(dir.path(), "f.bin", &data(80 * MIB, 13));
    let journal_path = journal::journal_path(&file);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            "ZI_UPLOAD_SIGKILL_CHILD",
            format!("{bucket}|{}", file.display()),
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL: no clean-up of any kind) once half the parts are
    // journaled.
    loop {
        if journal::load(&journal_path).is_some_and(|j| j.parts.len() >= 8) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended on its own: {status}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done: Vec<usize> = journal::load(&journal_path)
        .expect("the journal survives a SIGKILL")
        .parts
        .iter()
        .map(|p| p.index)
        .collect();
    assert!(done.len() >= 8 && done.len() < 16, "{done:?}");

    let grants = Arc::new(MotoGrants::new(&moto, &bucket, Mode::Sts));
    let recorder = Recorder::default();
    let report = uploader(&recorder)
        .upload(&[file], &volume(&grants, "kill"), |_| {})
        .await
        .unwrap();
    assert_eq!(report.parts_skipped as usize, done.len());
    assert_eq!(recorder.count("UploadPart"), 16 - done.len());
    assert_eq!(recorder.count("Create"), 0);
    for seen in recorder.seen.lock().unwrap().iter() {
        assert!(
            !seen.part.is_some_and(|p| done.contains(&p)),
            "{seen:?} sent again"
        );
    }
    assert_eq!(
        moto.read(&bucket, "volume-prefix/kill/f.bin").await,
        data(80 * MIB, 13)
    );
    assert!(!journal_path.exists());
}

#[tokio::test]
async fn throttling_is_sent_again_and_another_4xx_stops_the_file_typed() {
    let Some(moto) = moto() else { return };
    let bucket = moto.bucket("faults");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f.bin", &data(15 * MIB, 14));
    let grants = Arc::new(MotoGrants::new(&moto, &bucket, Mode::Sts));
    let dest = volume(&grants, "faults");

    let recorder = Recorder::default();
    recorder.inject(|seen, nth| {
        (seen.op == "UploadPart" && nth < 2).then(|| s3_error(503, "SlowDown", ""))
    });
    let report = uploader(&recorder)
        .upload(&[file.clone()], &dest, |_| {})
        .await
        .unwrap();
    assert_eq!(report.parts_sent, 3);
    assert_eq!(recorder.count("UploadPart"), 5);
    assert_eq!(grants.applies(), 1);

    let other = write(dir.path(), "g.bin", &data(15 * MIB, 15));
    let recorder = Recorder::default();
    recorder.inject(|seen, _| {
        (seen.op == "UploadPart" && seen.part == Some(1))
            .then(|| s3_error(400, "InvalidArgument", ""))
    });
    let err = uploader(&recorder)
        .upload(&[other.clone()], &dest, |_| {})
        .await
        .unwrap_err();
    let UploadError::Store {
        ref file,
        ref key,
        part,
        operation,
        transient,
        partly_written,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (
            file,
            key.as_str(),
            part,
            operation,
            transient,
            partly_written
        ),
        (
            &other,
            "volume-prefix/faults/g.bin",
            Some(1),
            "UploadPart",
            false,
            true
        )
    );
    assert!(err.partly_written());
    assert!(err.to_string().contains("(part 2)"), "{err}");
    let part_1 = recorder
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.part == Some(1))
        .count();
    assert_eq!(part_1, 1, "a 400 is not sent again");
    assert!(journal::journal_path(&other).exists());
}
