//! When a failed request is sent again, how often, with which key, and after
//! how long; and that every error counts the attempts the server saw. The
//! waits between attempts are measured on tokio's paused clock, where they
//! last exactly what the client's timers say, on any machine.

use std::time::Duration;

use crate::common::faulty_server::{Fault, FaultyServer, refused_url};
use crate::common::*;
use serde_json::json;
use zilliz_import::{Client, Delivery, Error, RetryPolicy};
use zilliz_import::{ErrorKind, Target};

fn created() -> Fault {
    Fault::json(200, &created_body(), &[])
}

fn pending() -> Fault {
    Fault::json(200, &progress("Pending", 0), &[])
}

/// A describe against a fresh server playing `script`, with `retry`: the
/// error and how many requests the server saw.
async fn describe_fails(script: Vec<Fault>, retry: RetryPolicy) -> (Error, usize) {
    let server = FaultyServer::start(script).await;
    let err = client_with(server.url(), retry)
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    (err, server.requests_received())
}

/// A describe against a fresh server playing `script`, which must succeed;
/// returns how many requests the server saw.
async fn describe_succeeds(script: Vec<Fault>) -> usize {
    let server = FaultyServer::start(script).await;
    let p = client(server.url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await;
    assert!(p.is_ok(), "{p:?}");
    server.requests_received()
}

#[tokio::test]
async fn describe_is_retried_through_two_503s() {
    let server =
        FaultyServer::start(vec![Fault::gateway(503), Fault::gateway(503), pending()]).await;

    let p = client(server.url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();

    assert_eq!(p.job_id, JOB_ID);
    assert_eq!(p.state, zilliz_import::ImportState::Pending);
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        assert_eq!(s.method, "POST");
        assert_eq!(s.path, DESCRIBE_PATH);
        assert_eq!(s.json(), describe_body());
        assert_eq!(
            s.header("authorization"),
            Some(format!("Bearer {API_KEY}").as_str())
        );
    }
}

#[tokio::test]
async fn describe_gives_up_after_max_attempts_and_counts_them() {
    for (status, retry, attempts) in [
        (504, fast_retry(), 3),
        (502, fast_retry().with_max_attempts(5), 5),
    ] {
        let (err, hits) = describe_fails(vec![Fault::gateway(status)], retry).await;
        assert_http(&err, status, attempts);
        assert_eq!(hits, attempts as usize);
    }
}

#[tokio::test]
async fn retry_policy_none_sends_once() {
    let (err, hits) =
        describe_fails(vec![Fault::gateway(503), pending()], RetryPolicy::none()).await;
    assert_http(&err, 503, 1);
    assert_eq!(hits, 1);
}

#[tokio::test]
async fn answers_that_retrying_cannot_fix_are_not_retried() {
    for reply in [
        Fault::gateway(500),
        Fault::json(
            200,
            &json!({"code": 96026, "message": "job not found"}),
            &[],
        ),
        Fault::json(
            401,
            &json!({"code": 21119, "message": "The apikey is illegal."}),
            &[],
        ),
        Fault::text(200, "text/plain", "not json", &[]),
    ] {
        let (err, hits) = describe_fails(vec![reply.clone(), pending()], fast_retry()).await;
        assert_eq!(err.attempts(), 1, "{reply:?}: {err:?}");
        assert_eq!(hits, 1, "{reply:?}");
        assert_eq!(err.delivery(), Delivery::Received);
    }
}

#[tokio::test]
async fn create_without_a_key_is_not_retried_after_a_503() {
    let server = FaultyServer::start(vec![Fault::gateway(503), created()]).await;

    let err = client(server.url())
        .create_import_job(seed_job())
        .await
        .unwrap_err();

    assert_http(&err, 503, 1);
    assert_eq!(err.delivery(), Delivery::Received);
    assert_eq!(server.requests_received(), 1);
    assert_eq!(server.requests()[0].header("idempotency-key"), None);
}

#[tokio::test(start_paused = true)]
async fn create_without_a_key_is_not_retried_after_a_timeout() {
    let server = FaultyServer::start(vec![Fault::Stall, created()]).await;

    let err = timing_out(server.url(), 200)
        .create_import_job(seed_job())
        .await
        .unwrap_err();

    assert!(
        (matches!(err.kind(), ErrorKind::Timeout) && err.attempts() == 1),
        "{err:?}"
    );
    assert_eq!(err.delivery(), Delivery::MaybeSent);
    assert_eq!(server.requests_received(), 1);
}

#[tokio::test]
async fn create_with_a_key_is_retried_with_the_same_key() {
    let server = FaultyServer::start(vec![Fault::gateway(503), created()]).await;

    let done = client(server.url())
        .create_import_job(seed_job().idempotency_key("nightly-2024-04-01"))
        .await
        .unwrap();

    assert_eq!(done.job_id, JOB_ID);
    assert_eq!(done.idempotency_key.as_deref(), Some("nightly-2024-04-01"));
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.path, CREATE_PATH);
        assert_eq!(s.header("idempotency-key"), Some("nightly-2024-04-01"));
        assert_eq!(
            s.json(),
            json!({"clusterId": CLUSTER, "collectionName": COLLECTION, "objectUrl": SEED_URL})
        );
    }
}

#[tokio::test]
async fn a_generated_key_is_made_once_and_sent_on_every_attempt() {
    let server =
        FaultyServer::start(vec![Fault::gateway(502), Fault::gateway(504), created()]).await;

    let done = client(server.url())
        .create_import_job(seed_job().generate_idempotency_key())
        .await
        .unwrap();

    let key = done.idempotency_key.expect("a generated key");
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        assert_eq!(s.header("idempotency-key"), Some(key.as_str()));
    }
}

#[tokio::test(start_paused = true)]
async fn create_with_a_key_is_retried_after_a_timeout() {
    let server = FaultyServer::start(vec![Fault::Stall, created()]).await;

    let done = timing_out(server.url(), 600)
        .create_import_job(seed_job().idempotency_key("k-timeout"))
        .await
        .unwrap();

    assert_eq!(done.job_id, JOB_ID);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("idempotency-key"), Some("k-timeout"));
    assert_eq!(seen[1].header("idempotency-key"), Some("k-timeout"));
}

/// The second attempt goes when `Retry-After` says: not before it, and not
/// later (no backoff on top).
#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let server = FaultyServer::start(vec![
        Fault::text(
            429,
            "text/html",
            "<html>Too Many Requests</html>",
            &[("Retry-After", "1")],
        ),
        pending(),
    ])
    .await;

    let p = client(server.url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();

    assert_eq!(p.job_id, JOB_ID);
    assert_eq!(server.requests_received(), 2);
    assert_took(gap(&server, 0, 1), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_long_retry_after_is_capped_by_the_policy() {
    let server = FaultyServer::start(vec![
        Fault::text(429, "text/plain", "busy", &[("Retry-After", "30")]),
        pending(),
    ])
    .await;

    client_with(
        server.url(),
        fast_retry().with_max_retry_after(Duration::from_millis(20)),
    )
    .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
    .await
    .unwrap();

    assert_eq!(server.requests_received(), 2);
    assert_took(gap(&server, 0, 1), Duration::from_millis(20));
}

#[tokio::test]
async fn create_without_a_key_is_retried_after_a_429() {
    let server = FaultyServer::start(vec![
        Fault::text(429, "text/html", "<html>Too Many Requests</html>", &[]),
        created(),
    ])
    .await;

    let done = client(server.url())
        .create_import_job(seed_job())
        .await
        .unwrap();

    assert_eq!(done.job_id, JOB_ID);
    assert_eq!(done.idempotency_key, None);
    assert_eq!(server.requests_received(), 2);
}

#[tokio::test]
async fn a_lasting_429_reports_every_attempt() {
    let server = FaultyServer::start(vec![Fault::text(
        429,
        "text/plain",
        "busy",
        &[("Retry-After", "0")],
    )])
    .await;

    let err = client(server.url())
        .create_import_job(seed_job())
        .await
        .unwrap_err();

    assert!(
        (matches!(err.kind(), ErrorKind::Http { retry_after: Some(d), .. } if *d == Duration::ZERO)
            && err.status() == Some(429)
            && err.attempts() == 3),
        "{err:?}"
    );
    assert_eq!(server.requests_received(), 3);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_create() {
    let base = refused_url();

    let err = client(&base)
        .create_import_job(seed_job())
        .await
        .unwrap_err();
    assert!(
        (matches!(err.kind(), ErrorKind::Connect) && err.attempts() == 3),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.delivery(), Delivery::NotSent);

    let err = client(&base)
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    assert!(
        (matches!(err.kind(), ErrorKind::Connect) && err.attempts() == 3),
        "{err:?}"
    );

    let err = client_with(&base, RetryPolicy::none())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    assert!(
        (matches!(err.kind(), ErrorKind::Connect) && err.attempts() == 1),
        "{err:?}"
    );
}

/// A 429 (or 503) whose body is the service's JSON envelope is classified as
/// `Error::Api`, which is never retried, so the throttle and its
/// `Retry-After` are ignored.
#[tokio::test]
async fn a_throttle_with_a_json_envelope_is_still_retried() {
    for throttle in [
        Fault::json(
            429,
            &json!({"code": 429, "message": "slow down"}),
            &[("Retry-After", "0")],
        ),
        Fault::json(
            503,
            &json!({"code": 503, "message": "service unavailable"}),
            &[],
        ),
    ] {
        assert_eq!(describe_succeeds(vec![throttle, pending()]).await, 2);
    }
}

/// A client of `server` limited to 2 requests per second, retrying
/// at once (no backoff), so only the limiter spaces its attempts.
fn limited_to_two(server: &FaultyServer) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(server.url())
        .retry(RetryPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO))
        .rate_limit(std::num::NonZeroU32::new(2).unwrap())
        .build()
        .unwrap()
}

/// How far apart the server saw request `a` and request `b`.
fn gap(server: &FaultyServer, a: usize, b: usize) -> Duration {
    let seen = server.requests();
    seen[b].at.duration_since(seen[a].at)
}

/// At 2 per second, no three requests fall within one second, bursts
/// included: the first two go at once, and the third waits until a second
/// after the first answer came, and no longer. (A token bucket lets the
/// third out half a second after the burst: three in one second.)
#[tokio::test(start_paused = true)]
async fn rate_limit_sends_no_more_than_n_in_any_second() {
    let server = FaultyServer::start(vec![Fault::json(200, &ok(describe_body()), &[])]).await;
    let client = limited_to_two(&server);
    for _ in 0..4 {
        client
            .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
            .await
            .unwrap();
    }
    assert_eq!(server.requests_received(), 4);
    // The burst: the second did not wait for the first's second to end.
    assert_eq!(gap(&server, 0, 1), Duration::ZERO);
    for i in 0..2 {
        assert_took(gap(&server, i, i + 2), Duration::from_secs(1));
    }
}

/// Every attempt of a retried call takes a slot of its own: the third
/// attempt of a describe answered 503 twice waits, though the policy asks
/// for no backoff.
#[tokio::test(start_paused = true)]
async fn rate_limit_spaces_the_attempts_of_a_retried_call() {
    let server =
        FaultyServer::start(vec![Fault::gateway(503), Fault::gateway(503), pending()]).await;
    let client = limited_to_two(&server);
    client
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();
    assert_eq!(server.requests_received(), 3);
    assert_eq!(gap(&server, 0, 1), Duration::ZERO);
    assert_took(gap(&server, 0, 2), Duration::from_secs(1));
}
