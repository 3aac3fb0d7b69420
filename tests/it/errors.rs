//! Every way a call fails: the exact variant, whether the request can have
//! reached the server, how many attempts were made, and that no secret ever
//! shows in what an error or a request prints.

use std::time::Duration;

use crate::common::faulty_server::refused_url;
use crate::common::*;
use httpmock::{Then, prelude::*};
use serde_json::json;
use zilliz_import::{Client, CreateImportJob, Delivery, Error, ListImportJobs, RetryPolicy};
use zilliz_import::{ErrorKind, Target};

/// A server that answers anything, to count what a refused call still sent.
async fn catch_all(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(created_body());
        })
        .await
}

/// The one call a test makes; each has its own path.
enum Call {
    Create(Box<CreateImportJob>),
    Describe,
    List,
}

impl Call {
    fn create(job: CreateImportJob) -> Call {
        Call::Create(Box::new(job))
    }

    fn path(&self) -> &'static str {
        match self {
            Call::Create(_) => CREATE_PATH,
            Call::Describe => DESCRIBE_PATH,
            Call::List => LIST_PATH,
        }
    }

    async fn fail(self, c: &Client) -> Error {
        match self {
            Call::Create(job) => c.create_import_job(*job).await.map(drop),
            Call::Describe => c
                .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
                .await
                .map(drop),
            Call::List => c
                .list_import_jobs(&ListImportJobs::new(CLUSTER))
                .await
                .map(drop),
        }
        .unwrap_err()
    }
}

/// Serves `reply` to every POST on the call's path, makes the call with the
/// client `make` builds for the server, and returns the error and how many
/// requests the server answered.
async fn fails(
    call: Call,
    make: impl FnOnce(&str) -> Client,
    reply: impl FnOnce(Then),
) -> (Error, usize) {
    let server = MockServer::start_async().await;
    let mock = on_post(&server, call.path(), reply).await;
    let err = call.fail(&make(&server.base_url())).await;
    (err, mock.calls_async().await)
}

fn no_retry(base: &str) -> Client {
    client_with(base, RetryPolicy::none())
}

#[tokio::test]
async fn invalid_creates_name_the_field_and_send_nothing() {
    let server = MockServer::start_async().await;
    let mock = catch_all(&server).await;
    let c = client(&server.base_url());

    let cases: Vec<(&str, CreateImportJob, &str)> = vec![
        (
            "empty cluster id",
            CreateImportJob::new("", COLLECTION, SEED_URL),
            "clusterId",
        ),
        (
            "blank cluster id",
            CreateImportJob::new("  ", COLLECTION, SEED_URL),
            "clusterId",
        ),
        (
            "empty collection",
            CreateImportJob::new(CLUSTER, "", SEED_URL),
            "collectionName",
        ),
        (
            "unparsable object URL",
            CreateImportJob::new(CLUSTER, COLLECTION, "not a url"),
            "objectUrl",
        ),
        (
            "empty object URL",
            CreateImportJob::new(CLUSTER, COLLECTION, ""),
            "objectUrl",
        ),
        (
            "unparsable URL in a group",
            CreateImportJob::with_object_urls(
                CLUSTER,
                COLLECTION,
                owned(&[&["s3://bucket/a.parquet", "::nope::"]]),
            ),
            "objectUrls",
        ),
        (
            "no groups",
            CreateImportJob::with_object_urls(CLUSTER, COLLECTION, owned(&[])),
            "objectUrls",
        ),
        (
            "an empty group",
            CreateImportJob::with_object_urls(
                CLUSTER,
                COLLECTION,
                owned(&[&["s3://bucket/a.parquet"], &[]]),
            ),
            "objectUrls",
        ),
        (
            "access key without secret key",
            seed_job().access_key(ACCESS_KEY),
            "secretKey",
        ),
        (
            "secret key without access key",
            seed_job().secret_key(SECRET_KEY),
            "accessKey",
        ),
        (
            "session token without credentials",
            seed_job().session_token(SESSION_TOKEN),
            "token",
        ),
        ("empty partition", seed_job().partition(""), "partitionName"),
        ("empty database", seed_job().database(" "), "dbName"),
        (
            "empty idempotency key",
            seed_job().idempotency_key(""),
            "Idempotency-Key",
        ),
        (
            "too long idempotency key",
            seed_job().idempotency_key("k".repeat(257)),
            "Idempotency-Key",
        ),
        (
            "non-ASCII idempotency key",
            seed_job().idempotency_key("clé"),
            "Idempotency-Key",
        ),
    ];
    for (what, job, expected) in cases {
        assert!(
            job.validate().is_err(),
            "{what}: validate() should refuse it"
        );
        let err = c.create_import_job(job).await.unwrap_err();
        match err.kind() {
            ErrorKind::InvalidInput { field, .. } => assert_eq!(*field, expected, "{what}"),
            other => panic!("{what}: expected InvalidInput, got {other:?}"),
        }
        assert_eq!(err.delivery(), Delivery::NotSent, "{what}");
        assert!(!err.may_have_been_sent(), "{what}");
        assert_eq!(err.attempts(), 0, "{what}");
        assert_eq!(err.status(), None, "{what}");
    }
    // The longest allowed key passes validation.
    seed_job()
        .idempotency_key("k".repeat(256))
        .validate()
        .unwrap();
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn invalid_describe_arguments_send_nothing() {
    let server = MockServer::start_async().await;
    let mock = catch_all(&server).await;
    let c = client(&server.base_url());

    for (cluster, job, expected) in [("", JOB_ID, "clusterId"), (CLUSTER, " ", "jobId")] {
        let err = c
            .describe_import_job(&Target::cluster(cluster), job)
            .await
            .unwrap_err();
        assert_invalid_input(&err, expected);
        assert_eq!(err.delivery(), Delivery::NotSent);
    }
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_error_code_with_http_200_is_an_api_error() {
    let (err, calls) = fails(Call::create(seed_job()), client, |then| {
        then.status(200)
            .json_body(json!({"code": 96018, "message": "cluster not found"}));
    })
    .await;

    assert_eq!(api_fields(&err), (96018, "cluster not found", 200, None, 1));
    assert_eq!(err.api_code(), Some(96018));
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.delivery(), Delivery::Received);
    assert_eq!(
        err.to_string(),
        "API error 96018 (HTTP 200): cluster not found"
    );
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn a_bad_key_is_an_api_error_with_status_401_and_the_request_id() {
    let (err, calls) = fails(Call::Describe, client, |then| {
        then.status(401)
            .header("content-type", "application/json")
            .header("requestid", "0a1b2c3d")
            .body(r#"{"code":21119,"message":"The apikey is illegal."}"#);
    })
    .await;

    assert_eq!(
        api_fields(&err),
        (21119, "The apikey is illegal.", 401, Some("0a1b2c3d"), 1),
        "a 401 is not retried"
    );
    assert_eq!(err.delivery(), Delivery::Received);
    assert_eq!(
        err.to_string(),
        "API error 21119 (HTTP 401) [request id 0a1b2c3d]: The apikey is illegal."
    );
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn an_html_gateway_error_is_an_http_error_with_a_bounded_excerpt() {
    let page = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "x".repeat(10_000)
    );
    let (err, calls) = fails(Call::Describe, no_retry, |then| {
        then.status(502)
            .header("content-type", "text/html")
            .header("x-request-id", "gw-7")
            .body(page.clone());
    })
    .await;

    match err.kind() {
        ErrorKind::Http {
            excerpt,
            retry_after,
            ..
        } => {
            assert_eq!(err.status(), Some(502));
            assert!(
                excerpt.starts_with("<html><head><title>502 Bad Gateway</title>"),
                "{excerpt}"
            );
            let n = excerpt.chars().count();
            assert!((100..=300).contains(&n), "excerpt of {n} chars");
            assert!(excerpt.ends_with('…'), "a cut excerpt says so: {excerpt}");
            assert!(page.starts_with(excerpt.trim_end_matches('…')));
            assert_eq!(*retry_after, None);
            assert_eq!(err.request_id(), Some("gw-7"));
            assert_eq!(err.attempts(), 1);
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert_eq!(err.delivery(), Delivery::Received);
    assert!(err.to_string().len() < 600, "Display stays bounded");
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn a_200_that_is_not_json_is_a_decode_error() {
    let (err, calls) = fails(Call::List, client, |then| {
        then.status(200)
            .header("content-type", "text/plain")
            .body("upstream said hello");
    })
    .await;

    match err.kind() {
        ErrorKind::Decode { excerpt, .. } => {
            assert_eq!(err.status(), Some(200));
            assert_eq!(excerpt, "upstream said hello");
            assert_eq!(err.attempts(), 1, "an undecodable answer is not retried");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(err.delivery(), Delivery::Received);
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn a_success_without_data_is_a_decode_error() {
    let (err, _) = fails(Call::create(seed_job()), client, |then| {
        then.status(200).json_body(json!({"code": 0}));
    })
    .await;

    assert_decode(&err, 200, 1);
}

#[tokio::test]
async fn an_oversized_answer_is_not_read() {
    let small = |base: &str| {
        Client::builder()
            .api_key(API_KEY)
            .base_url(base)
            .max_response_bytes(128)
            .build()
            .unwrap()
    };
    let (err, _) = fails(Call::Describe, small, |then| {
        then.status(200).json_body(json!({
            "code": 0,
            "data": {"jobId": JOB_ID, "fileName": "f".repeat(500)},
        }));
    })
    .await;

    assert!(
        (matches!(err.kind(), ErrorKind::BodyTooLarge { limit: 128, .. })
            && err.status() == Some(200)
            && err.attempts() == 1),
        "{err:?}"
    );
    assert_eq!(err.delivery(), Delivery::Received);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_and_nothing_was_sent() {
    let base = refused_url();
    let err = client_with(&base, RetryPolicy::none())
        .create_import_job(seed_job())
        .await
        .unwrap_err();

    assert!(
        (matches!(err.kind(), ErrorKind::Connect) && err.attempts() == 1),
        "{err:?}"
    );
    assert_eq!(err.delivery(), Delivery::NotSent);
    assert!(!err.may_have_been_sent());
    assert_eq!(err.status(), None);
    assert_error_redacted(&err);
}

/// On tokio's paused clock the call ends at its 200 ms timeout, whatever
/// the machine: the server's answer, 3 s of real time away, cannot come
/// first.
#[tokio::test(start_paused = true)]
async fn a_server_slower_than_the_timeout_is_a_timeout_and_maybe_sent() {
    let started = tokio::time::Instant::now();
    let (err, _) = fails(
        Call::create(seed_job()),
        |base| timing_out(base, 200),
        |then| {
            then.status(200)
                .json_body(created_body())
                .delay(Duration::from_secs(3));
        },
    )
    .await;

    assert_took(started.elapsed(), Duration::from_millis(200));
    assert!(
        (matches!(err.kind(), ErrorKind::Timeout) && err.attempts() == 1),
        "{err:?}"
    );
    assert_eq!(err.delivery(), Delivery::MaybeSent);
    assert!(err.may_have_been_sent());
    assert_error_redacted(&err);
}

// ------------------------------------------------------------- redaction

#[test]
fn client_debug_shows_no_key() {
    let base = UNUSED_BASE_URL;
    let c = Client::builder()
        .api_key(API_KEY)
        .base_url(base)
        .retry(RetryPolicy::none())
        .header("X-Proxy-Auth", SECRET_KEY)
        .build()
        .unwrap();
    let debug = format!("{c:?}");
    assert_eq!(
        debug,
        format!(
            "Client {{ base_url: \"{base}\", api_key: \"<redacted>\", retry: {:?}, .. }}",
            RetryPolicy::none()
        )
    );
    assert_no_secrets("Client Debug", &debug);

    let builder = Client::builder()
        .api_key(API_KEY)
        .header("X-Proxy-Auth", SECRET_KEY);
    let debug = format!("{builder:?}");
    assert!(debug.contains("api_key: Some(\"<redacted>\")"), "{debug}");
    assert!(
        debug.contains("headers: [(\"X-Proxy-Auth\", \"<redacted>\")]"),
        "{debug}"
    );
    assert_no_secrets("ClientBuilder Debug", &debug);
}

#[test]
fn create_request_debug_is_redacted_exactly() {
    let job = CreateImportJob::new(CLUSTER, COLLECTION, SEED_URL)
        .partition("p2024")
        .database("analytics")
        .storage_credentials(ACCESS_KEY, SECRET_KEY)
        .session_token(SESSION_TOKEN)
        .idempotency_key("key-1");
    assert_eq!(
        format!("{job:?}"),
        format!(
            "CreateImportJob {{ target: Target {{ cloud: Some(Cluster {{ cluster_id: \"{CLUSTER}\" }}), \
             database: Some(\"analytics\") }}, collection_name: \"{COLLECTION}\", \
             partition_name: Some(\"p2024\"), source: ObjectUrl(\"{SEED_URL}\"), \
             access_key: Some(\"{ACCESS_KEY}\"), secret_key: Some(\"<redacted>\"), \
             token: Some(\"<redacted>\"), options: {{}}, idempotency_key: Key(\"key-1\") }}"
        )
    );
    assert_no_secrets("CreateImportJob Debug", &format!("{job:?}"));
    assert_no_secrets("CreateImportJob Debug (pretty)", &format!("{job:#?}"));
}

#[test]
fn create_request_debug_hides_presigned_queries() {
    let single = CreateImportJob::new(CLUSTER, COLLECTION, presigned_url())
        .storage_credentials(ACCESS_KEY, SECRET_KEY)
        .session_token(SESSION_TOKEN)
        .generate_idempotency_key();
    let debug = format!("{single:?}");
    assert!(
        debug.contains("source: ObjectUrl(\"https://bucket.s3.amazonaws.com/data/a.parquet?"),
        "{debug}"
    );
    assert!(debug.contains("idempotency_key: Generate"), "{debug}");
    assert_no_secrets("CreateImportJob Debug", &debug);
    assert_no_secrets("CreateImportJob Debug (pretty)", &format!("{single:#?}"));

    let grouped = CreateImportJob::with_object_urls(
        CLUSTER,
        COLLECTION,
        [vec![presigned_url(), "s3://bucket/b.parquet".to_string()]],
    );
    let debug = format!("{grouped:?}");
    assert!(debug.contains("\"s3://bucket/b.parquet\"]])"), "{debug}");
    assert_no_secrets("CreateImportJob Debug (groups)", &debug);
}

/// The documented placeholder is `<redacted>`, but `url::Url::set_query`
/// percent-encodes it in an https URL's query, printing `?%3Credacted%3E`.
#[test]
fn a_presigned_query_prints_as_the_redacted_placeholder() {
    let job = CreateImportJob::with_object_urls(
        CLUSTER,
        COLLECTION,
        [vec![presigned_url(), "s3://bucket/b.parquet".to_string()]],
    );
    let debug = format!("{job:?}");
    assert!(
        debug.contains(
            "source: ObjectUrls([[\"https://bucket.s3.amazonaws.com/data/a.parquet?<redacted>\", \"s3://bucket/b.parquet\"]])"
        ),
        "{debug}"
    );
}

#[tokio::test]
async fn validation_errors_do_not_print_a_presigned_query() {
    let server = MockServer::start_async().await;
    let mock = catch_all(&server).await;
    let c = client(&server.base_url());
    for url in [
        format!("not a url?{PRESIGNED_QUERY}"),
        format!("s3:///no-bucket?{PRESIGNED_QUERY}"),
    ] {
        let job = CreateImportJob::new(CLUSTER, COLLECTION, url.clone())
            .storage_credentials(ACCESS_KEY, SECRET_KEY)
            .session_token(SESSION_TOKEN);
        let err = c.create_import_job(job).await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::InvalidInput {
                    field: "objectUrl",
                    ..
                }
            ),
            "{url}: {err:?}"
        );
        assert_error_redacted(&err);
    }
    mock.assert_calls_async(0).await;
}

/// The secrets a create carries, and a message echoing all of them.
fn secret_job() -> CreateImportJob {
    CreateImportJob::new(CLUSTER, COLLECTION, presigned_url())
        .storage_credentials(ACCESS_KEY, SECRET_KEY)
        .session_token(SESSION_TOKEN)
}

fn echo() -> String {
    format!(
        "denied: key {API_KEY} secret {SECRET_KEY} token {SESSION_TOKEN} url {}",
        presigned_url()
    )
}

#[tokio::test]
async fn a_server_message_echoing_secrets_is_scrubbed() {
    let (err, _) = fails(Call::create(secret_job()), client, |then| {
        then.status(200)
            .json_body(json!({"code": 83001, "message": echo()}));
    })
    .await;

    let (code, message, ..) = api_fields(&err);
    assert_eq!(code, 83001);
    assert_eq!(
        message,
        "denied: key <redacted> secret <redacted> token <redacted> \
         url https://bucket.s3.amazonaws.com/data/a.parquet?<redacted>"
    );
    assert_error_redacted(&err);
}

#[tokio::test]
async fn body_excerpts_echoing_secrets_are_scrubbed() {
    let text_echo = |status: u16| {
        move |then: Then| {
            then.status(status)
                .header("content-type", "text/plain")
                .body(echo());
        }
    };
    let (err, _) = fails(Call::create(secret_job()), no_retry, text_echo(502)).await;
    assert!(
        (matches!(err.kind(), ErrorKind::Http { .. }) && err.status() == Some(502)),
        "{err:?}"
    );
    assert_error_redacted(&err);

    let (err, _) = fails(Call::create(secret_job()), client, text_echo(200)).await;
    let ErrorKind::Decode { excerpt, .. } = err.kind() else {
        panic!("expected Decode, got {err:?}");
    };
    assert!(
        excerpt.starts_with("denied: key <redacted> secret <redacted>"),
        "{excerpt}"
    );
    assert_error_redacted(&err);
}

/// A JSON answer whose `code` is a string echoing the secret key: serde's
/// message quotes the string, and `Decode::reason` keeps that message.
#[tokio::test]
async fn a_decode_reason_quoting_a_secret_is_scrubbed() {
    let (err, _) = fails(Call::create(secret_job()), client, |then| {
        then.status(200)
            .json_body(json!({"code": format!("bad secret {SECRET_KEY}")}));
    })
    .await;

    assert!(
        (matches!(err.kind(), ErrorKind::Decode { .. }) && err.status() == Some(200)),
        "{err:?}"
    );
    assert_error_redacted(&err);
}

/// An error envelope the generated type cannot hold (a string `code`, a
/// `data` of the wrong shape) is still an API error, and keeps the request
/// id of the answer it came in: the crate decodes with the headers at hand.
#[tokio::test]
async fn an_untyped_200_error_envelope_keeps_its_request_id() {
    use crate::common::faulty_server::{Fault, FaultyServer};
    for body in [
        json!({"code": "96026", "message": "job not found"}),
        json!({"code": 96026, "message": "job not found", "data": {}}),
        json!({"code": 96026, "message": "job not found", "data": "none"}),
    ] {
        let server =
            FaultyServer::start(vec![Fault::json(200, &body, &[("requestid", "req-77")])]).await;
        let e = client(server.url())
            .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
            .await
            .unwrap_err();
        assert_eq!(
            api_fields(&e),
            (96026, "job not found", 200, Some("req-77"), 1),
            "{body}"
        );
        assert_eq!(server.requests_received(), 1);
    }
}

/// A created job's id is handed back as the server sent it (the calls that
/// name the job need it so), unless it holds a credential of the request:
/// then it is no id to print or send, and the create fails with a `Decode`
/// error that shows none of it. An id that merely looks odd is kept.
#[tokio::test]
async fn a_job_id_holding_a_credential_is_refused_and_a_plain_one_kept() {
    use crate::common::faulty_server::{Fault, FaultyServer};
    let created = |id: &str| Fault::json(200, &json!({"code": 0, "data": {"jobId": id}}), &[]);
    for id in [
        SECRET_KEY.to_owned(),
        format!("job {SESSION_TOKEN}"),
        format!("job-{API_KEY}"),
    ] {
        let server = FaultyServer::start(vec![created(&id)]).await;
        let e = client(server.url())
            .create_import_job(secret_job())
            .await
            .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decode { .. }), "{id}: {e:?}");
        assert_eq!(e.delivery(), Delivery::Received, "{id}");
        assert_no_secrets("Display", &e.to_string());
        assert_no_secrets("Debug", &format!("{e:?}"));
    }
    for id in ["448707763884413158", "job-7f3a.b_c:d", "4487\u{200B}07"] {
        let server = FaultyServer::start(vec![created(id)]).await;
        let got = client(server.url())
            .create_import_job(secret_job())
            .await
            .unwrap();
        assert_eq!(got.job_id, id);
    }
}
