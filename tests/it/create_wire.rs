//! "On the wire, for create": what a create sends, byte for byte where the
//! API cares, and how its answer decodes; plus the client configuration that
//! decides where and how it is sent.

use crate::common::faulty_server::{Fault, FaultyServer};
use crate::common::*;
use httpmock::{Then, When, prelude::*};
use serde_json::json;
use zilliz_import::Target;
use zilliz_import::{
    CHINA_BASE_URL, Client, CreateImportJob, CreatedImportJob, ENV_API_KEY, ENV_BASE_URL,
    GLOBAL_BASE_URL, Region,
};

const USER_AGENT: &str = "zilliz-import/0.1.0";

fn seed_response() -> serde_json::Value {
    created_body()
}

/// Sends `job` to a fresh server whose create mock (a POST to the create
/// path) also requires what `when` adds and answers as `then`; checks the
/// mock matched exactly once and returns the create's result.
async fn create_once(
    job: CreateImportJob,
    when: impl FnOnce(When),
    then: impl FnOnce(Then),
) -> CreatedImportJob {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|w, t| {
            when(w.method(POST).path(CREATE_PATH));
            then(t);
        })
        .await;
    let created = client(&server.base_url())
        .create_import_job(job)
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    created
}

/// As [`create_once`] for a create whose body must be exactly `body`,
/// answered with the seed response.
async fn sends_exactly(job: CreateImportJob, body: serde_json::Value) -> CreatedImportJob {
    create_once(
        job,
        move |when| {
            when.json_body(body);
        },
        answers_seed,
    )
    .await
}

fn answers_seed(then: Then) {
    then.status(200).json_body(seed_response());
}

#[tokio::test]
async fn seed_example_goes_out_as_documented_and_its_answer_decodes() {
    let created = create_once(
        seed_job(),
        |when| {
            when.header("authorization", format!("Bearer {API_KEY}"))
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .header("user-agent", USER_AGENT)
                .header_missing("idempotency-key")
                // Exact: no partitionName/accessKey/secretKey/objectUrls/... keys.
                .json_body(json!({
                    "clusterId": CLUSTER,
                    "collectionName": COLLECTION,
                    "objectUrl": SEED_URL,
                }));
        },
        |then| {
            then.status(200)
                .header("content-type", "application/json")
                .json_body(seed_response());
        },
    )
    .await;

    assert_eq!(created.job_id, JOB_ID);
    assert_eq!(created.idempotency_key, None);
    assert_eq!(created.request_id, None);
}

#[tokio::test]
async fn partition_and_storage_credentials_are_sent_when_set() {
    let job = seed_job()
        .partition("p2024")
        .storage_credentials(ACCESS_KEY, SECRET_KEY);
    let body = json!({
        "clusterId": CLUSTER,
        "collectionName": COLLECTION,
        "partitionName": "p2024",
        "objectUrl": SEED_URL,
        "accessKey": ACCESS_KEY,
        "secretKey": SECRET_KEY,
    });
    let created = sends_exactly(job, body).await;

    assert_eq!(created.job_id, JOB_ID);
}

#[tokio::test]
async fn object_url_groups_database_and_session_token_are_sent() {
    let body = json!({
        "clusterId": CLUSTER,
        "collectionName": COLLECTION,
        "dbName": "analytics",
        "objectUrls": OBJECT_URL_GROUPS,
        "accessKey": ACCESS_KEY,
        "secretKey": SECRET_KEY,
        "token": SESSION_TOKEN,
    });
    let job = CreateImportJob::with_object_urls(CLUSTER, COLLECTION, owned(&OBJECT_URL_GROUPS))
        .database("analytics")
        .storage_credentials(ACCESS_KEY, SECRET_KEY)
        .session_token(SESSION_TOKEN);
    let created = sends_exactly(job, body).await;

    assert_eq!(created.job_id, JOB_ID);
}

#[tokio::test]
async fn code_200_is_success_and_the_request_id_is_kept() {
    let created = create_once(
        seed_job(),
        |_| {},
        |then| {
            then.status(200)
                .header("requestid", "req-abc-1")
                .json_body(json!({"code": 200, "data": {"jobId": "job-0123456789abcdef"}}));
        },
    )
    .await;

    assert_eq!(created.job_id, "job-0123456789abcdef");
    assert_eq!(created.request_id.as_deref(), Some("req-abc-1"));
}

#[tokio::test]
async fn a_base_url_with_a_trailing_slash_still_hits_the_right_path() {
    let server = MockServer::start_async().await;
    let mock = on_post(&server, CREATE_PATH, answers_seed).await;
    let base = format!("{}/", server.base_url());

    let c = client(&base);
    assert_eq!(c.base_url(), server.base_url());
    let created = c.create_import_job(seed_job()).await.unwrap();

    assert_eq!(created.job_id, JOB_ID);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_given_idempotency_key_is_sent_and_returned() {
    let created = create_once(
        seed_job().idempotency_key("import-2024-04-01-medium"),
        |when| {
            when.header("idempotency-key", "import-2024-04-01-medium")
                .json_body(json!({
                    "clusterId": CLUSTER,
                    "collectionName": COLLECTION,
                    "objectUrl": SEED_URL,
                }));
        },
        answers_seed,
    )
    .await;

    assert_eq!(
        created.idempotency_key.as_deref(),
        Some("import-2024-04-01-medium")
    );
}

#[tokio::test]
async fn a_generated_idempotency_key_is_a_fresh_uuid_sent_and_returned() {
    let server = FaultyServer::start(vec![Fault::json(200, &seed_response(), &[])]).await;
    let c = client(server.url());
    let job = seed_job().generate_idempotency_key();

    let first = c.create_import_job(job.clone()).await.unwrap();
    let second = c.create_import_job(job).await.unwrap();

    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let k1 = first.idempotency_key.expect("a generated key");
    let k2 = second.idempotency_key.expect("a generated key");
    assert!(uuid_regex().is_match(&k1), "{k1}");
    assert!(uuid_regex().is_match(&k2), "{k2}");
    assert_ne!(k1, k2, "each call makes its own key");
    assert_eq!(seen[0].header("idempotency-key"), Some(k1.as_str()));
    assert_eq!(seen[1].header("idempotency-key"), Some(k2.as_str()));
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, CREATE_PATH);
}

#[tokio::test]
async fn extra_headers_and_a_custom_user_agent_are_sent_on_every_request() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(CREATE_PATH)
                .header("x-trace-id", "trace-42")
                .header("user-agent", "my-pipeline/2")
                .header("authorization", format!("Bearer {API_KEY}"));
            then.status(200).json_body(seed_response());
        })
        .await;
    let describe = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(DESCRIBE_PATH)
                .header("x-trace-id", "trace-42")
                .json_body(describe_body());
            then.status(200).json_body(progress("Pending", 0));
        })
        .await;

    let c = Client::builder()
        .api_key(API_KEY)
        .base_url(server.base_url())
        .header("X-Trace-Id", "trace-42")
        .user_agent("my-pipeline/2")
        .build()
        .unwrap();
    c.create_import_job(seed_job()).await.unwrap();
    c.describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();

    create.assert_calls_async(1).await;
    describe.assert_calls_async(1).await;
}

#[test]
fn headers_the_client_owns_cannot_be_overridden() {
    for name in ["Authorization", "content-type"] {
        let err = Client::builder()
            .api_key(API_KEY)
            .header(name, "x")
            .build()
            .unwrap_err();
        assert_eq!(
            err.reason(),
            format!(
                "header `{}` is set by the client and cannot be overridden",
                name.to_ascii_lowercase()
            )
        );
    }
}

#[test]
fn regions_pick_their_control_plane() {
    let global = Client::builder().api_key(API_KEY).build().unwrap();
    assert_eq!(global.base_url(), GLOBAL_BASE_URL);
    assert_eq!(GLOBAL_BASE_URL, CONTROL_PLANE);

    let china = Client::builder()
        .api_key(API_KEY)
        .region(Region::China)
        .build()
        .unwrap();
    assert_eq!(china.base_url(), CHINA_BASE_URL);
    assert_eq!(CHINA_BASE_URL, CONTROL_PLANE_CHINA);
    assert_eq!(Region::China.base_url(), CONTROL_PLANE_CHINA);

    // An explicit base URL wins over the region.
    let custom = Client::builder()
        .api_key(API_KEY)
        .region(Region::China)
        .base_url("https://proxy.example.com/zilliz/")
        .build()
        .unwrap();
    assert_eq!(custom.base_url(), "https://proxy.example.com/zilliz");
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let err = Client::builder()
        .api_key(API_KEY)
        .base_url("http://example.com")
        .build()
        .unwrap_err();
    let msg = err.reason();
    assert!(
        msg.starts_with("base URL `http://example.com`: plain http"),
        "{msg}"
    );
    // Loopback over plain http is fine (emulators, tests).
    Client::builder()
        .api_key(API_KEY)
        .base_url(UNUSED_BASE_URL)
        .build()
        .unwrap();
}

#[test]
fn a_missing_or_blank_api_key_is_refused() {
    let missing = Client::builder().build().unwrap_err();
    let msg = missing.reason();
    assert_eq!(msg, "no API key: call .api_key(..) or set ZILLIZ_API_KEY");

    let _blank = Client::builder().api_key("   ").build().unwrap_err();
}

/// The only test in this binary that touches the environment.
#[tokio::test]
async fn from_env_reads_the_key_and_the_base_url() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(DESCRIBE_PATH)
                .header("authorization", "Bearer ENV-KEY-1");
            then.status(200).json_body(progress("Pending", 0));
        })
        .await;

    // SAFETY: no other test in this binary reads or writes the environment.
    unsafe {
        std::env::set_var(ENV_API_KEY, "ENV-KEY-1");
        std::env::set_var(ENV_BASE_URL, format!("  {}/  ", server.base_url()));
    }
    let from_env = Client::from_env();
    unsafe {
        std::env::remove_var(ENV_API_KEY);
    }
    let without_key = Client::from_env();
    unsafe {
        std::env::remove_var(ENV_BASE_URL);
    }

    let c = from_env.unwrap();
    assert_eq!(c.base_url(), server.base_url());
    c.describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert!(without_key.is_err(), "{without_key:?}");
}
