//! Fault injection: what the client does when the network or the server
//! misbehaves, and above all how many times a create reaches the server.
//!
//! Every test runs against `common/faulty_server.rs`, a raw-TCP loopback
//! server that plays one scripted fault per request and counts complete
//! requests. The rule under test (src/retry.rs): a create without an
//! idempotency key is sent again only when the server cannot have started
//! the import (no connection, or HTTP 429); describe is sent again after any
//! transient failure, up to `max_attempts` (3 by default).
//!
//! The tests that measure a wait run on tokio's paused clock, with the
//! server on the same runtime: a wait lasts exactly what the timers say.
//!
//! Run: `cargo test --no-default-features --test it faults::`

use std::time::Duration;

use tokio::time::Instant;

use crate::common::faulty_server::{
    Fault, FaultyServer, HTML_502, MID_BODY_SENT, TRUNCATED_JSON, refused_url,
};
use crate::common::{
    API_KEY, CLUSTER, COLLECTION, CREATE_PATH, DESCRIBE_PATH, JOB_ID, OBJECT_URL, assert_decode,
    assert_http, assert_took, uuid_regex,
};
use zilliz_import::ErrorKind;
use zilliz_import::Target;
use zilliz_import::{
    Client, CreateImportJob, CreatedImportJob, DEFAULT_MAX_RESPONSE_BYTES, Delivery, Error,
    ImportProgress, ImportState, RetryPolicy,
};

const TIMEOUT: Duration = Duration::from_millis(500);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn policy() -> RetryPolicy {
    RetryPolicy::default().with_backoff(ms(1), ms(5))
}

fn client_with(url: &str, policy: RetryPolicy, max_response_bytes: Option<usize>) -> Client {
    let mut b = Client::builder()
        .api_key(API_KEY)
        .base_url(url)
        .attempt_timeout(TIMEOUT)
        .retry(policy);
    if let Some(limit) = max_response_bytes {
        b = b.max_response_bytes(limit);
    }
    b.build().expect("a valid configuration")
}

fn client(url: &str) -> Client {
    client_with(url, policy(), None)
}

fn job() -> CreateImportJob {
    CreateImportJob::new(CLUSTER, COLLECTION, OBJECT_URL)
}

async fn create(url: &str) -> Result<CreatedImportJob, Error> {
    client(url).create_import_job(job()).await
}

async fn describe(url: &str) -> Result<ImportProgress, Error> {
    client(url)
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
}

/// Runs a create against a fresh server playing `script`; returns the error
/// and the server.
async fn create_fails(script: Vec<Fault>) -> (Error, FaultyServer) {
    let server = FaultyServer::start(script).await;
    let err = create(server.url())
        .await
        .expect_err("the fault must surface as an error");
    (err, server)
}

async fn describe_fails(script: Vec<Fault>) -> (Error, FaultyServer) {
    let server = FaultyServer::start(script).await;
    let err = describe(server.url())
        .await
        .expect_err("the fault must surface as an error");
    (err, server)
}

/// Asserts the error's variant with a readable failure message.
macro_rules! assert_variant {
    ($err:expr, $pat:pat $(if $guard:expr)?) => {
        assert!(
            matches!($err.kind(), $pat $(if $guard)?),
            "expected {}, got {:?} ({})",
            stringify!($pat),
            $err,
            $err
        )
    };
}

fn assert_may_have_been_sent(err: &Error) {
    assert_eq!(err.delivery(), Delivery::MaybeSent, "{err:?}");
    assert!(err.may_have_been_sent());
    let text = err.to_string();
    assert!(text.contains("(request may have been sent)"), "{text}");
    assert!(!text.contains("not sent"), "{text}");
}

fn assert_every_request_is_a_create(server: &FaultyServer) {
    for r in server.requests() {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", CREATE_PATH));
        assert_eq!(
            r.json(),
            serde_json::json!({"clusterId": CLUSTER, "collectionName": COLLECTION, "objectUrl": OBJECT_URL})
        );
        assert_eq!(r.header("idempotency-key"), None);
    }
}

// ---------------------------------------------------------------------------
// Refused: nothing listens. The request never left, so even a create without
// an idempotency key is retried, and the error says so.

#[tokio::test]
async fn refused_create_is_retried_and_reports_not_sent() {
    let err = create(&refused_url()).await.unwrap_err();
    assert_variant!(err, ErrorKind::Connect if err.attempts() == 3);
    assert_eq!(err.delivery(), Delivery::NotSent);
    assert!(!err.may_have_been_sent());
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.status(), None);
    let text = err.to_string();
    assert!(
        text.starts_with("could not connect (request not sent) after 3 attempt(s): "),
        "{text}"
    );
    assert!(!text.contains("may have been sent"), "{text}");
}

#[tokio::test]
async fn refused_describe_is_retried_max_attempts_times() {
    let url = refused_url();
    let err = client_with(&url, policy().with_max_attempts(5), None)
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    assert_variant!(err, ErrorKind::Connect if err.attempts() == 5);
    assert_eq!(err.delivery(), Delivery::NotSent);
}

// ---------------------------------------------------------------------------
// Reset before the server read anything. From the client's side this cannot
// be told apart from a reset after reading: the request had been written to
// the socket before the RST came back. So the client reports MaybeSent and
// does not repeat a create without a key (the server here saw nothing, but
// a real one may have). Describe is retried.

#[tokio::test]
async fn reset_before_read_create_is_not_retried() {
    let (err, server) = create_fails(vec![Fault::ResetBeforeRead]).await;
    assert_variant!(err, ErrorKind::Transport if err.attempts() == 1);
    assert_may_have_been_sent(&err);
    assert_eq!(server.connections(), 1);
    assert_eq!(server.turns(), 1);
    assert_eq!(server.requests_received(), 0);
}

#[tokio::test]
async fn reset_before_read_describe_is_retried_three_times() {
    let (err, server) = describe_fails(vec![Fault::ResetBeforeRead]).await;
    assert_variant!(err, ErrorKind::Transport if err.attempts() == 3);
    assert_may_have_been_sent(&err);
    assert_eq!(server.connections(), 3);
    assert_eq!(server.turns(), 3);
    assert_eq!(server.requests_received(), 0);
}

// ---------------------------------------------------------------------------
// Reset after the server read the whole request: the import may have started.

#[tokio::test]
async fn reset_after_read_create_reaches_the_server_exactly_once() {
    let (err, server) = create_fails(vec![Fault::ResetAfterRead]).await;
    assert_variant!(err, ErrorKind::Transport if err.attempts() == 1);
    assert_may_have_been_sent(&err);
    assert_eq!(server.requests_received(), 1);
    assert_eq!(server.connections(), 1);
    assert_every_request_is_a_create(&server);
}

#[tokio::test]
async fn reset_after_read_describe_is_retried_three_times() {
    let (err, server) = describe_fails(vec![Fault::ResetAfterRead]).await;
    assert_variant!(err, ErrorKind::Transport if err.attempts() == 3);
    assert_may_have_been_sent(&err);
    assert_eq!(server.requests_received(), 3);
    for r in server.requests() {
        assert_eq!(r.path, DESCRIBE_PATH);
        assert_eq!(
            r.json(),
            serde_json::json!({"clusterId": CLUSTER, "jobId": JOB_ID})
        );
    }
}

/// A create on a pooled keep-alive connection that the server reads and then
/// drops: neither this crate nor hyper's pool (which re-sends requests that
/// were never written) may send it a second time.
#[tokio::test]
async fn reset_after_read_on_a_reused_connection_is_not_resent() {
    let server = FaultyServer::start(vec![Fault::created("first"), Fault::ResetAfterRead]).await;
    let client = client(server.url());
    let first = client.create_import_job(job()).await.unwrap();
    assert_eq!(first.job_id, "first");
    let err = client.create_import_job(job()).await.unwrap_err();
    assert_variant!(err, ErrorKind::Transport if err.attempts() == 1);
    assert_eq!(server.requests_received(), 2);
    assert_eq!(
        server.connections(),
        1,
        "the second create reused the pooled connection"
    );
}

// ---------------------------------------------------------------------------
// Closed in the middle of the answer: the server had the request.

#[tokio::test]
async fn close_mid_body_create_is_not_retried() {
    let (err, server) = create_fails(vec![Fault::CloseMidBody]).await;
    assert_variant!(err, ErrorKind::Transport if err.attempts() == 1);
    assert_may_have_been_sent(&err);
    assert_eq!(server.requests_received(), 1);
    assert_every_request_is_a_create(&server);
    assert_eq!(MID_BODY_SENT.len(), 10);
}

#[tokio::test]
async fn close_mid_body_describe_is_retried_three_times() {
    let (err, server) = describe_fails(vec![Fault::CloseMidBody]).await;
    assert_variant!(err, ErrorKind::Transport if err.attempts() == 3);
    assert_eq!(server.requests_received(), 3);
}

// ---------------------------------------------------------------------------
// Too slow: a body that drips, or no answer at all. The timeout covers the
// whole exchange, body included.

/// The drip keeps the connection busy, yet the timeout ends the create at
/// 500 ms, body included, and it is not sent again.
#[tokio::test(start_paused = true)]
async fn drip_create_times_out_once_without_retry() {
    let server = FaultyServer::start(vec![Fault::Drip]).await;
    let started = Instant::now();
    let err = create(server.url()).await.unwrap_err();
    let took = started.elapsed();
    assert_variant!(err, ErrorKind::Timeout if err.attempts() == 1);
    assert_may_have_been_sent(&err);
    assert!(
        err.to_string()
            .starts_with("timed out (request may have been sent) after 1 attempt(s): ")
    );
    assert_eq!(server.requests_received(), 1);
    assert_took(took, TIMEOUT);
}

/// Three attempts, each cut at the timeout; between them only the backoff
/// (under 1 ms, then under 2 ms).
#[tokio::test(start_paused = true)]
async fn drip_describe_times_out_three_times() {
    let server = FaultyServer::start(vec![Fault::Drip]).await;
    let started = Instant::now();
    let err = describe(server.url()).await.unwrap_err();
    let took = started.elapsed();
    assert_variant!(err, ErrorKind::Timeout if err.attempts() == 3);
    assert_eq!(server.requests_received(), 3);
    assert!(
        took >= TIMEOUT * 3 && took <= TIMEOUT * 3 + ms(10),
        "took {took:?}"
    );
}

#[tokio::test]
async fn stalled_create_times_out_once_without_retry() {
    let (err, server) = create_fails(vec![Fault::Stall]).await;
    assert_variant!(err, ErrorKind::Timeout if err.attempts() == 1);
    assert_may_have_been_sent(&err);
    assert_eq!(server.requests_received(), 1);
}

#[tokio::test]
async fn stalled_describe_times_out_three_times() {
    let (err, server) = describe_fails(vec![Fault::Stall]).await;
    assert_variant!(err, ErrorKind::Timeout if err.attempts() == 3);
    assert_eq!(server.requests_received(), 3);
}

// ---------------------------------------------------------------------------
// The server answered, with something that is not a success envelope.

/// A create and a describe against `fault`: each is a `Decode` of HTTP 200
/// after one attempt, the create's with `excerpt`, and neither is repeated.
/// Returns the create's error.
async fn decoded_once(fault: Fault, excerpt: &str) -> Error {
    let (err, server) = create_fails(vec![fault.clone()]).await;
    match err.kind() {
        ErrorKind::Decode { excerpt: got, .. }
            if err.status() == Some(200) && err.attempts() == 1 =>
        {
            assert_eq!(got, excerpt)
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(err.delivery(), Delivery::Received);
    assert_eq!(server.requests_received(), 1);

    // Not transient: describe does not repeat it either.
    let (describe_err, server) = describe_fails(vec![fault]).await;
    assert_decode(&describe_err, 200, 1);
    assert_eq!(server.requests_received(), 1);
    err
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_and_not_retried() {
    let err = decoded_once(Fault::TruncatedJson, TRUNCATED_JSON).await;
    assert!(
        err.to_string()
            .starts_with("undecodable response (HTTP 200): ")
    );
}

#[tokio::test]
async fn html_502_create_is_not_retried() {
    let (err, server) = create_fails(vec![Fault::Html502]).await;
    match err.kind() {
        ErrorKind::Http {
            excerpt,
            retry_after: None,
            ..
        } if err.status() == Some(502) && err.request_id().is_none() && err.attempts() == 1 => {
            assert_eq!(excerpt, HTML_502)
        }
        other => panic!("expected Http 502, got {other:?}"),
    }
    assert_eq!(err.delivery(), Delivery::Received);
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        err.to_string(),
        format!("unexpected HTTP status 502: {HTML_502:?}")
    );
    assert_eq!(server.requests_received(), 1);
    assert_every_request_is_a_create(&server);
}

#[tokio::test]
async fn html_502_describe_is_retried_three_times() {
    let (err, server) = describe_fails(vec![Fault::Html502]).await;
    assert_http(&err, 502, 3);
    assert_eq!(server.requests_received(), 3);
}

#[tokio::test]
async fn empty_200_is_a_decode_error() {
    decoded_once(Fault::Empty200, "").await;
}

/// The seed page's schema types `code` as a string while every example and
/// client uses an integer: a numeric string is accepted, so `"0"` is a
/// success and the job id is not lost.
#[tokio::test]
async fn code_as_string_is_accepted() {
    let server = FaultyServer::start(vec![Fault::CodeAsString]).await;
    let created = create(server.url())
        .await
        .expect("a numeric-string code 0 is a success");
    assert_eq!(created.job_id, "1");
    assert_eq!(server.requests_received(), 1);
}

// ---------------------------------------------------------------------------
// Too large: the client stops reading at the limit.

#[tokio::test]
async fn oversized_body_with_length_is_refused_at_the_default_limit() {
    // 20 MiB announced; the client refuses on the Content-Length alone.
    let (err, server) = create_fails(vec![Fault::Oversized {
        len: 20 * 1024 * 1024,
        chunked: false,
    }])
    .await;
    assert_variant!(err, ErrorKind::BodyTooLarge { limit: DEFAULT_MAX_RESPONSE_BYTES, .. } if err.status() == Some(200) && err.attempts() == 1);
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 16 * 1024 * 1024);
    assert_eq!(err.delivery(), Delivery::Received);
    assert_eq!(
        err.to_string(),
        "response body larger than the 16777216-byte limit (HTTP 200)"
    );
    assert_eq!(server.requests_received(), 1);
}

#[tokio::test]
async fn oversized_chunked_body_is_refused_at_a_configured_limit() {
    const LIMIT: usize = 1024 * 1024;
    for op in ["create", "describe"] {
        let server = FaultyServer::start(vec![Fault::Oversized {
            len: 2 * LIMIT,
            chunked: true,
        }])
        .await;
        let c = client_with(server.url(), policy(), Some(LIMIT));
        let err = if op == "create" {
            c.create_import_job(job()).await.map(drop).unwrap_err()
        } else {
            c.describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
                .await
                .map(drop)
                .unwrap_err()
        };
        assert_variant!(err, ErrorKind::BodyTooLarge { limit: LIMIT, .. } if err.status() == Some(200) && err.attempts() == 1);
        assert!(err.to_string().contains("1048576-byte limit"), "{err}");
        assert_eq!(server.requests_received(), 1, "{op}");
    }
}

/// The limit is inclusive: a body of exactly `limit` bytes is read, one more
/// byte is refused, with and without a Content-Length.
#[tokio::test]
async fn the_limit_is_exact() {
    let body = format!(
        r#"{{"code":0,"data":{{"jobId":"edge"}}}}{}"#,
        " ".repeat(100)
    );
    let len = body.len();
    for chunked in [false, true] {
        let fault = if chunked {
            Fault::OkChunked(body.clone())
        } else {
            Fault::Ok(body.clone())
        };
        let server = FaultyServer::start(vec![fault]).await;
        let ok = client_with(server.url(), policy(), Some(len))
            .create_import_job(job())
            .await
            .unwrap_or_else(|e| panic!("chunked={chunked}: {e:?}"));
        assert_eq!(ok.job_id, "edge");
        let err = client_with(server.url(), policy(), Some(len - 1))
            .create_import_job(job())
            .await
            .unwrap_err();
        assert_variant!(err, ErrorKind::BodyTooLarge { .. } if err.status() == Some(200) && err.attempts() == 1);
        assert_eq!(
            err.to_string(),
            format!(
                "response body larger than the {}-byte limit (HTTP 200)",
                len - 1
            )
        );
        assert_eq!(server.requests_received(), 2, "chunked={chunked}");
    }
}

// ---------------------------------------------------------------------------
// 429: the server says it did not process the request, so even a create
// without a key is retried, after the Retry-After it asked for.

#[tokio::test]
async fn too_many_requests_create_is_retried_and_reports_retry_after() {
    let (err, server) = create_fails(vec![Fault::TooManyRequests {
        retry_after: Some("0".into()),
    }])
    .await;
    match err.kind() {
        ErrorKind::Http {
            retry_after: Some(wait),
            excerpt,
            ..
        } if err.status() == Some(429) && err.attempts() == 3 => {
            assert_eq!(*wait, Duration::ZERO);
            assert_eq!(excerpt, "Too Many Requests");
        }
        other => panic!("expected Http 429, got {other:?}"),
    }
    assert_eq!(err.delivery(), Delivery::Received);
    assert_eq!(server.requests_received(), 3);
    assert_every_request_is_a_create(&server);
}

/// Retry-After asks for 2 s; the policy caps it at 300 ms, and the second
/// attempt goes then, no sooner.
#[tokio::test(start_paused = true)]
async fn too_many_requests_then_success_waits_the_capped_retry_after() {
    let server = FaultyServer::start(vec![
        Fault::TooManyRequests {
            retry_after: Some("2".into()),
        },
        Fault::created("after-429"),
    ])
    .await;
    let c = client_with(server.url(), policy().with_max_retry_after(ms(300)), None);
    let created = c.create_import_job(job()).await.unwrap();
    assert_eq!(created.job_id, "after-429");
    assert_eq!(created.idempotency_key, None);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_took(seen[1].at - seen[0].at, ms(300));
}

#[tokio::test]
async fn too_many_requests_with_garbage_retry_after_is_still_retried() {
    let (err, server) = describe_fails(vec![Fault::TooManyRequests {
        retry_after: Some("soon-ish".into()),
    }])
    .await;
    assert_variant!(err, ErrorKind::Http { retry_after: None, .. } if err.status() == Some(429) && err.attempts() == 3);
    assert_eq!(server.requests_received(), 3);
}

#[tokio::test]
async fn too_many_requests_with_an_http_date_retry_after() {
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    let server = FaultyServer::start(vec![Fault::TooManyRequests {
        retry_after: Some(when),
    }])
    .await;
    let err = client_with(server.url(), RetryPolicy::none(), None)
        .create_import_job(job())
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::Http {
            retry_after: Some(wait),
            ..
        } if err.status() == Some(429) && err.attempts() == 1 => assert!(
            *wait > Duration::from_secs(3590) && *wait <= Duration::from_secs(3600),
            "{wait:?}"
        ),
        other => panic!("expected Http 429, got {other:?}"),
    }
    assert_eq!(server.requests_received(), 1);
}

// ---------------------------------------------------------------------------
// Recovery: describe gets through a run of transient faults.

#[tokio::test]
async fn describe_recovers_from_transient_faults_within_three_attempts() {
    let server = FaultyServer::start(vec![
        Fault::ResetAfterRead,
        Fault::Html502,
        Fault::Ok(
            serde_json::json!({"code": 0, "data": {"jobId": JOB_ID, "state": "Completed",
                               "progress": 100, "totalRows": 3000000000i64}})
            .to_string(),
        ),
    ])
    .await;
    let progress = describe(server.url()).await.unwrap();
    assert_eq!(progress.job_id, JOB_ID);
    assert_eq!(progress.state, ImportState::Completed);
    assert_eq!(progress.progress, 100);
    assert_eq!(progress.total_rows, Some(3_000_000_000));
    assert_eq!(server.requests_received(), 3);
}

#[tokio::test]
async fn create_without_a_key_does_not_recover_from_a_502() {
    let (err, server) = create_fails(vec![Fault::Html502, Fault::created("second-job")]).await;
    assert_http(&err, 502, 1);
    assert_eq!(
        server.requests_received(),
        1,
        "a second import could have started"
    );
}

// ---------------------------------------------------------------------------
// With an idempotency key a create is repeatable, and every attempt carries
// the same key.

#[tokio::test]
async fn create_with_a_key_is_retried_with_the_same_key() {
    let server = FaultyServer::start(vec![
        Fault::ResetAfterRead,
        Fault::Drip,
        Fault::created("keyed"),
    ])
    .await;
    let created = client(server.url())
        .create_import_job(job().idempotency_key("op-42"))
        .await
        .unwrap();
    assert_eq!(created.job_id, "keyed");
    assert_eq!(created.idempotency_key.as_deref(), Some("op-42"));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(r.header("idempotency-key"), Some("op-42"));
        assert_eq!(r.body, requests[0].body);
    }
}

#[tokio::test]
async fn create_with_a_generated_key_sends_one_key_on_every_attempt() {
    let (err, server) = {
        let server = FaultyServer::start(vec![Fault::Html502]).await;
        let err = client(server.url())
            .create_import_job(job().generate_idempotency_key())
            .await
            .unwrap_err();
        (err, server)
    };
    assert_http(&err, 502, 3);
    let keys: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            r.header("idempotency-key")
                .expect("a key on every attempt")
                .to_owned()
        })
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert!(uuid_regex().is_match(&keys[0]), "{}", keys[0]);

    // A second call makes a new key.
    server.reset(vec![Fault::created("g")]);
    let created = client(server.url())
        .create_import_job(job().generate_idempotency_key())
        .await
        .unwrap();
    let sent = server.requests()[0]
        .header("idempotency-key")
        .unwrap()
        .to_owned();
    assert_eq!(created.idempotency_key.as_deref(), Some(sent.as_str()));
    assert_ne!(sent, keys[0]);
}

#[tokio::test]
async fn create_with_a_key_stops_after_max_attempts() {
    let server = FaultyServer::start(vec![Fault::ResetAfterRead]).await;
    let err = client(server.url())
        .create_import_job(job().idempotency_key("op-43"))
        .await
        .unwrap_err();
    assert_variant!(err, ErrorKind::Transport if err.attempts() == 3);
    assert_eq!(server.requests_received(), 3);
}

/// RFC 9110 §5.5: a field value excludes leading and trailing whitespace, so
/// a key of spaces would reach the server as an empty header, which cannot
/// deduplicate anything, while the client retried the create as if it were
/// protected (three requests after a 502, seen before the check existed).
/// Such keys are refused before anything is sent.
#[tokio::test]
async fn whitespace_padded_idempotency_keys_are_refused_before_sending() {
    let server = FaultyServer::start(vec![Fault::Html502]).await;
    for key in ["   ", " op-1", "op-1 "] {
        let job = job().idempotency_key(key);
        let validated = job.validate();
        let result = client(server.url()).create_import_job(job).await;
        let wire: Vec<Option<String>> = server
            .requests()
            .iter()
            .map(|r| r.header("idempotency-key").map(str::to_owned))
            .collect();
        assert!(
            matches!(
                validated.as_ref().map_err(Error::kind),
                Err(ErrorKind::InvalidInput {
                    field: "Idempotency-Key",
                    ..
                })
            ),
            "validate accepted {key:?}; on the wire it arrived as {wire:?}, result {result:?}"
        );
        let err = result.unwrap_err();
        assert_variant!(
            err,
            ErrorKind::InvalidInput {
                field: "Idempotency-Key",
                ..
            }
        );
        assert_eq!(err.delivery(), Delivery::NotSent);
        assert_eq!(server.requests_received(), 0);
        assert_eq!(server.connections(), 0);
    }
}

// ---------------------------------------------------------------------------
// Headers the server sends are carried into the error.

#[tokio::test]
async fn request_id_is_carried_into_a_gateway_error() {
    let server = FaultyServer::start(vec![Fault::Raw {
        status: 503,
        headers: vec![
            ("Content-Type".into(), "text/plain".into()),
            ("requestid".into(), "req-7f3a".into()),
        ],
        body: b"upstream unavailable".to_vec(),
    }])
    .await;
    let err = create(server.url()).await.unwrap_err();
    assert_http(&err, 503, 1);
    assert_eq!(err.request_id(), Some("req-7f3a"));
    assert_eq!(
        err.to_string(),
        "unexpected HTTP status 503 [request id req-7f3a]: \"upstream unavailable\""
    );
    assert_eq!(server.requests_received(), 1);
}
