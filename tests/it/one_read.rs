//! A create's 200 without a retry ahead of it, with a `Content-Length`
//! within the limit, goes to progenitor unread: progenitor reads it once
//! (src/hooks.rs). What such an answer comes to must be what it was when
//! the hooks read every body: a success that lacks its job id, or a code
//! that is no number, is a `Decode` error whose excerpt is the body as
//! sent; an error code is the API error; the request id is kept; nothing is
//! sent twice. The bounds (a `Content-Length` over the limit, a chunked body
//! past it) and a connection lost mid-answer are in `faults.rs`.
//!
//! Run: `cargo test --all-features --test it one_read::`

use std::time::Duration;

use serde_json::json;
use zilliz_import::{
    Client, CreateImportJob, CreatedImportJob, Delivery, Error, ErrorKind, RetryPolicy,
};

use crate::common::{
    ACCESS_KEY, API_KEY, CLUSTER, COLLECTION, OBJECT_URL, PRESIGNED_QUERY, SECRET_KEY, SENTINELS,
    SESSION_TOKEN,
    faulty_server::{Fault, FaultyServer},
};

const REQUEST_ID: &str = "req-one-read";

fn client(url: &str) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(url)
        .attempt_timeout(Duration::from_secs(5))
        .retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .expect("a valid configuration")
}

/// A create without a key against one 200 of `body` (with a
/// Content-Length and a request id); the outcome, after checking that it
/// took one request.
async fn create(body: &str) -> Result<CreatedImportJob, Error> {
    let fault = Fault::text(200, "application/json", body, &[("requestid", REQUEST_ID)]);
    let server = FaultyServer::start(vec![fault]).await;
    let outcome = client(server.url())
        .create_import_job(CreateImportJob::new(CLUSTER, COLLECTION, OBJECT_URL))
        .await;
    assert_eq!(server.requests_received(), 1, "{body}");
    outcome
}

#[tokio::test]
async fn a_200_that_is_no_complete_success_is_a_decode_error_with_the_body() {
    for body in [
        r#"{"code":0}"#,
        r#"{"code":0,"data":null}"#,
        r#"{"code":0,"data":{}}"#,
        r#"{"code":200,"data":{"jobId":null}}"#,
        r#"{"code":0,"data":{"jobId":7}}"#,
        r#"{"code":"zero","data":{"jobId":"1"}}"#,
        r#"{"code":"","data":{"jobId":"1"}}"#,
        r#"{"code":0.0,"data":{"jobId":"1"}}"#,
        r#"{"code":"9223372036854775808","data":{"jobId":"1"}}"#,
        r#"{"data":{"jobId":"1"}}"#,
        r#"{"code":0,"data":{"jobId":"1"}"#,
        "",
    ] {
        let e = create(body).await.expect_err(body);
        match e.kind() {
            ErrorKind::Decode { excerpt, .. } => assert_eq!(excerpt, body),
            other => panic!("{body}: expected Decode, got {other:?}"),
        }
        assert_eq!(
            (e.status(), e.request_id(), e.attempts(), e.delivery()),
            (Some(200), Some(REQUEST_ID), 1, Delivery::Received),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_error_code_in_a_200_is_the_api_error() {
    for body in [
        json!({"code": 96026, "message": "job not found"}),
        json!({"code": 96026, "message": "job not found", "data": {}}),
        json!({"code": 96026, "message": "job not found", "data": "none"}),
        json!({"code": "96026", "message": "job not found"}),
        json!({"code": " 96026 ", "message": "job not found", "data": {"jobId": "1"}}),
    ] {
        let e = create(&body.to_string()).await.expect_err("an error");
        match e.kind() {
            ErrorKind::Api { code, message, .. } => {
                assert_eq!(
                    (*code, message.as_str()),
                    (96026, "job not found"),
                    "{body}"
                )
            }
            other => panic!("{body}: expected Api, got {other:?}"),
        }
        assert_eq!(
            (e.status(), e.request_id(), e.attempts()),
            (Some(200), Some(REQUEST_ID), 1),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_success_is_read_once_whatever_its_code_looks_like() {
    for (body, job_id) in [
        (r#"{"code":0,"data":{"jobId":"a"}}"#, "a"),
        (
            r#"{"code":200,"message":"","data":{"jobId":"b","extra":1}}"#,
            "b",
        ),
        (r#"{"code":"0","data":{"jobId":"c"}}"#, "c"),
        (r#"{"code":" 200 ","data":{"jobId":"d"}}"#, "d"),
        (r#"{"code":"+0","data":{"jobId":"e"}}"#, "e"),
    ] {
        let created = create(body).await.expect(body);
        assert_eq!(created.job_id, job_id);
        assert_eq!(created.request_id.as_deref(), Some(REQUEST_ID));
    }
}

/// A 200 read only by progenitor that echoes the request's secrets and
/// fails to decode: its excerpt is scrubbed as the hooks' reads are.
#[tokio::test]
async fn an_echo_in_a_200_that_does_not_decode_shows_no_secret() {
    let presigned = format!("https://b/a.json?{PRESIGNED_QUERY}");
    let body =
        json!({"code": 0, "data": {"jobId": 7}, "echo": SENTINELS, "url": presigned}).to_string();
    let fault = Fault::text(200, "application/json", &body, &[]);
    let server = FaultyServer::start(vec![fault]).await;
    let e = client(server.url())
        .create_import_job(
            CreateImportJob::new(CLUSTER, COLLECTION, &presigned)
                .storage_credentials(ACCESS_KEY, SECRET_KEY)
                .session_token(SESSION_TOKEN),
        )
        .await
        .unwrap_err();
    assert_eq!(server.requests_received(), 1);
    let ErrorKind::Decode { excerpt, .. } = e.kind() else {
        panic!("expected Decode, got {e:?}");
    };
    assert!(excerpt.contains("<redacted>"), "{excerpt}");
    for shown in [excerpt.clone(), e.to_string(), format!("{e:?}")] {
        for secret in SENTINELS {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

/// With an idempotency key a create is repeatable: its answer is read by
/// the hooks, so a connection lost mid-answer is retried, to the last
/// attempt.
#[tokio::test]
async fn a_create_with_a_key_is_still_read_within_the_attempt() {
    let server = FaultyServer::start(vec![Fault::CloseMidBody]).await;
    let e = client(server.url())
        .create_import_job(
            CreateImportJob::new(CLUSTER, COLLECTION, OBJECT_URL).idempotency_key("k-1"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport), "{e:?}");
    assert_eq!(e.attempts(), 3);
    assert_eq!(server.requests_received(), 3);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("idempotency-key") == Some("k-1"))
    );
}
