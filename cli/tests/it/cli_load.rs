//! `zilliz-import load` against the emulator: the whole path (rows written,
//! uploaded into a volume, the import created with the exact `dataPaths`,
//! the job Completed, the last JSON document its end); a run killed while
//! waiting, then run again, skips every stage done and creates no second
//! job; a create whose answer was lost is sent again with the journal's
//! idempotency key and answered the same job; an object gone from the
//! volume fails the job, exit 5.

use std::{
    fs,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use zilliz_import_emulator::EmulatorHandle;

use crate::{
    cli_signals::Running,
    cli_upload::{create_volume, stored},
    common::{
        API_KEY, CREATE_PATH, DESCRIBE_PATH,
        cli_env::{Run, cmd, expect, jcmd, quick_emulator},
    },
    emulator_env::{PROJECT, REGION, emulator_builder, start},
};

/// A small schema (the emulator's control plane does not describe
/// collections, so `load` reads it from a file) and 50 rows.
pub(crate) fn inputs() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let schema = json!({"collectionName": "medium_articles", "fields": [
        {"name": "id", "type": "Int64", "primaryKey": true, "autoId": false},
        {"name": "title", "type": "VarChar", "params": [{"key": "max_length", "value": "64"}]},
        {"name": "title_vector", "type": "FloatVector", "params": [{"key": "dim", "value": "4"}]},
    ]});
    fs::write(dir.path().join("schema.json"), schema.to_string()).unwrap();
    let rows: String = (0..50)
        .map(|i| json!({"id": i, "title": format!("t{i}"), "title_vector": [0.5, 1.0, 1.5, 2.0]}))
        .map(|row| format!("{row}\n"))
        .collect();
    fs::write(dir.path().join("rows.jsonl"), rows).unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (schema, rows) = (path("schema.json"), path("rows.jsonl"));
    (dir, schema, rows)
}

/// `load` of `rows` (with `schema`) into `medium_articles`, then `rest`:
/// where the files go.
fn load_of<'a>(schema: &'a str, rows: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let head = ["load", "--collection", "medium_articles", "--input", rows];
    [&head[..], &["--schema", schema], rest].concat()
}

/// `load` of `rows` into `medium_articles` on the emulator's project,
/// through volume `v1`, folder `run/`.
pub(crate) fn load_args<'a>(schema: &'a str, rows: &'a str) -> Vec<&'a str> {
    let rest = ["--project-id", PROJECT, "--region-id", REGION];
    load_of(
        schema,
        rows,
        &[&rest[..], &["--volume", "v1", "--path", "run/"]].concat(),
    )
}

/// `load` of `rows` into `medium_articles`, to the bucket `to` at
/// `endpoint`.
pub(crate) fn load_to<'a>(
    schema: &'a str,
    rows: &'a str,
    to: &'a str,
    endpoint: &'a str,
) -> Vec<&'a str> {
    load_of(schema, rows, &["--to", to, "--endpoint", endpoint])
}

/// stdout as the JSON documents printed one after the other.
pub(crate) fn documents(r: &Run) -> Vec<Value> {
    serde_json::Deserializer::from_str(&r.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stdout is JSON documents ({e}): {r:#?}"))
}

/// The work directory `load` made beside the inputs (one, by default).
pub(crate) fn work_dir(inputs: &Path) -> PathBuf {
    let all: Vec<_> = fs::read_dir(inputs.join(".zilliz-import-load"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(all.len(), 1);
    all[0].path()
}

fn creates(h: &EmulatorHandle) -> Vec<zilliz_import_emulator::RecordedRequest> {
    crate::emulator_env::sent_to(h, CREATE_PATH)
}

/// The journal's JSON, changed by `edit`.
fn edit_journal(work: &Path, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) {
    let path = work.join("load.json");
    let mut journal: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(journal.as_object_mut().unwrap());
    fs::write(path, journal.to_string()).unwrap();
}

#[tokio::test]
async fn rows_are_written_uploaded_imported_and_waited_for() {
    let h = quick_emulator().await;
    create_volume(&h, "v1").await;
    let (dir, schema, rows) = inputs();
    let r = expect(jcmd(&h, &load_args(&schema, &rows)), 0).await;
    let docs = documents(&r);
    assert_eq!(docs.len(), 4, "{r:#?}");
    let work = work_dir(dir.path());
    let written = fs::read(work.join("files/1.parquet")).unwrap();
    let bytes = written.len() as u64;
    assert_eq!(
        docs[0],
        json!({"stage": "write", "skipped": false, "files": [["1.parquet"]], "rows": 50,
               "bytes": bytes})
    );
    assert_eq!(
        docs[1],
        json!({"stage": "upload", "skipped": false, "dataPaths": [["run/1.parquet"]],
               "bytes": bytes, "partsSent": 1, "partsSkipped": 0})
    );
    let job_id = docs[2]["jobId"].as_str().unwrap().to_owned();
    assert_eq!(
        docs[2],
        json!({"stage": "import", "skipped": false, "jobId": job_id})
    );
    let last = &docs[3];
    assert_eq!(
        (&last["jobId"], &last["state"], &last["outcome"]),
        (&json!(job_id), &json!("Completed"), &json!("completed"))
    );
    // The emulator counts the rows of the file in its volume: the 50 written.
    assert_eq!(last["totalRows"], json!(50), "{last}");
    // The file in the volume is the file written.
    assert_eq!(stored(&h, "v1/run/1.parquet").unwrap(), written);
    let sent = creates(&h);
    assert_eq!(sent.len(), 1);
    let body = &sent[0].body;
    assert_eq!(
        (&body["volumeName"], &body["dataPaths"], &body["projectId"]),
        (&json!("v1"), &json!([["run/1.parquet"]]), &json!(PROJECT))
    );
    let journal: Value =
        serde_json::from_str(&fs::read_to_string(work.join("load.json")).unwrap()).unwrap();
    assert_eq!(
        sent[0].idempotency_key.as_deref(),
        journal["idempotencyKey"].as_str()
    );
}

/// Waits until `h` has answered a describe (the run is waiting).
async fn waiting(h: &EmulatorHandle) {
    let until = Instant::now() + Duration::from_secs(60);
    while crate::emulator_env::sent_to(h, DESCRIBE_PATH).is_empty() {
        assert!(Instant::now() < until, "no describe in a minute");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_rerun_after_a_kill_skips_the_stages_done_and_creates_no_second_job() {
    let duration = Duration::from_secs(10);
    let h = start(emulator_builder(API_KEY, duration).manual_clock()).await;
    let base = h.base_url();
    let volume = Running::start(&base, &crate::cli_volume::create("v1", &[]), false);
    assert_eq!(volume.finish().await.code, 0);
    let (dir, schema, rows) = inputs();
    let args = [&["--output", "json"][..], &load_args(&schema, &rows)].concat();
    // Killed while it waits for the job it created.
    let running = Running::start(&base, &args, false);
    waiting(&h).await;
    running.signal("TERM");
    let killed = running.finish().await;
    assert_eq!(killed.code, 143, "{killed:#?}");
    let docs = documents(&killed);
    let stages: Vec<_> = docs.iter().map(|d| d["stage"].clone()).collect();
    assert_eq!(
        stages,
        [
            json!("write"),
            json!("upload"),
            json!("import"),
            Value::Null
        ]
    );
    let job_id = docs[2]["jobId"].clone();
    assert_eq!(docs[3], json!({"jobId": job_id}));
    assert_eq!(creates(&h).len(), 1);

    h.advance(duration);
    let again = Running::start(&base, &args, false).finish().await;
    assert_eq!(again.code, 0, "{again:#?}");
    let docs = documents(&again);
    assert_eq!(
        docs[..3],
        [
            json!({"stage": "write", "skipped": true, "files": [["1.parquet"]], "rows": 50,
                   "bytes": docs[0]["bytes"]}),
            json!({"stage": "upload", "skipped": true, "dataPaths": [["run/1.parquet"]]}),
            json!({"stage": "import", "skipped": true, "jobId": job_id}),
        ]
    );
    // One job, counting every row once.
    assert_eq!(
        (&docs[3]["jobId"], &docs[3]["state"], &docs[3]["totalRows"]),
        (&job_id, &json!("Completed"), &json!(50))
    );
    assert_eq!(creates(&h).len(), 1, "no second create");

    // A create whose answer was lost (the journal has its key, not its
    // job): sent again with the same key, answered the same job.
    edit_journal(&work_dir(dir.path()), |j| {
        j.remove("jobId");
        j.remove("shownJobId");
    });
    let lost = Running::start(&base, &args, false).finish().await;
    assert_eq!(lost.code, 0, "{lost:#?}");
    let docs = documents(&lost);
    assert_eq!(
        docs[2],
        json!({"stage": "import", "skipped": false, "jobId": job_id})
    );
    let sent = creates(&h);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].idempotency_key, sent[1].idempotency_key);
    assert_eq!(h.job_count(), 1);
}

#[tokio::test]
async fn an_object_gone_from_the_volume_fails_the_job_exit_5() {
    let h = quick_emulator().await;
    create_volume(&h, "v1").await;
    let (dir, schema, rows) = inputs();
    expect(jcmd(&h, &load_args(&schema, &rows)), 0).await;
    // The object is deleted from the volume, and the import is started
    // again (the journal no longer holds it).
    let object = h
        .volume_storage_dir()
        .join("emulator-volumes/v1/run/1.parquet");
    fs::remove_file(object).unwrap();
    edit_journal(&work_dir(dir.path()), |j| {
        for key in ["jobId", "shownJobId", "idempotencyKey"] {
            j.remove(key);
        }
    });
    let r = expect(jcmd(&h, &load_args(&schema, &rows)), 5).await;
    let docs = documents(&r);
    let job_id = docs[2]["jobId"].clone();
    // The job's id is the last document, as for `create --wait`.
    assert_eq!(docs.last(), Some(&json!({"jobId": job_id})));
    let e = r.stderr_error();
    assert_eq!(
        (&e["kind"], &e["jobId"], &e["state"]),
        (&json!("import_failed"), &job_id, &json!("Failed"))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("failed to get file size of run/1.parquet: NoSuchKey"),
        "{e}"
    );
}

#[tokio::test]
async fn a_bucket_on_the_control_plane_is_imported_by_object_urls() {
    let h = quick_emulator().await;
    create_volume(&h, "v1").await;
    // Any S3-compatible bucket will do: the volumes' own endpoint, with the
    // keys an apply hands out, given as the AWS_* variables.
    let grant = crate::emulator_env::client(&h.base_url(), crate::common::cli_env::KEY)
        .apply_volume("v1", "run/")
        .await
        .unwrap();
    let keys = &grant.credentials;
    let (dir, schema, rows) = inputs();
    let endpoint = h.volume_storage_url();
    let to = "s3://emulator-volumes/v1/run";
    // The keys the import reads a private bucket with go in the create.
    let cluster = [
        "--cluster-id",
        crate::emulator_env::CLUSTER,
        "--access-key",
        "AK-load",
        "--secret-key",
        "SK-load-secret",
    ];
    let mut c = jcmd(
        &h,
        &[&load_to(&schema, &rows, to, &endpoint)[..], &cluster].concat(),
    );
    c.env("AWS_ACCESS_KEY_ID", keys.tmp_ak.expose_secret())
        .env("AWS_SECRET_ACCESS_KEY", keys.tmp_sk.expose_secret())
        .env("AWS_SESSION_TOKEN", keys.session_token.expose_secret());
    let r = expect(c, 0).await;
    let docs = documents(&r);
    let url = format!("{endpoint}/emulator-volumes/v1/run/1.parquet");
    assert_eq!(docs[1]["objectUrls"], json!([[url]]));
    assert_eq!(docs[3]["state"], "Completed");
    let sent = creates(&h);
    assert_eq!(sent[0].body["objectUrls"], json!([[url]]));
    // (the emulator keeps them redacted, as commands.rs reads them)
    assert_eq!(sent[0].body["accessKey"], "<redacted>");
    assert_eq!(sent[0].body["secretKey"], "<redacted>");
    assert!(!format!("{}{}", r.stdout, r.stderr).contains("SK-load-secret"));
    let written = fs::read(work_dir(dir.path()).join("files/1.parquet")).unwrap();
    assert_eq!(stored(&h, "v1/run/1.parquet").unwrap(), written);
}

#[tokio::test]
async fn what_cannot_be_loaded_exits_2_with_nothing_sent() {
    let h = quick_emulator().await;
    let (_dir, schema, rows) = inputs();
    let base = [
        "load",
        "--collection",
        "medium_articles",
        "--schema",
        &schema,
        "--volume",
        "v1",
    ];
    // A volume is the control plane's: no target named is Milvus.
    let args = [&base[..], &["--input", &rows]].concat();
    let e =
        crate::common::cli_env::failure(jcmd(&h, &args), 2, "invalid_input", Some("NotSent")).await;
    assert_eq!(
        e["message"],
        "--volume is a volume of the Zilliz Cloud control plane: give --cluster-id, or \
         --project-id with --region-id"
    );
    // Standard input cannot be read again by a rerun.
    let args = [&base[..], &["--input", "-", "--cluster-id", "c"]].concat();
    let e =
        crate::common::cli_env::failure(jcmd(&h, &args), 2, "invalid_input", Some("NotSent")).await;
    assert_eq!(
        e["message"],
        "load reads its rows from files (a rerun reads them again), not `-`"
    );
    // Storage keys are for a bucket's object URLs on the control plane.
    let on_volume = [&base[..], &["--input", &rows, "--cluster-id", "c"]].concat();
    let to_milvus = load_to(&schema, &rows, "s3://b/p", "http://127.0.0.1:1");
    let only_one = [&to_milvus[..], &["--cluster-id", "c"]].concat();
    for (args, keys, why) in [
        (
            &on_volume,
            &["--access-key", "A", "--secret-key", "S"][..],
            "go with --to",
        ),
        (
            &to_milvus,
            &["--access-key", "A", "--secret-key", "S"][..],
            "go with --to",
        ),
        (
            &only_one,
            &["--access-key", "A"][..],
            "go together; give both",
        ),
    ] {
        let r = expect(cmd(&h, &[&args[..], keys].concat()), 2).await;
        assert!(r.stderr.contains(why), "{keys:?}: {}", r.stderr);
    }
    assert_eq!(h.requests().len(), 0);
}
