//! What the emulator keeps and forgets, over HTTP: finished jobs are
//! forgotten past the job limit even behind a job that never finishes,
//! describe and list stay right after a job is dropped from the middle, and
//! the jobs held stay within the memory limit, a create that unfinished
//! jobs leave no room for being refused. The `emulator` command's
//! `--job-memory-limit` is the CLI's (`cli/tests/it/emulator_command.rs`).

use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import_emulator::EmulatorHandle;

use crate::support::*;

/// Job ids of the first list page, in the order listed.
async fn listed(h: &EmulatorHandle) -> (Value, Vec<String>) {
    let (_, list) = post(h, LIST, json!({"clusterId": CLUSTER, "pageSize": 100})).await;
    let ids = list["data"]["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["jobId"].as_str().expect("id").to_owned())
        .collect();
    (list["data"]["count"].clone(), ids)
}

#[tokio::test]
async fn a_job_awaiting_commit_does_not_stop_the_others_being_forgotten() {
    let h = manual_builder()
        .job_limit(3)
        .start()
        .await
        .expect("emulator starts");
    let (_, body) = post(
        &h,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "s3://b/two-phase.json",
               "options": {"auto_commit": "false"}}),
    )
    .await;
    let waiting = body["data"]["jobId"].as_str().expect("jobId").to_owned();
    let mut ids = Vec::new();
    for i in 0..6 {
        // Each job is done (10 s) before the next create.
        h.advance(Duration::from_secs(20));
        ids.push(create(&h, "c", &format!("s3://b/{i}.json")).await);
        assert_eq!(h.job_count(), (i + 2).min(3), "after create {i}");
    }
    let (count, held) = listed(&h).await;
    assert_eq!(count, 3);
    assert_eq!(held, [waiting.clone(), ids[4].clone(), ids[5].clone()]);
    assert_eq!(describe(&h, &waiting).await["state"], "Uncommitted");
    for gone in &ids[..4] {
        let (_, body) = post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": gone})).await;
        assert_eq!(body["code"], 96026, "{body}");
    }
    assert_eq!(describe(&h, &ids[4]).await["state"], "Completed");
}

const ABORT: &str = "/v2/vectordb/jobs/import/abort";

/// A create of ten 1,900-character object URLs (about 20 kB held), two-phase
/// unless `auto_commit`.
async fn create_big(h: &EmulatorHandle, tag: &str, auto_commit: bool) -> Value {
    let urls: Vec<Value> = (0..10)
        .map(|j| json!([format!("s3://b/{tag}/{j}/{}", "x".repeat(1_890))]))
        .collect();
    let options = json!({"auto_commit": auto_commit.to_string()});
    let body = json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrls": urls, "options": options});
    let (status, answer) = post(h, CREATE, body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

fn held(h: &EmulatorHandle) -> Vec<String> {
    h.jobs().into_iter().map(|j| j.job_id).collect()
}

#[tokio::test]
async fn jobs_are_held_within_the_memory_limit_and_a_create_past_it_is_refused() {
    const LIMIT: usize = 50_000;
    let h = manual_builder()
        .job_memory_limit(LIMIT)
        .start()
        .await
        .expect("emulator starts");
    // Finished jobs are forgotten to stay under the limit: two fit.
    for i in 0..8 {
        h.advance(Duration::from_secs(20));
        let answer = create_big(&h, &format!("auto{i}"), true).await;
        assert_eq!(answer["code"], 0, "{answer}");
        assert_eq!(h.job_count(), (i + 1).min(2));
        assert!(h.job_memory() <= LIMIT, "{}", h.job_memory());
    }
    h.advance(Duration::from_secs(20));
    let id = |answer: Value| answer["data"]["jobId"].as_str().expect("jobId").to_owned();
    let w1 = id(create_big(&h, "w1", false).await);
    let w2 = id(create_big(&h, "w2", false).await);
    assert_eq!(held(&h), [w1.clone(), w2.clone()]);
    // Two waiting jobs leave no room for a third: refused, nothing stored.
    let refused = create_big(&h, "w3", false).await;
    assert_eq!(refused["code"], 47055, "{refused}");
    let message = refused["message"].as_str().expect("message");
    assert!(
        message.starts_with("too many unfinished import jobs: they hold ")
            && message.ends_with(&format!(
                "over the emulator's job memory limit of {LIMIT} bytes; retry once jobs \
                 have finished (commit or abort two-phase ones)"
            )),
        "{message}"
    );
    assert_eq!(held(&h), [w1.clone(), w2.clone()]);
    // Once one is aborted, the create goes through in its place.
    let (_, aborted) = post(&h, ABORT, json!({"clusterId": CLUSTER, "jobId": w1})).await;
    assert_eq!(aborted["code"], 0, "{aborted}");
    let w3 = id(create_big(&h, "w3", false).await);
    assert_eq!(held(&h), [w2, w3]);
    assert!(h.job_memory() <= LIMIT);
}

#[tokio::test]
async fn milvus_refuses_a_create_past_the_memory_limit_with_2100() {
    let h = manual_builder()
        .milvus()
        .job_memory_limit(100)
        .start()
        .await
        .expect("emulator starts");
    let body = json!({"collectionName": "c", "files": [["a.parquet"]]});
    let (status, answer) = post(&h, CREATE, body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["code"], 2100, "{answer}");
    let message = answer["message"].as_str().expect("message");
    assert!(
        message.starts_with(
            "import failed: too many unfinished import jobs: they hold 0 bytes and this one needs "
        ),
        "{message}"
    );
    assert_eq!((h.job_count(), h.job_memory()), (0, 0));
}
