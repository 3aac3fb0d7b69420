//! Talks to the emulator over real HTTP with plain reqwest and checks exact answers.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use zilliz_import_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, JobState};

const KEY: &str = "secret-test-key";
pub(crate) const CLUSTER: &str = "in01-emulator";
const EXAMPLE_URL: &str = "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json";
pub(crate) const CREATE: &str = "/v2/vectordb/jobs/import/create";
pub(crate) const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
pub(crate) const LIST: &str = "/v2/vectordb/jobs/import/list";

thread_local! {
    // One client per test thread: building a client is slow, and each test has
    // its own runtime (a pooled connection must not outlive its runtime).
    static CLIENT: reqwest::Client = reqwest::Client::new();
}

fn client() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

async fn start_manual(duration: Duration) -> EmulatorHandle {
    Emulator::builder()
        .api_key(KEY)
        .cluster_ids([CLUSTER, "in01-other"])
        .job_duration(duration)
        .fail_when_url_contains("fail")
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

async fn post_raw(
    h: &EmulatorHandle,
    path: &str,
    auth: Option<&str>,
    extra: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = client()
        .post(format!("{}{path}", h.base_url()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = auth {
        req = req.header("authorization", format!("Bearer {key}"));
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let json = resp.json::<Value>().await.expect("JSON answer");
    (status, json)
}

pub(crate) async fn post(h: &EmulatorHandle, path: &str, body: Value) -> (u16, Value) {
    post_raw(h, path, Some(KEY), &[], body.to_string().into_bytes()).await
}

pub(crate) async fn create(h: &EmulatorHandle, collection: &str, url: &str) -> String {
    let (status, body) = post(
        h,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": collection, "objectUrl": url}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 0, "{body}");
    body["data"]["jobId"].as_str().expect("jobId").to_owned()
}

pub(crate) async fn describe(h: &EmulatorHandle, job_id: &str) -> Value {
    let (status, body) = post(h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": job_id})).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 0, "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn bad_or_missing_api_key_is_401_with_21119() {
    let h = start_manual(Duration::from_secs(3)).await;
    let body = json!({"clusterId": CLUSTER, "jobId": "1"}).to_string();
    for auth in [None, Some("wrong"), Some("")] {
        let (status, json) = post_raw(&h, DESCRIBE, auth, &[], body.clone().into_bytes()).await;
        assert_eq!(status, 401);
        assert_eq!(
            json,
            json!({"code": 21119, "message": "The apikey is illegal."})
        );
    }
    let recorded = h.requests();
    assert_eq!(recorded.len(), 3);
    assert!(recorded.iter().all(|r| !r.authorized && r.status == 401));
    assert_eq!(h.job_count(), 0);
}

#[tokio::test]
async fn unknown_path_is_404_with_envelope() {
    let h = start_manual(Duration::from_secs(3)).await;
    let (status, json) = post(&h, "/v2/vectordb/jobs/import/nope", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(
        json,
        json!({"code": 404, "message": "no such endpoint: POST /v2/vectordb/jobs/import/nope"})
    );
}

#[tokio::test]
async fn validation_errors_use_service_codes() {
    let h = start_manual(Duration::from_secs(3)).await;
    let cases = [
        (
            CREATE,
            json!({"clusterId": "", "collectionName": "c", "objectUrl": "s3://b/k"}),
            json!({"code": 96025, "message": "clusterId is empty: set clusterId to the id of your cluster"}),
        ),
        (
            CREATE,
            json!({"clusterId": "in01-nope", "collectionName": "c", "objectUrl": "s3://b/k"}),
            json!({"code": 96018, "message": "cluster not found: clusterId 'in01-nope' does not exist"}),
        ),
        (
            CREATE,
            json!({"clusterId": CLUSTER, "objectUrl": "s3://b/k"}),
            json!({"code": 80000, "message": "invalid parameter: collectionName is required"}),
        ),
        (
            CREATE,
            json!({"clusterId": CLUSTER, "collectionName": "", "objectUrl": "s3://b/k"}),
            json!({"code": 80000, "message": "invalid parameter: collectionName is required"}),
        ),
        (
            CREATE,
            json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "", "objectUrls": []}),
            json!({"code": 80000, "message": "invalid parameter: no data source; set objectUrls (or objectUrl), or volumeName with dataPaths"}),
        ),
        (
            CREATE,
            json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrls": [[""]]}),
            json!({"code": 80000, "message": "invalid parameter: no data source; set objectUrls (or objectUrl), or volumeName with dataPaths"}),
        ),
        (
            DESCRIBE,
            json!({"clusterId": CLUSTER, "jobId": "123"}),
            json!({"code": 96026, "message": "job not found: jobId '123' does not exist in cluster 'in01-emulator'"}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "pageSize": 0}),
            json!({"code": 96008, "message": "pageSize must be between 1 and 100, got 0"}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "pageSize": 101}),
            json!({"code": 96008, "message": "pageSize must be between 1 and 100, got 101"}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "currentPage": 0}),
            json!({"code": 96009, "message": "currentPage must be at least 1, got 0"}),
        ),
        (
            LIST,
            json!({"clusterId": null}),
            json!({"code": 96025, "message": "clusterId is empty: set clusterId to the id of your cluster"}),
        ),
    ];
    for (path, body, expected) in cases {
        let (status, json) = post(&h, path, body.clone()).await;
        assert_eq!(status, 200, "{path} {body}");
        assert_eq!(json, expected, "{path} {body}");
    }
    let (status, json) = post_raw(&h, CREATE, Some(KEY), &[], b"{not json".to_vec()).await;
    assert_eq!(status, 200);
    assert_eq!(
        json,
        json!({"code": 80000, "message": "invalid parameter: the request body is not valid JSON"})
    );
    assert_eq!(h.job_count(), 0);
}

#[tokio::test]
async fn job_moves_through_states_on_manual_clock() {
    let h = start_manual(Duration::from_secs(10)).await;
    let job_id = create(&h, "medium_articles", EXAMPLE_URL).await;
    assert_eq!(job_id.len(), 18);
    assert!(job_id.bytes().all(|b| b.is_ascii_digit()));

    let job = h.jobs().remove(0);
    let file = "medium_articles_2020_dpr/medium_articles_2020_dpr.json";
    assert_eq!(job.file_name, file);
    let expect = |state: &str, progress: i64, complete: &str, rows: i64| {
        json!({
            "jobId": job_id, "collectionName": "medium_articles", "fileName": file,
            "fileSize": job.file_size, "state": state, "progress": progress,
            "completeTime": complete, "reason": "", "totalRows": rows,
            "details": [{
                "fileName": file, "fileSize": job.file_size, "state": state,
                "progress": progress, "completeTime": complete, "reason": "", "totalRows": rows,
            }],
        })
    };

    assert_eq!(describe(&h, &job_id).await, expect("Pending", 0, "", 0));
    h.advance(Duration::from_millis(999));
    assert_eq!(describe(&h, &job_id).await, expect("Pending", 0, "", 0));
    h.advance(Duration::from_millis(1));
    assert_eq!(describe(&h, &job_id).await, expect("Importing", 0, "", 0));
    h.advance(Duration::from_millis(4_500));
    assert_eq!(describe(&h, &job_id).await, expect("Importing", 50, "", 0));
    h.advance(Duration::from_millis(4_499));
    assert_eq!(describe(&h, &job_id).await, expect("Importing", 99, "", 0));
    h.advance(Duration::from_millis(1));

    let done = describe(&h, &job_id).await;
    let complete = done["completeTime"].as_str().expect("string").to_owned();
    let rfc3339 = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$").expect("regex");
    assert!(rfc3339.is_match(&complete), "{complete}");
    let job = h.jobs().remove(0);
    assert!(job.total_rows >= 1_000);
    assert_eq!(done, expect("Completed", 100, &complete, job.total_rows));
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.finished_at, Some(Duration::from_secs(10)));

    // Further time changes nothing.
    h.advance(Duration::from_secs(3600));
    assert_eq!(describe(&h, &job_id).await, done);
}

#[tokio::test]
async fn failing_url_fails_halfway_with_reason() {
    let h = start_manual(Duration::from_secs(10)).await;
    let url = "s3://bucket/please-fail/data.parquet";
    let job_id = create(&h, "c", url).await;
    h.advance(Duration::from_millis(4_999));
    let d = describe(&h, &job_id).await;
    assert_eq!(d["state"], "Importing");
    assert_eq!(d["progress"], 44);
    h.advance(Duration::from_millis(1));
    let d = describe(&h, &job_id).await;
    let size = h.jobs()[0].file_size;
    let reason = "failed to read object s3://bucket/please-fail/data.parquet: access denied (emulated failure)";
    let complete = d["completeTime"].as_str().expect("string").to_owned();
    assert_eq!(complete.len(), 20);
    assert_eq!(
        d,
        json!({
            "jobId": job_id, "collectionName": "c", "fileName": "please-fail/data.parquet",
            "fileSize": size, "state": "Failed", "progress": 44, "completeTime": complete,
            "reason": reason, "totalRows": 0,
            "details": [{
                "fileName": "please-fail/data.parquet", "fileSize": size, "state": "Failed",
                "progress": 44, "completeTime": complete, "reason": reason, "totalRows": 0,
            }],
        })
    );
    let (_, list) = post(&h, LIST, json!({"clusterId": CLUSTER})).await;
    assert_eq!(
        list["data"]["records"],
        json!([{"collectionName": "c", "jobId": job_id, "state": "Failed", "progress": 44}])
    );
}

#[tokio::test]
async fn list_paginates_in_creation_order() {
    let h = start_manual(Duration::from_secs(10)).await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(create(&h, &format!("col{i}"), &format!("s3://b/{i}.json")).await);
    }
    // A job on another cluster is not counted.
    let (_, other) = post(
        &h,
        CREATE,
        json!({"clusterId": "in01-other", "collectionName": "x", "objectUrl": "s3://b/x"}),
    )
    .await;
    assert_eq!(other["code"], 0);
    h.advance(Duration::from_millis(5_500));

    let records = |range: std::ops::Range<usize>| -> Value {
        range
            .map(|i| {
                json!({"collectionName": format!("col{i}"), "jobId": ids[i],
                       "state": "InProgress", "progress": 50})
            })
            .collect()
    };
    let (_, page1) = post(
        &h,
        LIST,
        json!({"clusterId": CLUSTER, "pageSize": 10, "currentPage": 1}),
    )
    .await;
    assert_eq!(
        page1,
        json!({"code": 0, "data": {"count": 25, "currentPage": 1, "pageSize": 10, "records": records(0..10)}})
    );
    let (_, page3) = post(
        &h,
        LIST,
        json!({"clusterId": CLUSTER, "pageSize": 10, "currentPage": 3}),
    )
    .await;
    assert_eq!(
        page3,
        json!({"code": 0, "data": {"count": 25, "currentPage": 3, "pageSize": 10, "records": records(20..25)}})
    );
    let (_, page4) = post(
        &h,
        LIST,
        json!({"clusterId": CLUSTER, "pageSize": 10, "currentPage": 4}),
    )
    .await;
    assert_eq!(
        page4,
        json!({"code": 0, "data": {"count": 25, "currentPage": 4, "pageSize": 10, "records": []}})
    );
    // Defaults (pageSize 10, currentPage 1) with nulls and an empty dbName.
    let (_, defaults) = post(
        &h,
        LIST,
        json!({"clusterId": CLUSTER, "pageSize": null, "currentPage": null, "dbName": ""}),
    )
    .await;
    assert_eq!(defaults, page1);
    // dbName filters: every job went to "default".
    let (_, other_db) = post(
        &h,
        LIST,
        json!({"clusterId": CLUSTER, "dbName": "analytics"}),
    )
    .await;
    assert_eq!(
        other_db,
        json!({"code": 0, "data": {"count": 0, "currentPage": 1, "pageSize": 10, "records": []}})
    );
    h.advance(Duration::from_secs(10));
    let (_, done) = post(
        &h,
        LIST,
        json!({"clusterId": CLUSTER, "pageSize": 1, "currentPage": 25}),
    )
    .await;
    assert_eq!(
        done["data"]["records"],
        json!([{"collectionName": "col24", "jobId": ids[24], "state": "Completed", "progress": 100}])
    );
}

#[tokio::test]
async fn progress_aliases_answer_like_describe() {
    let h = start_manual(Duration::from_secs(10)).await;
    let job_id = create(&h, "c", "s3://bucket/a.parquet").await;
    h.advance(Duration::from_millis(5_500));
    let expected = describe(&h, &job_id).await;
    assert_eq!(expected["progress"], 50);
    for alias in [
        "/v2/vectordb/jobs/import/getProgress",
        "/v2/vectordb/jobs/import/get_progress",
    ] {
        let (status, body) = post(&h, alias, json!({"clusterId": CLUSTER, "jobId": job_id})).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"code": 0, "data": expected}), "{alias}");
    }
}

#[tokio::test]
async fn lenient_bodies_are_accepted() {
    let h = start_manual(Duration::from_secs(10)).await;
    // As the Python SDK sends it: every key, "" for unset strings, null for lists, extras.
    let (_, a) = post(
        &h,
        CREATE,
        json!({
            "clusterId": CLUSTER, "collectionName": "c", "partitionName": "", "dbName": "",
            "objectUrl": "s3://bucket/one.json", "objectUrls": null, "accessKey": "",
            "secretKey": "", "token": "", "unknownKey": {"nested": true}, "apiKey": KEY
        }),
    )
    .await;
    assert_eq!(a["code"], 0, "{a}");
    // objectUrls wins over an empty objectUrl; null entries are skipped.
    let (_, b) = post(
        &h,
        CREATE,
        json!({
            "clusterId": CLUSTER, "collectionName": "c", "partitionName": null,
            "objectUrl": "", "objectUrls": [["s3://bucket/x/1.parquet", "s3://bucket/x/2.parquet"], null],
            "accessKey": null, "secretKey": null
        }),
    )
    .await;
    assert_eq!(b["code"], 0, "{b}");
    // Describe with a numeric jobId and an extra key.
    let id_a = a["data"]["jobId"].as_str().expect("id").to_owned();
    let id_num: u64 = id_a.parse().expect("decimal id");
    let (_, d) = post(
        &h,
        DESCRIBE,
        json!({"clusterId": CLUSTER, "jobId": id_num, "extra": [1]}),
    )
    .await;
    assert_eq!(d["code"], 0, "{d}");
    assert_eq!(d["data"]["jobId"], id_a);
    assert_eq!(d["data"]["fileName"], "one.json");

    let jobs = h.jobs();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].db_name, "default");
    assert_eq!(jobs[0].partition_name, "");
    assert_eq!(jobs[0].object_urls, vec!["s3://bucket/one.json".to_owned()]);
    assert_eq!(
        jobs[1].object_urls,
        vec![
            "s3://bucket/x/1.parquet".to_owned(),
            "s3://bucket/x/2.parquet".to_owned()
        ]
    );
    assert_eq!(jobs[1].file_name, "x/1.parquet,x/2.parquet");
    h.advance(Duration::from_secs(10));
    let d = describe(&h, jobs[1].job_id.as_str()).await;
    let details = d["details"].as_array().expect("details");
    assert_eq!(details.len(), 2);
    assert_eq!(details[0]["fileName"], "x/1.parquet");
    assert_eq!(details[1]["fileName"], "x/2.parquet");
    let sum_rows: i64 = details
        .iter()
        .map(|x| x["totalRows"].as_i64().expect("i64"))
        .sum();
    let sum_size: i64 = details
        .iter()
        .map(|x| x["fileSize"].as_i64().expect("i64"))
        .sum();
    assert_eq!(d["totalRows"].as_i64(), Some(sum_rows));
    assert_eq!(d["fileSize"].as_i64(), Some(sum_size));
    assert_eq!(sum_rows, h.jobs()[1].total_rows);
}

#[tokio::test]
async fn idempotency_key_returns_the_original_job() {
    let h = start_manual(Duration::from_secs(10)).await;
    let body = |collection: &str| {
        json!({"clusterId": CLUSTER, "collectionName": collection, "objectUrl": "s3://b/k.json"})
            .to_string()
            .into_bytes()
    };
    let key = [("Idempotency-Key", "retry-123")];
    let (_, first) = post_raw(&h, CREATE, Some(KEY), &key, body("c1")).await;
    let (_, again) = post_raw(&h, CREATE, Some(KEY), &key, body("c1")).await;
    assert_eq!(first["code"], 0);
    assert_eq!(again, first);
    assert_eq!(h.job_count(), 1);
    // Same key, different collection: a new job.
    let (_, other) = post_raw(&h, CREATE, Some(KEY), &key, body("c2")).await;
    assert_eq!(other["code"], 0);
    assert_ne!(other["data"]["jobId"], first["data"]["jobId"]);
    assert_eq!(h.job_count(), 2);
    // No key: always a new job.
    let (_, plain) = post_raw(&h, CREATE, Some(KEY), &[], body("c1")).await;
    assert_ne!(plain["data"]["jobId"], first["data"]["jobId"]);
    assert_eq!(h.job_count(), 3);
    let jobs = h.jobs();
    assert_eq!(jobs[0].idempotency_key.as_deref(), Some("retry-123"));
    assert_eq!(jobs[2].idempotency_key, None);
    assert_eq!(
        h.requests()[1].idempotency_key.as_deref(),
        Some("retry-123")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_get_distinct_ids() {
    let h = start_manual(Duration::from_secs(10)).await;
    let client = reqwest::Client::new();
    let url = format!("{}{CREATE}", h.base_url());
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let body: Value = client
                    .post(url)
                    .bearer_auth(KEY)
                    .json(&json!({"clusterId": CLUSTER, "collectionName": "c",
                                  "objectUrl": format!("s3://b/{i}.json")}))
                    .send()
                    .await
                    .expect("sent")
                    .json()
                    .await
                    .expect("json");
                body["data"]["jobId"].as_str().expect("jobId").to_owned()
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.expect("task"));
    }
    assert_eq!(ids.len(), 500);
    assert_eq!(h.job_count(), 500);
    let stored: HashSet<String> = h.jobs().into_iter().map(|j| j.job_id).collect();
    assert_eq!(stored, ids);
}

#[tokio::test]
async fn recorded_requests_hold_no_secrets() {
    let h = start_manual(Duration::from_secs(10)).await;
    let (_, created) = post(
        &h,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "s3://b/k.json",
               "accessKey": "AKIA-VERY-SECRET", "secretKey": "SK-VERY-SECRET",
               "token": "SESSION-VERY-SECRET", "apiKey": KEY}),
    )
    .await;
    assert_eq!(created["code"], 0);
    let recorded = h.requests();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, CREATE);
    assert!(r.authorized);
    assert_eq!(r.status, 200);
    assert_eq!(r.code, 0);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        r.body,
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "s3://b/k.json",
               "accessKey": "<redacted>", "secretKey": "<redacted>",
               "token": "<redacted>", "apiKey": "<redacted>"})
    );
    let dump = format!("{recorded:?}");
    for secret in [
        "AKIA-VERY-SECRET",
        "SK-VERY-SECRET",
        "SESSION-VERY-SECRET",
        KEY,
    ] {
        assert!(!dump.contains(secret), "{secret} leaked");
    }
    let debug = format!("{h:?} {:?}", Emulator::builder().api_key(KEY));
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("<redacted>"));
}

#[tokio::test]
async fn defaults_and_shutdown() {
    let h = Emulator::builder().start().await.expect("starts");
    assert_eq!(h.api_key(), "emulator-key");
    assert!(h.local_addr().ip().is_loopback());
    assert_eq!(h.base_url(), format!("http://{}", h.local_addr()));
    let (status, body) = post_raw(
        &h,
        LIST,
        Some("emulator-key"),
        &[],
        json!({"clusterId": "in01-emulator"})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"code": 0, "data": {"count": 0, "currentPage": 1, "pageSize": 10, "records": []}})
    );
    let addr = h.local_addr();
    h.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn real_clock_completes_on_its_own() {
    let h = Emulator::builder()
        .job_duration(Duration::from_millis(200))
        .start()
        .await
        .expect("starts");
    let (_, created) = post_raw(
        &h,
        CREATE,
        Some("emulator-key"),
        &[],
        json!({"clusterId": "in01-emulator", "collectionName": "c", "objectUrl": "s3://b/k"})
            .to_string()
            .into_bytes(),
    )
    .await;
    let job_id = created["data"]["jobId"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let jobs = h.jobs();
    assert_eq!(jobs[0].job_id, job_id);
    assert_eq!(jobs[0].state, JobState::Completed);
    assert_eq!(jobs[0].progress, 100);
}

// ------------------------------------------------------------ bounds and timeouts

pub(crate) fn manual_builder() -> EmulatorBuilder {
    Emulator::builder()
        .api_key(KEY)
        .cluster_ids([CLUSTER])
        .job_duration(Duration::from_secs(10))
        .manual_clock()
}

/// A request head as bytes; `auth` is the bearer token, if any.
fn head(path: &str, auth: Option<&str>, content_length: usize) -> Vec<u8> {
    let mut h = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {content_length}\r\n"
    );
    if let Some(key) = auth {
        h.push_str(&format!("authorization: Bearer {key}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// Reads one response (head and a `content-length` body) within `limit`:
/// status and JSON body, or `None` if the connection ended or time ran out first.
async fn read_response(stream: &mut TcpStream, limit: Duration) -> Option<(u16, Value)> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > 64 * 1024 {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head.get(9..12)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))?
            .trim()
            .parse()
            .ok()?;
        while buf.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = serde_json::from_slice(&buf[head_end..head_end + length]).ok()?;
        Some((status, body))
    };
    timeout(limit, read).await.ok().flatten()
}

/// Waits (at most `limit`) for the server to close the connection: a read
/// that returns end-of-file or an error. Bytes before that (an error page) are
/// skipped. `Some(elapsed)` when it closed, `None` when it was still open.
async fn wait_closed(stream: &mut TcpStream, since: Instant, limit: Duration) -> Option<Duration> {
    let closed = async {
        let mut chunk = [0u8; 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    };
    timeout(limit, closed).await.ok()
}

#[tokio::test]
async fn the_request_log_is_a_ring_of_the_most_recent_requests() {
    const CAPACITY: usize = 5;
    const EXTRA: usize = 3;
    let h = manual_builder()
        .request_log_capacity(CAPACITY)
        .start()
        .await
        .expect("emulator starts");
    for i in 0..CAPACITY + EXTRA {
        let job_id = format!("job-{i}");
        let (status, body) =
            post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": job_id})).await;
        assert_eq!((status, body["code"].clone()), (200, json!(96026)));
    }
    let kept: Vec<Value> = h
        .requests()
        .into_iter()
        .map(|r| r.body["jobId"].clone())
        .collect();
    let expected: Vec<Value> = (EXTRA..CAPACITY + EXTRA)
        .map(|i| json!(format!("job-{i}")))
        .collect();
    assert_eq!(kept, expected, "the oldest {EXTRA} dropped, order kept");

    // The default keeps a load test's worth.
    let h = manual_builder().start().await.expect("emulator starts");
    for _ in 0..3 {
        post(&h, LIST, json!({"clusterId": CLUSTER})).await;
    }
    assert_eq!(h.requests().len(), 3);
    assert_eq!(zilliz_import_emulator::DEFAULT_REQUEST_LOG_CAPACITY, 16_384);
}

#[tokio::test]
async fn an_unauthenticated_body_is_neither_read_nor_recorded() {
    // A long body timeout: if the server waited for the body, the 401 below
    // would take 30 seconds instead of arriving at once.
    let h = manual_builder()
        .body_read_timeout(Duration::from_secs(30))
        .start()
        .await
        .expect("emulator starts");

    // 1. A head announcing 1 MiB that never comes: answered at once.
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    s.write_all(&head(DESCRIBE, Some("wrong-key"), 1 << 20))
        .await
        .expect("head sent");
    let started = Instant::now();
    let answer = read_response(&mut s, Duration::from_secs(5)).await;
    assert_eq!(
        answer,
        Some((
            401,
            json!({"code": 21119, "message": "The apikey is illegal."})
        ))
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The body is not waited for: the server closes the connection.
    assert!(
        wait_closed(&mut s, started, Duration::from_secs(5))
            .await
            .is_some()
    );

    // 2. A large, valid JSON body sent in full without a key.
    let big = json!({"clusterId": CLUSTER, "jobId": "1", "pad": vec![0; 400_000]}).to_string();
    assert!(big.len() > 500_000);
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    let mut request = head(DESCRIBE, None, big.len());
    request.extend_from_slice(big.as_bytes());
    let (mut rd, mut wr) = s.split();
    // The server may close before taking it all; a failed write is fine.
    let write = async {
        let _ = wr.write_all(&request).await;
    };
    let read = async {
        let mut got = Vec::new();
        let _ = timeout(Duration::from_secs(5), rd.read_to_end(&mut got)).await;
        got
    };
    let ((), got) = tokio::join!(write, read);
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");

    // 3. An authorized request still has its body recorded.
    post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": "7"})).await;

    let recorded: Vec<(bool, u16, i64, Value)> = h
        .requests()
        .into_iter()
        .map(|r| (r.authorized, r.status, r.code, r.body))
        .collect();
    assert_eq!(
        recorded,
        [
            (false, 401, 21119, Value::Null),
            (false, 401, 21119, Value::Null),
            (
                true,
                200,
                96026,
                json!({"clusterId": CLUSTER, "jobId": "7"})
            ),
        ]
    );
}

#[tokio::test]
async fn bodies_are_bounded_in_size_and_time() {
    let h = manual_builder()
        .body_read_timeout(Duration::from_millis(500))
        .start()
        .await
        .expect("emulator starts");
    let limit = zilliz_import_emulator::MAX_BODY_BYTES;
    assert_eq!(limit, 2 * 1024 * 1024);

    // Declared larger than the limit: 413 without reading it.
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    s.write_all(&head(DESCRIBE, Some(KEY), limit + 1))
        .await
        .expect("head sent");
    let started = Instant::now();
    let answer = read_response(&mut s, Duration::from_secs(5)).await;
    assert_eq!(
        answer,
        Some((
            413,
            json!({"code": 413, "message": "request body too large: at most 2097152 bytes are accepted"})
        ))
    );
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    // A body that stops halfway: 408 once the body timeout has passed.
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    s.write_all(&head(DESCRIBE, Some(KEY), 100))
        .await
        .expect("head sent");
    s.write_all(br#"{"clusterId":"#).await.expect("part sent");
    let started = Instant::now();
    let answer = read_response(&mut s, Duration::from_secs(5)).await;
    let waited = started.elapsed();
    assert_eq!(
        answer,
        Some((
            408,
            json!({"code": 408, "message": "request body not received within 500ms"})
        ))
    );
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_secs(3),
        "{waited:?}"
    );

    // A chunked body that runs past the limit: 413.
    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    let chunked = format!(
        "POST {DESCRIBE} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {KEY}\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    s.write_all(chunked.as_bytes()).await.expect("head sent");
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    let answer = loop {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if s.write_all(&frame).await.is_err() || sent > limit + chunk.len() {
            break read_response(&mut s, Duration::from_secs(5)).await;
        }
        sent += chunk.len();
    };
    assert_eq!(answer.map(|(status, _)| status), Some(413));

    let recorded: Vec<(u16, Value)> = h
        .requests()
        .into_iter()
        .map(|r| (r.status, r.body))
        .collect();
    assert_eq!(
        recorded,
        [(413, Value::Null), (408, Value::Null), (413, Value::Null)]
    );
}

#[tokio::test]
async fn slow_header_drippers_are_cut_while_others_are_served() {
    const DRIPPERS: usize = 64;
    const SILENT: usize = 8;
    const TIMEOUT: Duration = Duration::from_millis(1_500);
    let h = manual_builder()
        .header_read_timeout(TIMEOUT)
        .start()
        .await
        .expect("emulator starts");
    let addr = h.local_addr();

    // Each dripper sends a request line, then one header line every 100 ms
    // (at most 60, so 6 s) and never the blank line that ends the head; the
    // silent ones send nothing. Each reports when the server closed it.
    let mut tasks = Vec::new();
    for i in 0..DRIPPERS + SILENT {
        let drips = i < DRIPPERS;
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let mut s = TcpStream::connect(addr).await.expect("connects");
            let (mut rd, mut wr) = s.split();
            let drip = async {
                if !drips {
                    return std::future::pending::<()>().await;
                }
                if wr
                    .write_all(format!("POST {LIST} HTTP/1.1\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    return std::future::pending().await;
                }
                for n in 0..60 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if wr
                        .write_all(format!("x-drip-{n}: a\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                std::future::pending().await
            };
            let closed = async {
                let mut chunk = [0u8; 1024];
                loop {
                    match rd.read(&mut chunk).await {
                        Ok(0) | Err(_) => return started.elapsed(),
                        Ok(_) => {}
                    }
                }
            };
            timeout(Duration::from_secs(8), async {
                tokio::select! {
                    () = drip => unreachable!(),
                    at = closed => at,
                }
            })
            .await
            .ok()
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // With them all open, a normal request is answered well within the timeout.
    let started = Instant::now();
    let (status, body) = post(&h, LIST, json!({"clusterId": CLUSTER})).await;
    let took = started.elapsed();
    assert_eq!((status, body["code"].clone()), (200, json!(0)));
    assert!(took < Duration::from_millis(1_000), "{took:?}");

    let mut closed_at = Vec::new();
    for task in tasks {
        closed_at.push(task.await.expect("task ran"));
    }
    let cut: Vec<Duration> = closed_at.iter().flatten().copied().collect();
    assert_eq!(
        cut.len(),
        DRIPPERS + SILENT,
        "every slow connection closed: {closed_at:?}"
    );
    let early = cut
        .iter()
        .filter(|&&t| t < TIMEOUT - Duration::from_millis(100))
        .count();
    let late = cut
        .iter()
        .filter(|&&t| t > TIMEOUT + Duration::from_secs(3))
        .count();
    assert_eq!((early, late), (0, 0), "closed at the timeout: {cut:?}");
    // Cut before a head was complete, so none of them made a request.
    assert_eq!(h.requests().len(), 1);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    const TIMEOUT: Duration = Duration::from_millis(1_000);
    let h = manual_builder()
        .header_read_timeout(TIMEOUT)
        .start()
        .await
        .expect("emulator starts");
    let body = json!({"clusterId": CLUSTER}).to_string();
    let mut request = head(LIST, Some(KEY), body.len());
    request.extend_from_slice(body.as_bytes());
    let empty =
        json!({"code": 0, "data": {"count": 0, "currentPage": 1, "pageSize": 10, "records": []}});

    let mut s = TcpStream::connect(h.local_addr()).await.expect("connects");
    // Two requests on one connection, 600 ms apart (less than the timeout):
    // the connection is kept alive between them.
    for pause in [Duration::ZERO, Duration::from_millis(600)] {
        tokio::time::sleep(pause).await;
        s.write_all(&request).await.expect("request sent");
        let answer = read_response(&mut s, Duration::from_secs(5)).await;
        assert_eq!(answer, Some((200, empty.clone())));
    }
    // Then idle: closed by the server once the timeout has passed.
    let idle_since = Instant::now();
    let closed = wait_closed(&mut s, idle_since, Duration::from_secs(6)).await;
    let closed = closed.expect("the idle connection was closed");
    assert!(
        closed >= TIMEOUT - Duration::from_millis(100) && closed < TIMEOUT + Duration::from_secs(3),
        "{closed:?}"
    );
    assert_eq!(h.requests().len(), 2);
}

#[tokio::test]
async fn finished_jobs_beyond_the_limit_are_forgotten() {
    let h = manual_builder()
        .job_limit(2)
        .start()
        .await
        .expect("emulator starts");
    let a = create(&h, "c", "s3://b/a.json").await;
    let b = create(&h, "c", "s3://b/b.json").await;
    let c = create(&h, "c", "s3://b/c.json").await;
    // Three running jobs are all kept, whatever the limit.
    assert_eq!(h.job_count(), 3);
    h.advance(Duration::from_secs(10));
    let d = create(&h, "c", "s3://b/d.json").await;
    let held: Vec<String> = h.jobs().into_iter().map(|j| j.job_id).collect();
    assert_eq!(held, [c.clone(), d.clone()]);
    for gone in [&a, &b] {
        let (_, body) = post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": gone})).await;
        assert_eq!(body["code"], 96026, "{body}");
    }
    assert_eq!(describe(&h, &c).await["state"], "Completed");
    let (_, list) = post(&h, LIST, json!({"clusterId": CLUSTER})).await;
    assert_eq!(list["data"]["count"], 2);
    let listed: Vec<&str> = list["data"]["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["jobId"].as_str().expect("id"))
        .collect();
    assert_eq!(listed, [c.as_str(), d.as_str()]);
}

#[tokio::test]
async fn hostile_values_get_envelopes_not_panics() {
    let h = manual_builder().start().await.expect("emulator starts");
    let id = create(&h, "c", "s3://b/a.json").await;
    let cases = [
        (
            LIST,
            json!({"clusterId": CLUSTER, "pageSize": 100, "currentPage": i64::MAX}),
            json!({"code": 0, "data": {"count": 1, "currentPage": i64::MAX, "pageSize": 100, "records": []}}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "currentPage": u64::MAX}),
            json!({"code": 80000, "message": "invalid parameter: currentPage must be an integer"}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "pageSize": 1e300}),
            json!({"code": 80000, "message": "invalid parameter: pageSize must be an integer"}),
        ),
        (
            LIST,
            json!({"clusterId": CLUSTER, "currentPage": i64::MIN}),
            json!({"code": 96009, "message": format!("currentPage must be at least 1, got {}", i64::MIN)}),
        ),
        (
            DESCRIBE,
            json!({"clusterId": CLUSTER, "jobId": u64::MAX}),
            json!({"code": 96026, "message": format!("job not found: jobId '{}' does not exist in cluster '{CLUSTER}'", u64::MAX)}),
        ),
        (
            DESCRIBE,
            json!({"clusterId": CLUSTER, "jobId": format!("+{id}")}),
            json!({"code": 96026, "message": format!("job not found: jobId '+{id}' does not exist in cluster '{CLUSTER}'")}),
        ),
        (
            DESCRIBE,
            json!({"clusterId": CLUSTER, "jobId": "é€😀"}),
            json!({"code": 96026, "message": format!("job not found: jobId 'é€😀' does not exist in cluster '{CLUSTER}'")}),
        ),
        (
            CREATE,
            json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrls": [[1]]}),
            json!({"code": 80000, "message": "invalid parameter: objectUrls must be an array of arrays of strings"}),
        ),
        (
            CREATE,
            json!({"clusterId": [], "collectionName": "c", "objectUrl": "s3://b/k"}),
            json!({"code": 80000, "message": "invalid parameter: clusterId must be a string"}),
        ),
    ];
    for (path, body, expected) in cases {
        let (status, answer) = post(&h, path, body.clone()).await;
        assert_eq!((status, answer), (200, expected), "{path} {body}");
    }
    // Nothing was stored by them, and the server still answers.
    assert_eq!(h.job_count(), 1);
    assert_eq!(describe(&h, &id).await["jobId"], id.as_str());
}

/// The outside tester's setup: the emulator under a 256-descriptor limit and
/// 300 clients dripping header lines at it. The emulator runs in a child
/// process (this test binary again, under `ulimit -n 256`, printing its
/// address), so the low limit is the server's alone, as it was for the tester.
#[tokio::test]
async fn under_a_256_descriptor_limit_300_drippers_do_not_starve_a_normal_request() {
    use tokio::io::AsyncBufReadExt;

    const CHILD: &str = "ZI_EMULATOR_FD_LIMIT_CHILD";
    // The test's name in the `it` binary, for `--exact`.
    const NAME: &str =
        "http::under_a_256_descriptor_limit_300_drippers_do_not_starve_a_normal_request";
    if std::env::var_os(CHILD).is_some() {
        // The child: serve for at most 40 s.
        let h = manual_builder()
            .header_read_timeout(Duration::from_millis(1_000))
            .start()
            .await
            .expect("emulator starts");
        println!("EMULATOR-ADDR {}", h.local_addr());
        tokio::time::sleep(Duration::from_secs(40)).await;
        return;
    }

    let exe = std::env::current_exe().expect("test binary");
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 256 && exec "$0" "$@""#)
        .arg(exe)
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let find_addr = async {
        while let Ok(Some(line)) = lines.next_line().await {
            // libtest may have written "test NAME ... " on the same line.
            if let Some((_, addr)) = line.split_once("EMULATOR-ADDR ") {
                return addr.trim().parse::<std::net::SocketAddr>().ok();
            }
        }
        None
    };
    let addr = timeout(Duration::from_secs(20), find_addr)
        .await
        .ok()
        .flatten()
        .expect("the child printed its address");
    assert!(addr.ip().is_loopback());

    // Each dripper drips for up to 20 s unless the server closes it first.
    let mut drippers = Vec::new();
    for _ in 0..300 {
        drippers.push(tokio::spawn(async move {
            let started = Instant::now();
            let Ok(mut s) = TcpStream::connect(addr).await else {
                return None;
            };
            let (mut rd, mut wr) = s.split();
            let drip = async {
                let _ = wr
                    .write_all(format!("POST {LIST} HTTP/1.1\r\n").as_bytes())
                    .await;
                for n in 0..100 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if wr
                        .write_all(format!("x-drip-{n}: a\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                std::future::pending::<()>().await;
            };
            let closed = async {
                let mut chunk = [0u8; 256];
                while let Ok(n) = rd.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                }
            };
            tokio::select! {
                () = drip => None,
                () = closed => Some(started.elapsed()),
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A normal request on one connection, sent while they drip: it waits in
    // the listen queue until the server has descriptors again, and must be
    // answered within 10 s (the drippers alone would hold them for 20 s).
    let body = json!({"clusterId": CLUSTER}).to_string();
    let mut request = head(LIST, Some(KEY), body.len());
    request.extend_from_slice(body.as_bytes());
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(&request).await.expect("request sent");
    let answer = read_response(&mut s, Duration::from_secs(10)).await;
    let took = started.elapsed();
    eprintln!("normal request answered after {took:?}");
    assert_eq!(
        answer.map(|(status, body)| (status, body["code"].clone())),
        Some((200, json!(0))),
        "after {took:?}"
    );

    let mut cut = 0;
    for d in drippers {
        cut += usize::from(d.await.expect("dripper ran").is_some());
    }
    assert_eq!(cut, 300, "every dripper was closed by the server");
    let _ = child.kill().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_after_the_write_timeout() {
    const WRITE_TIMEOUT: Duration = Duration::from_millis(500);
    const PIPELINED: usize = 32;
    // A long header timeout, so only the write timeout can close the connection.
    let h = manual_builder()
        .write_timeout(WRITE_TIMEOUT)
        .header_read_timeout(Duration::from_secs(30))
        .start()
        .await
        .expect("emulator starts");
    // One job with 5,000 files: its describe answer is over a megabyte.
    let urls: Vec<String> = (0..5_000)
        .map(|i| {
            format!("s3://bucket/a/rather/long/prefix/to/make/the/answer/large/part-{i:05}.parquet")
        })
        .collect();
    let (_, created) = post(
        &h,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrls": [urls]}),
    )
    .await;
    let job_id = created["data"]["jobId"].as_str().expect("jobId").to_owned();
    let one = describe(&h, &job_id).await.to_string().len();
    assert!(one > 1_000_000, "{one}");

    // 32 describes sent at once on a connection with a small receive buffer,
    // then nothing read for 2 s: far more than the socket buffers can hold.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small buffer");
    let mut s = socket.connect(h.local_addr()).await.expect("connects");
    let body = json!({"clusterId": CLUSTER, "jobId": job_id}).to_string();
    let mut one_request = head(DESCRIBE, Some(KEY), body.len());
    one_request.extend_from_slice(body.as_bytes());
    s.write_all(&one_request.repeat(PIPELINED))
        .await
        .expect("requests sent");
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Reading now finds the connection closed after what was buffered.
    let mut got = 0usize;
    let mut chunk = vec![0u8; 64 * 1024];
    let closed = timeout(Duration::from_secs(10), async {
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "still open after reading {got} bytes");
    assert!(got < PIPELINED * one, "{got} of {} bytes", PIPELINED * one);
}

/// `job_durations`: each job's length is drawn between the two bounds, so
/// jobs created together end apart; none ends before the shortest, all by
/// the longest.
#[tokio::test]
async fn job_durations_spread_the_ends_of_jobs_created_together() {
    let h = Emulator::builder()
        .api_key(KEY)
        .cluster_ids([CLUSTER])
        .job_durations(Duration::from_secs(10), Duration::from_secs(20))
        .manual_clock()
        .start()
        .await
        .expect("emulator starts");
    for i in 0..20 {
        create(&h, "coll", &format!("s3://bucket/spread/{i}.json")).await;
    }
    h.advance(Duration::from_millis(9_999));
    assert!(h.jobs().iter().all(|j| j.state != JobState::Completed));
    h.advance(Duration::from_millis(10_001));
    let ends: HashSet<Duration> = h
        .jobs()
        .iter()
        .map(|j| {
            assert_eq!(j.state, JobState::Completed);
            let end = j.finished_at.expect("finished");
            assert!((Duration::from_secs(10)..=Duration::from_secs(20)).contains(&end));
            end
        })
        .collect();
    assert!(ends.len() > 10, "ends drawn apart: {ends:?}");
}
