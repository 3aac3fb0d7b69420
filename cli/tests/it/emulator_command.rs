//! The `emulator` command, run as a child process: it prints its base URL,
//! serves what its flags say (clusters, projects, key, limits and
//! timeouts) until stopped, and refuses a bad flag with exit 2. Its
//! signals are `cli_signals.rs`, its Milvus mode `cli_deployments.rs`.

use std::time::Duration;

use regex::Regex;
use serde_json::{Value, json};
use zilliz_import::{CreateImportJob, ImportState, WaitOptions};

use crate::{
    common::{
        CREATE_PATH,
        cli_env::{URL, cli, expect, spawn_emulator},
    },
    emulator_env::{CLUSTER, assert_wrong_key, client},
};

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_prints_its_url_and_serves_until_killed() {
    let (mut guard, first, _rest) = spawn_emulator(&[
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        "k",
        "--job-duration",
        "200ms",
        "--cluster-id",
        "in01-a",
        "--cluster-id",
        "in01-b",
    ]);
    let caps = Regex::new(r"^http://127\.0\.0\.1:(\d+)$")
        .unwrap()
        .captures(&first)
        .unwrap_or_else(|| panic!("first line is the base URL: {first:?}"));
    let port: u16 = caps[1].parse().unwrap();
    assert_ne!(port, 0);

    let c = client(&first, "k");
    let created = c
        .create_import_job(CreateImportJob::new("in01-b", "c", URL))
        .await
        .expect("create against the spawned emulator");
    let done = c
        .wait_for_import_job(
            "in01-b",
            &created.job_id,
            WaitOptions::default()
                .interval(Duration::from_millis(20), Duration::from_millis(50))
                .timeout(Duration::from_secs(10)),
        )
        .await
        .expect("the 200 ms job completes")
        .completed()
        .expect("Completed, not awaiting commit");
    assert_eq!(done.state, ImportState::Completed);

    // Only the listed clusters exist; only the given key is accepted.
    let e = c
        .create_import_job(CreateImportJob::new(CLUSTER, "c", URL))
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some(96018), "{e}");
    let e = client(&first, "emulator-key")
        .list_import_jobs(&zilliz_import::ListImportJobs::new("in01-a"))
        .await
        .unwrap_err();
    assert_wrong_key(&e);

    assert!(
        guard.0.try_wait().expect("try_wait").is_none(),
        "still serving"
    );
    drop(guard);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_exits_2_when_it_cannot_listen() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut c = cli();
    c.args(["emulator", "--listen", &addr]);
    let r = expect(c, 2).await;
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with(&format!(
            "error: invalid configuration: cannot listen on {addr}: "
        )),
        "{r:#?}"
    );
    drop(taken);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_takes_a_job_memory_limit() {
    let (guard, base, _rest) = spawn_emulator(&[
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        "k",
        "--job-memory-limit",
        "100B",
    ]);
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}{CREATE_PATH}"))
        .bearer_auth("k")
        .json(&json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "s3://b/a.json"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON answer");
    assert_eq!(answer["code"], 47055, "{answer}");
    drop(guard);

    let mut c = cli();
    c.args(["emulator", "--job-memory-limit", "1.5MiB"]);
    let r = expect(c, 2).await;
    assert!(
        r.stderr.starts_with(
            "error: invalid value '1.5MiB' for '--job-memory-limit <SIZE>': the unit must be B, \
             KB, KiB, MB, MiB, GB or GiB"
        ),
        "{r:#?}"
    );
}
