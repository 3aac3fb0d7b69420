//! The findings of an outside tester who tried to break the crate's claims
//! against misbehaving loopback servers, one test (or a few) per finding:
//! each reproduces the failure as reported, and asserts what must hold now.
//! The emulator's findings (memory, slow connections) are in
//! `emulator_http.rs`; the scrubber's encodings are unit-tested in
//! `src/redact.rs`, and arbitrary Unicode is fuzzed there and in
//! `fuzz_decode.rs`. The findings about what the binary prints, and
//! finding 2 (proxies), are the CLI's: `cli/tests/it/hardening.rs`.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::common::{
    faulty_server::{Fault, FaultyServer},
    *,
};
use futures::StreamExt;
use serde_json::json;
use zilliz_import::{
    Client, DEFAULT_MAX_PAGES, Delivery, ImportState, ListImportJobs, RetryPolicy, WaitError,
    WaitOptions, WalkError,
};
use zilliz_import::{ErrorKind, Target};

/// Quick polls, so waits over scripted answers take milliseconds.
fn quick() -> WaitOptions {
    WaitOptions::default().interval(Duration::from_millis(1), Duration::from_millis(4))
}

/// A server answering every request with the error envelope `code`, `message`.
async fn api_error_server(code: i64, message: &str) -> FaultyServer {
    FaultyServer::start(vec![Fault::json(
        200,
        &json!({"code": code, "message": message}),
        &[],
    )])
    .await
}

// ---------------------------------------------------------------- finding 1

/// Chinese punctuation right before a URL made the scrubber slice inside a
/// character and panic (printing the unscrubbed text).
#[tokio::test]
async fn multibyte_text_before_a_url_in_a_message_is_an_api_error_not_a_panic() {
    let server = api_error_server(
        96020,
        "集合不存在，参考：https://docs.zilliz.com.cn/x?sig=SIG-SENTINEL",
    )
    .await;
    let e = client(server.url())
        .list_import_jobs(&ListImportJobs::new(CLUSTER))
        .await
        .unwrap_err();
    let (code, message, ..) = api_fields(&e);
    assert_eq!(code, 96020);
    assert_eq!(
        message,
        "集合不存在，参考：https://docs.zilliz.com.cn/x?<redacted>"
    );
}

#[tokio::test]
async fn a_reason_quoting_a_url_after_chinese_text_decodes_redacted() {
    let server = FaultyServer::start(vec![describe_with(json!({
        "state": "Failed",
        "reason": format!("正在读取：s3://bucket/a.parquet?{PRESIGNED_QUERY}"),
    }))])
    .await;
    let p = client(server.url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();
    assert_eq!(
        p.reason.as_deref(),
        Some("正在读取：s3://bucket/a.parquet?<redacted>")
    );
}

// ---------------------------------------------------------------- finding 3

/// Every string of a describe answer, and the request id header, pass the
/// scrubber: an echoed key, a presigned query, terminal escapes.
#[tokio::test]
async fn every_server_string_is_scrubbed_before_anyone_sees_it() {
    let server = FaultyServer::start(vec![echoes_in_every_string()]).await;
    let p = client(server.url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();
    let clean = "x <redacted> \\u{1b}[2J";
    let clean_url = "s3://b/a.parquet?<redacted>";
    assert_eq!(p.collection_name.as_deref(), Some(clean));
    assert_eq!(p.file_name.as_deref(), Some(clean_url));
    assert_eq!(p.state, ImportState::Other(clean.into()));
    assert_eq!(p.complete_time.as_deref(), Some(clean));
    assert_eq!(
        p.reason.as_deref(),
        Some(format!("{clean} {clean_url}").as_str())
    );
    assert_eq!(p.details[0].file_name.as_deref(), Some(clean));
    assert_eq!(p.details[0].reason.as_deref(), Some(clean));
    assert_eq!(p.details[0].complete_time.as_deref(), Some(clean_url));
    assert_eq!(p.details[0].progress, 0);
    assert_no_secrets("Debug", &format!("{p:?}"));
}

#[tokio::test]
async fn the_request_id_of_an_error_is_scrubbed() {
    let server = FaultyServer::start(vec![Fault::json(
        200,
        &json!({"code": 96026, "message": "no such job"}),
        &[("requestid", &format!("{API_KEY}-7"))],
    )])
    .await;
    let e = client(server.url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    assert_eq!(e.request_id(), Some("<redacted>-7"));
    assert_error_redacted(&e);
}

// ---------------------------------------------------------------- finding 4

/// A key configured with a trailing space is sent trimmed (as the server
/// trims it), and its echoes, in the encodings a server may use, are
/// scrubbed from the error.
#[tokio::test]
async fn a_padded_key_is_trimmed_and_its_encoded_echoes_are_scrubbed() {
    use base64::Engine as _;
    let key = "k3y/with+Symbols-and-length";
    // The key as pasted, with a space and a newline after it.
    let padded = |base: &str| {
        Client::builder()
            .api_key(format!("{key} \n"))
            .base_url(base)
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("user:{key}"));
    let echo = format!(
        "json {} pct {} upper {} b64 {b64} split {}\\n{}",
        key.replace('/', "\\/"),
        url::form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>(),
        key.to_uppercase(),
        &key[..6],
        &key[6..],
    );
    let server = FaultyServer::start(vec![Fault::text(
        200,
        "application/json",
        &format!(r#"{{"code": 65535, "message": "{echo}"}}"#),
        &[],
    )])
    .await;
    let c = padded(server.url());
    let e = c
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
    let (_, message, ..) = api_fields(&e);
    let (before_b64, after_b64) = message.split_once(" b64 ").unwrap();
    assert_eq!(
        before_b64,
        "json <redacted> pct <redacted> upper <redacted>"
    );
    assert!(after_b64.ends_with(" split <redacted>"), "{message}");
    assert!(after_b64.contains("<redacted>"), "{message}");
    assert!(!after_b64.contains(&b64[10..20]), "{message}");

    // A body that is not the envelope keeps its escapes: the excerpt is
    // scrubbed of the JSON-escaped echo as it stands.
    let server = FaultyServer::start(vec![Fault::text(
        502,
        "text/plain",
        &format!("upstream said {}", key.replace('/', "\\/")),
        &[],
    )])
    .await;
    let c = padded(server.url());
    let e = c
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    let ErrorKind::Http { excerpt, .. } = e.kind() else {
        panic!("expected Http, got {e:?}");
    };
    assert_eq!(excerpt, "upstream said <redacted>");
}

/// A secret of under four characters used to be left in place.
#[tokio::test]
async fn a_short_secret_key_is_scrubbed_where_it_stands_alone() {
    let server = api_error_server(83001, "cannot read with secret Zq9: denied; Zq9x is fine").await;
    let job = seed_job().storage_credentials("AKIA", "Zq9");
    let e = client(server.url())
        .create_import_job(job)
        .await
        .unwrap_err();
    let (_, message, ..) = api_fields(&e);
    assert_eq!(
        message,
        "cannot read with secret <redacted>: denied; Zq9x is fine"
    );
}

// ---------------------------------------------------------------- finding 5

#[tokio::test]
async fn a_walk_over_endless_new_pages_stops_at_its_page_bound() {
    let server = FaultyServer::start(vec![endless_pages(None)]).await;
    let c = client(server.url());
    let items: Vec<_> = c
        .list_all_import_jobs(ListImportJobs::new(CLUSTER).page_size(100).max_pages(5))
        .collect()
        .await;
    assert_eq!(items.len(), 6);
    assert!(
        items[..5]
            .iter()
            .all(|p| p.as_ref().unwrap().records.len() == 100)
    );
    assert!(
        matches!(items[5], Err(WalkError::PageLimitReached { pages: 5, .. })),
        "{:?}",
        items[5]
    );
    assert_eq!(server.requests_received(), 5);
    let pages: Vec<u64> = server
        .requests()
        .iter()
        .map(|s| s.json()["currentPage"].as_u64().unwrap())
        .collect();
    assert_eq!(pages, [1, 2, 3, 4, 5]);

    // The default bound.
    let server = FaultyServer::start(vec![endless_pages(None)]).await;
    let last = client(server.url())
        .list_all_import_jobs(ListImportJobs::new(CLUSTER))
        .fold(None, |_, item| async move { Some(item) })
        .await;
    assert!(matches!(
        last,
        Some(Err(WalkError::PageLimitReached {
            pages: DEFAULT_MAX_PAGES,
            ..
        }))
    ));
    assert_eq!(server.requests_received(), DEFAULT_MAX_PAGES as usize);
}

#[tokio::test]
async fn a_walk_ends_once_it_passes_the_total_the_server_reported() {
    let server = FaultyServer::start(vec![endless_pages(Some(25))]).await;
    let pages: Vec<_> = client(server.url())
        .list_all_import_jobs(ListImportJobs::new(CLUSTER))
        .map(|p| p.unwrap().records.len())
        .collect()
        .await;
    assert_eq!(pages, [10, 10, 10]);
    assert_eq!(server.requests_received(), 3);
}

// ---------------------------------------------------------------- finding 6

/// A server that accepts and never answers: the wait's deadline bounds the
/// whole call, though one attempt may take 30 s and three are allowed. On
/// tokio's paused clock, so the call lasts exactly what the timers say.
#[tokio::test(start_paused = true)]
async fn a_wait_deadline_bounds_polls_that_never_answer() {
    let server = FaultyServer::start(vec![Fault::Stall]).await;
    let c = client(server.url());
    let started = tokio::time::Instant::now();
    let e = c
        .wait_for_import_job(
            &Target::cluster(CLUSTER),
            JOB_ID,
            quick().deadline(Duration::from_millis(800)),
        )
        .await
        .unwrap_err();
    let took = started.elapsed();
    let WaitError::TimedOut {
        last, last_error, ..
    } = &e
    else {
        panic!("expected TimedOut, got {e:?}");
    };
    assert!(last.is_none(), "no poll answered: {last:?}");
    // The polls were cut off by the deadline: none of them is the
    // failure of a poll that ran its course.
    assert!(last_error.is_none(), "{last_error:?}");
    assert!(e.request_error().is_none(), "a wait only reads");
    assert_took(took, Duration::from_millis(800));
    assert_eq!(
        server.requests_received(),
        1,
        "the one poll was cut at the deadline, not retried"
    );
}

#[tokio::test(start_paused = true)]
async fn an_operation_timeout_bounds_a_create_and_its_retries() {
    let server = FaultyServer::start(vec![Fault::Stall]).await;
    let c = Client::builder()
        .api_key(API_KEY)
        .base_url(server.url())
        .retry(fast_retry())
        .operation_timeout(Duration::from_millis(600))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let e = c
        .create_import_job(seed_job().idempotency_key("k-1"))
        .await
        .unwrap_err();
    let took = started.elapsed();
    // The call's deadline, not the HTTP client's 30 s, cut the attempt.
    assert!(
        (matches!(e.kind(), ErrorKind::Timeout)
            && e.attempts() == 1
            && std::error::Error::source(&e).is_none()),
        "{e:?}"
    );
    assert!(
        e.to_string().ends_with(": the call's deadline passed"),
        "{e}"
    );
    assert_eq!(e.delivery(), Delivery::MaybeSent);
    assert_took(took, Duration::from_millis(600));
    assert_eq!(server.requests_received(), 1);
}

// ---------------------------------------------------------------- finding 7

/// Each of these ended a long wait on its own; now each is reported and the
/// wait goes on to the job's end.
#[tokio::test]
async fn failed_polls_are_reported_and_the_wait_goes_on() {
    let server = FaultyServer::start(vec![
        Fault::json(200, &progress("Importing", 10), &[]),
        Fault::text(500, "text/plain", "oops", &[]),
        Fault::text(200, "text/html", "<html>maintenance</html>", &[]),
        Fault::json(200, &json!({"code": 65535, "message": "system busy"}), &[]),
        describe_with(json!({"progress": 40.5})),
        Fault::json(200, &progress("Completed", 100), &[]),
    ])
    .await;
    let failures = Arc::new(Mutex::new(Vec::new()));
    let sink = failures.clone();
    let (options, log) = recording(quick().on_poll_error(move |e| {
        sink.lock().unwrap().push((e.status(), e.api_code()));
    }));
    let done = client(server.url())
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, options)
        .await
        .unwrap()
        .completed()
        .expect("completed");
    assert_eq!(done.state, ImportState::Completed);
    assert_eq!(
        *failures.lock().unwrap(),
        [
            (Some(500), None),
            (Some(200), None),
            (Some(200), Some(65535))
        ]
    );
    assert_eq!(
        *log.lock().unwrap(),
        [
            (ImportState::Importing, 10),
            (ImportState::Importing, 40),
            (ImportState::Completed, 100)
        ]
    );
    assert_eq!(server.requests_received(), 6);
}

#[tokio::test]
async fn a_wait_gives_up_after_its_consecutive_failure_bound() {
    let server = FaultyServer::start(vec![
        Fault::json(200, &progress("Importing", 10), &[]),
        Fault::text(500, "text/plain", "oops", &[]),
        Fault::json(200, &progress("Importing", 20), &[]),
        Fault::text(500, "text/plain", "oops", &[]),
    ])
    .await;
    let e = client(server.url())
        .wait_for_import_job(
            &Target::cluster(CLUSTER),
            JOB_ID,
            quick().max_poll_failures(3),
        )
        .await
        .unwrap_err();
    assert_http(e.request_error().expect("the third failed poll"), 500, 1);
    // One failure, a success that restarts the count, then three in a row.
    assert_eq!(server.requests_received(), 6);
}

#[tokio::test]
async fn answers_proving_the_job_cannot_be_followed_end_the_wait_at_once() {
    for (status, code, message) in [
        (200, 96026, "job not found"),
        (401, 21119, "The apikey is illegal."),
        (200, 96018, "cluster not found"),
    ] {
        let reply = Fault::json(status, &json!({"code": code, "message": message}), &[]);
        let server = FaultyServer::start(vec![reply]).await;
        let e = client(server.url())
            .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, quick())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, WaitError::Request(r) if r.api_code() == Some(code)),
            "{e:?}"
        );
        assert_eq!(server.requests_received(), 1, "{e:?}");
    }
}

// --------------------------------------------------------------- finding 10

/// A wait timeout past the clock's end means no deadline, not a panic.
#[tokio::test]
async fn a_wait_timeout_past_the_clocks_end_means_no_deadline() {
    let server =
        FaultyServer::start(vec![Fault::json(200, &progress("Completed", 100), &[])]).await;
    let done = client(server.url())
        .wait_for_import_job(
            &Target::cluster(CLUSTER),
            JOB_ID,
            quick().deadline(Duration::MAX),
        )
        .await
        .unwrap()
        .completed()
        .expect("completed");
    assert_eq!(done.progress, 100);
}

#[tokio::test]
async fn a_failed_job_never_reads_100_percent() {
    let server = FaultyServer::start(vec![
        Fault::json(200, &progress("Importing", 100), &[]),
        describe_with(json!({"state": "Failed", "progress": 100, "reason": "disk full"})),
    ])
    .await;
    let (options, log) = recording(quick());
    let e = client(server.url())
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, options)
        .await
        .unwrap_err();
    let WaitError::JobFailed {
        reason, progress, ..
    } = e
    else {
        panic!("expected JobFailed, got {e:?}");
    };
    assert_eq!(reason, "disk full");
    assert_eq!(progress.progress, 99);
    assert_eq!(
        *log.lock().unwrap(),
        [(ImportState::Importing, 100), (ImportState::Failed, 99)]
    );
}
