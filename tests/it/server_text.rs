//! What the crate decides on server text, and what it shows of it (issue
//! 19, points 9, 10 and 13): a job's state and whether it was aborted are
//! read from the text as the server sent it; what callers and the CLI see
//! has invisible format characters (Unicode Cf) escaped like control
//! characters, and echoes of a secret removed in the forms the README lists.
//! The scrubber's forms are unit-tested in `src/redact.rs`; what the binary
//! prints of the same answers is checked in `cli/tests/it/server_text.rs`.

use std::time::Duration;

use crate::common::{
    faulty_server::{Fault, FaultyServer},
    *,
};
use serde_json::json;
use zilliz_import::{ImportState, ListImportJobs, Target, WaitError, WaitOptions};

/// Quick polls and a short deadline, for waits that must not end well.
fn quick(timeout: Duration) -> WaitOptions {
    WaitOptions::default()
        .interval(Duration::from_millis(1), Duration::from_millis(4))
        .deadline(timeout)
}

// ------------------------------------------------------------------ point 10

/// A zero-width space in a job id, a state and a reason, a soft hyphen, a
/// word joiner and a BOM elsewhere: escaped in everything shown, and
/// `Com\u{200B}pleted` is not `Completed`, so the wait goes on to its end.
#[tokio::test]
async fn invisible_characters_are_escaped_and_no_state_is_read_through_them() {
    let server = FaultyServer::start(vec![invisible_characters()]).await;
    let c = client(server.url());
    let p = c
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();
    assert_eq!(p.job_id, "4487\\u{200b}07");
    assert_eq!(p.state, ImportState::Other("Com\\u{200b}pleted".into()));
    assert!(!p.state.is_terminal());
    assert_eq!(p.reason.as_deref(), Some("disk\\u{ad}full"));
    assert_eq!(p.collection_name.as_deref(), Some("a\\u{2060}b\\u{feff}"));

    let e = c
        .wait_for_import_job(
            &Target::cluster(CLUSTER),
            JOB_ID,
            quick(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, WaitError::TimedOut { .. }), "{e:?}");
}

/// The list's states are read the same way, and shown escaped.
#[tokio::test]
async fn a_listed_state_with_an_invisible_character_is_not_a_known_state() {
    let server = FaultyServer::start(vec![Fault::json(
        200,
        &ok(json!({"count": 1, "currentPage": 1, "pageSize": 10, "records": [
            {"jobId": "1\u{200B}2", "collectionName": "c", "state": "Fail\u{AD}ed", "progress": 5},
        ]})),
        &[],
    )])
    .await;
    let page = client(server.url())
        .list_import_jobs(&ListImportJobs::new(CLUSTER))
        .await
        .unwrap();
    assert_eq!(page.records[0].job_id, "1\\u{200b}2");
    assert_eq!(
        page.records[0].state,
        ImportState::Other("Fail\\u{ad}ed".into())
    );
}

// ------------------------------------------------------------------ point 13

/// The reason of an aborted job with spaces and a tab around it, in any
/// case: an abort, however the escaped reason then reads (`\u{9}`).
#[tokio::test]
async fn an_abort_is_classified_on_the_reason_the_server_sent() {
    let reason = " ABORTED BY USER\t";
    let server = FaultyServer::start(vec![describe_with(
        json!({"state": "Failed", "reason": reason}),
    )])
    .await;
    let p = client(server.url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();
    assert_eq!(p.reason.as_deref(), Some(" ABORTED BY USER\\u{9}"));
    assert!(p.is_aborted());
    let e = client(server.url())
        .wait_for_import_job(
            &Target::cluster(CLUSTER),
            JOB_ID,
            quick(Duration::from_secs(30)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, WaitError::Aborted { .. }), "{e:?}");
}

/// An abort refused because the job is already aborted is the success it
/// is, when describe's reason carries white space around it too.
#[tokio::test]
async fn an_abort_refused_after_an_abort_with_a_padded_reason_is_settled() {
    let server = FaultyServer::start(vec![
        Fault::json(
            200,
            &json!({"code": 2100, "message": "job is not uncommitted"}),
            &[],
        ),
        describe_with(json!({"state": "Failed", "reason": "\naborted by user \r\n"})),
    ])
    .await;
    let settled = client(server.url())
        .abort_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap();
    assert_eq!(settled.already, Some(ImportState::Failed));
    assert_eq!(server.requests_received(), 2);
}

/// A failure whose reason only mentions an abort stays a failure.
#[tokio::test]
async fn a_reason_that_only_contains_the_abort_text_is_a_failure() {
    let server = FaultyServer::start(vec![describe_with(
        json!({"state": "Failed", "reason": "not aborted by user: disk full"}),
    )])
    .await;
    let e = client(server.url())
        .wait_for_import_job(
            &Target::cluster(CLUSTER),
            JOB_ID,
            quick(Duration::from_secs(30)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, WaitError::JobFailed { .. }), "{e:?}");
}

// ------------------------------------------------------------------- point 9

/// A server's message echoing the API key as Go's `%x` prints it, and with
/// a zero-width space and a soft hyphen inside it (which a screen shows as
/// the key itself): every echo removed, in the error and on the CLI.
#[tokio::test]
async fn echoes_of_the_key_in_hex_or_broken_by_invisible_characters_are_scrubbed() {
    let server = FaultyServer::start(vec![key_echoes_in_hex_and_broken()]).await;
    let e = client(server.url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    let (code, shown, ..) = api_fields(&e);
    assert_eq!(code, 80001);
    assert_eq!(
        shown,
        "bad key <redacted> / <redacted> / <redacted> / <redacted>"
    );
}
