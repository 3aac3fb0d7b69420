//! The control plane over real HTTP with plain reqwest: auth, paths,
//! refusals with the service's codes, jobs through their states on a manual
//! clock, listing, lenient bodies, idempotency keys and the request log.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import_emulator::{Emulator, JobState};

use crate::support::*;

#[tokio::test]
async fn bad_or_missing_api_key_is_401_with_21119() {
    let h = start_manual(Duration::from_secs(3)).await;
    let body = json!({"clusterId": CLUSTER, "jobId": "1"}).to_string();
    for auth in [None, Some("wrong"), Some("")] {
        let (status, json) = send(&h, DESCRIBE, auth, &[], body.clone().into_bytes()).await;
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
    let (status, json) = send(&h, CREATE, Some(KEY), &[], b"{not json".to_vec()).await;
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
    // objectUrls wins over an empty objectUrl; null entries are skipped; a
    // NumPy group holds several files.
    let (_, b) = post(
        &h,
        CREATE,
        json!({
            "clusterId": CLUSTER, "collectionName": "c", "partitionName": null,
            "objectUrl": "", "objectUrls": [["s3://bucket/x/id.npy", "s3://bucket/x/vec.npy"], null],
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
            "s3://bucket/x/id.npy".to_owned(),
            "s3://bucket/x/vec.npy".to_owned()
        ]
    );
    assert_eq!(jobs[1].file_name, "x/id.npy,x/vec.npy");
    h.advance(Duration::from_secs(10));
    let d = describe(&h, jobs[1].job_id.as_str()).await;
    let details = d["details"].as_array().expect("details");
    assert_eq!(details.len(), 2);
    assert_eq!(details[0]["fileName"], "x/id.npy");
    assert_eq!(details[1]["fileName"], "x/vec.npy");
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
    let (_, first) = send(&h, CREATE, Some(KEY), &key, body("c1")).await;
    let (_, again) = send(&h, CREATE, Some(KEY), &key, body("c1")).await;
    assert_eq!(first["code"], 0);
    assert_eq!(again, first);
    assert_eq!(h.job_count(), 1);
    // Same key, different collection: a new job.
    let (_, other) = send(&h, CREATE, Some(KEY), &key, body("c2")).await;
    assert_eq!(other["code"], 0);
    assert_ne!(other["data"]["jobId"], first["data"]["jobId"]);
    assert_eq!(h.job_count(), 2);
    // No key: always a new job.
    let (_, plain) = send(&h, CREATE, Some(KEY), &[], body("c1")).await;
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
async fn defaults_and_shutdown() {
    let h = Emulator::builder().start().await.expect("starts");
    assert_eq!(h.api_key(), "emulator-key");
    assert!(h.local_addr().ip().is_loopback());
    assert_eq!(h.base_url(), format!("http://{}", h.local_addr()));
    let (status, body) = send(
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
    let (_, created) = send(
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
