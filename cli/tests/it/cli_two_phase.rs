//! Two-phase imports through the binary, against the emulator on its real
//! clock: create --no-auto-commit → wait (exit 0, awaits commit) → commit →
//! wait (Completed); create → abort → wait (exit 5, aborted); a refused
//! commit (exit 3); wait --abort-on-timeout (exit 6, the abort accepted).

use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import_emulator::{DEFAULT_MILVUS_TOKEN, Emulator, EmulatorHandle, JobState};

use crate::{
    common::{
        ABORT_PATH, COMMIT_PATH, CREATE_PATH, DESCRIBE_PATH,
        cli_env::{KEY, cmd_on, expect},
    },
    emulator_env::{CLUSTER, sent_to, start},
};

fn state_of(h: &EmulatorHandle, job_id: &str) -> JobState {
    h.jobs()
        .into_iter()
        .find(|j| j.job_id == job_id)
        .map(|j| j.state)
        .expect("the job is held")
}

/// A Milvus create of one file, two-phase, then `extra`.
fn two_phase_create<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let head = [
        "create",
        "--collection",
        "c",
        "--file",
        "a.parquet",
        "--no-auto-commit",
    ];
    [&head[..], extra].concat()
}

/// Creates a two-phase Milvus job through the binary; its id.
async fn created_two_phase(h: &EmulatorHandle) -> String {
    let created = expect(cmd_on(h, DEFAULT_MILVUS_TOKEN, &two_phase_create(&[])), 0).await;
    created.stdout.trim().to_owned()
}

async fn milvus(duration: Duration) -> EmulatorHandle {
    start(Emulator::builder().milvus().job_duration(duration)).await
}

async fn cloud(duration: Duration) -> EmulatorHandle {
    start(Emulator::builder().api_key(KEY).job_duration(duration)).await
}

#[tokio::test]
async fn create_wait_commit_wait_on_milvus() {
    let h = milvus(Duration::from_millis(300)).await;
    let t = DEFAULT_MILVUS_TOKEN;
    let job = created_two_phase(&h).await;
    let creates = sent_to(&h, CREATE_PATH);
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0].body["options"], json!({"auto_commit": "false"}));

    // The wait ends at Uncommitted, exit 0, and says the job awaits commit.
    let waited = expect(cmd_on(&h, t, &["wait", &job]), 0).await;
    assert!(
        waited.stdout.contains("state:      Uncommitted"),
        "{waited:#?}"
    );
    assert!(waited.stdout.contains("progress:   99%"), "{waited:#?}");
    assert!(
        waited
            .stdout
            .contains(&format!("awaits commit: zilliz-import commit {job}")),
        "{waited:#?}"
    );
    let json_wait = expect(cmd_on(&h, t, &["--output", "json", "wait", &job]), 0).await;
    let doc = json_wait.stdout_json();
    assert_eq!(doc["jobId"], json!(job));
    assert_eq!(doc["state"], json!("Uncommitted"));
    assert_eq!(doc["outcome"], json!("ready_to_commit"));
    assert_eq!(state_of(&h, &job), JobState::Uncommitted);

    let committed = expect(cmd_on(&h, t, &["commit", &job]), 0).await;
    assert_eq!(
        committed.stdout.trim(),
        format!("job {job}: commit accepted")
    );
    let commits = sent_to(&h, COMMIT_PATH);
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0].body, json!({"jobId": job}));
    assert_eq!(commits[0].code, 0);

    let done = expect(cmd_on(&h, t, &["--output", "json", "wait", &job]), 0).await;
    let doc = done.stdout_json();
    assert_eq!(doc["state"], json!("Completed"));
    assert_eq!(doc["progress"], json!(100));
    assert_eq!(doc["outcome"], json!("completed"));

    // Committing again is safe: refused (2100), checked, reported done.
    let again = expect(cmd_on(&h, t, &["--output", "json", "commit", &job]), 0).await;
    assert_eq!(
        again.stdout_json(),
        json!({"jobId": job, "action": "commit", "already": "Completed"})
    );
    let commits = sent_to(&h, COMMIT_PATH);
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[1].code, 2100);
}

#[tokio::test]
async fn create_abort_wait_on_a_cluster_exits_5_aborted() {
    let h = cloud(Duration::from_secs(60)).await;
    let created = expect(
        cmd_on(
            &h,
            KEY,
            &[
                "create",
                "--cluster-id",
                CLUSTER,
                "--collection",
                "c",
                "--object-url",
                "s3://bucket/a.parquet",
                "--no-auto-commit",
            ],
        ),
        0,
    )
    .await;
    let job = created.stdout.trim().to_owned();
    let aborted = expect(
        cmd_on(&h, KEY, &["abort", "--cluster-id", CLUSTER, &job]),
        0,
    )
    .await;
    assert_eq!(aborted.stdout.trim(), format!("job {job}: abort accepted"));
    let aborts = sent_to(&h, ABORT_PATH);
    assert_eq!(aborts.len(), 1);
    assert_eq!(aborts[0].body, json!({"clusterId": CLUSTER, "jobId": job}));
    assert_eq!(state_of(&h, &job), JobState::Failed);

    let waited = expect(cmd_on(&h, KEY, &["wait", "--cluster-id", CLUSTER, &job]), 5).await;
    assert!(
        waited
            .stderr
            .contains(&format!("error: import job {job} was aborted")),
        "{waited:#?}"
    );
    let json_wait = expect(
        cmd_on(
            &h,
            KEY,
            &["--output", "json", "wait", "--cluster-id", CLUSTER, &job],
        ),
        5,
    )
    .await;
    let e = json_wait.stderr_error();
    assert_eq!(e["kind"], json!("import_aborted"));
    assert_eq!(e["jobId"], json!(job));
    assert_eq!(e["state"], json!("Failed"));
    assert!(e.get("delivery").is_none(), "{e}");

    // Aborting again is safe too.
    expect(
        cmd_on(&h, KEY, &["abort", "--cluster-id", CLUSTER, &job]),
        0,
    )
    .await;
}

#[tokio::test]
async fn a_refused_commit_exits_3_with_the_code() {
    let h = milvus(Duration::from_secs(60)).await;
    let t = DEFAULT_MILVUS_TOKEN;
    let job = created_two_phase(&h).await;
    let refused = expect(cmd_on(&h, t, &["--output", "json", "commit", &job]), 3).await;
    let e = refused.stderr_error();
    assert_eq!(e["kind"], json!("api"));
    assert_eq!(e["code"], json!(2100));
    assert_eq!(e["delivery"], json!("Received"));
    let message = e["apiMessage"].as_str().unwrap();
    assert!(message.contains(&job), "{message}");
    assert!(message.contains("not Uncommitted"), "{message}");
    // One commit, then one describe that found the job still running.
    let paths: Vec<String> = h.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths[1..], [COMMIT_PATH, DESCRIBE_PATH]);
}

#[tokio::test]
async fn create_no_auto_commit_wait_exits_0_awaiting_commit() {
    let h = milvus(Duration::from_millis(300)).await;
    let r = expect(
        cmd_on(
            &h,
            DEFAULT_MILVUS_TOKEN,
            &[
                &["--output", "json"][..],
                &two_phase_create(&["--wait", "--timeout", "30s"]),
            ]
            .concat(),
        ),
        0,
    )
    .await;
    let doc = r.stdout_json();
    assert_eq!(doc["state"], json!("Uncommitted"));
    assert_eq!(doc["outcome"], json!("ready_to_commit"));
    let job = doc["jobId"].as_str().unwrap();
    assert_eq!(state_of(&h, job), JobState::Uncommitted);
}

#[tokio::test]
async fn no_auto_commit_with_an_auto_commit_option_exits_2_unsent() {
    let h = milvus(Duration::from_millis(300)).await;
    let r = expect(
        cmd_on(
            &h,
            DEFAULT_MILVUS_TOKEN,
            &two_phase_create(&["--option", "auto_commit=true"]),
        ),
        2,
    )
    .await;
    assert!(
        r.stderr
            .contains("--no-auto-commit and --option auto_commit"),
        "{r:#?}"
    );
    assert!(h.requests().is_empty());
}

#[tokio::test]
async fn wait_abort_on_timeout_exits_6_and_aborts_the_job() {
    let h = milvus(Duration::from_secs(600)).await;
    let t = DEFAULT_MILVUS_TOKEN;
    let created = expect(
        cmd_on(
            &h,
            t,
            &["create", "--collection", "c", "--file", "a.parquet"],
        ),
        0,
    )
    .await;
    let job = created.stdout.trim().to_owned();
    let r = expect(
        cmd_on(
            &h,
            t,
            &[
                "--output",
                "json",
                "wait",
                &job,
                "--timeout",
                "1500ms",
                "--abort-on-timeout",
            ],
        ),
        6,
    )
    .await;
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("wait_timed_out"));
    assert_eq!(
        e["abort"],
        json!({"accepted": true, "already": Value::Null})
    );
    assert_eq!(e["jobId"], json!(job));
    assert_eq!(state_of(&h, &job), JobState::Failed);
    assert_eq!(sent_to(&h, ABORT_PATH).len(), 1);
}
