//! Interrupted uploads: dropped, SIGKILLed, failed; and what the next call
//! sends.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::harness::{Mode, MotoGrants, Recorder, moto, s3_error};
use crate::server_tests::{journals, upload_dropped_after, write};
use crate::test_data::data;
use crate::{MIB, uploader, volume};
use zilliz_import_upload::journal;
use zilliz_import_upload::{Destination, UploadError, Uploader};

/// Runs an upload and drops it (as a kill would stop it) once `after`
/// parts are journaled; answers the parts the journals hold, by file name.
async fn interrupted(
    up: &Uploader,
    sources: &[PathBuf],
    dest: &Destination,
    after: usize,
) -> Vec<(String, usize)> {
    upload_dropped_after(up, sources, dest, after).await;
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
    for path in journals(dir.path()) {
        let text = std::fs::read_to_string(&path).unwrap();
        for secret in grants.secrets.lock().unwrap().iter() {
            assert!(
                !text.contains(secret.as_str()),
                "a secret in {}",
                path.display()
            );
        }
    }

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
    let done = interrupted(
        &uploader(&Recorder::default()),
        std::slice::from_ref(&file),
        &dest,
        2,
    )
    .await;
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
    assert_eq!(recorder.count("Abort"), 1, "the stale upload is aborted");
    assert_eq!(
        moto.read(&bucket, "volume-prefix/changed/f.bin").await,
        data(20 * MIB, 6)
    );
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
            "resume::sigkill_child",
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
        .upload(std::slice::from_ref(&file), &dest, |_| {})
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
        .upload(std::slice::from_ref(&other), &dest, |_| {})
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
