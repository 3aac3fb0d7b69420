//! The `emulator` command's own settings, through the real binary.
//! (Moved from `emulator_retention.rs`, whose HTTP-only tests went to the
//! emulator crate's own tests.)

use serde_json::{Value, json};

use crate::common::CREATE_PATH as CREATE;
use crate::common::cli_env::{CLUSTER, cli, expect, spawn_emulator};

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
        .post(format!("{base}{CREATE}"))
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
