//! `load --to s3://...` into moto 5.2.5 (S3 and STS, authentication on),
//! for an open-source Milvus (the emulator) whose bucket it is: the files
//! go up with temporary STS credentials from the `AWS_*` variables, the
//! import names their keys as Milvus's `files`, and the object read back
//! from moto is the file written.
//!
//! moto is the upload crate's (`upload/tests/moto/ci.sh`): run these with
//! `upload/tests/moto/ci.sh cargo test -p zilliz-import-cli --test it
//! cli_load_moto`. Without it they are skipped, unless `CI=true`.

use std::{fs, process::Command, time::Duration};

use serde_json::json;
use zilliz_import_emulator::{DEFAULT_MILVUS_TOKEN, Emulator};

use crate::{
    cli_load::{documents, inputs, load_to, work_dir},
    common::{
        CREATE_PATH,
        cli_env::{cmd_on, expect},
    },
    emulator_env::{sent_to, start},
};

/// moto's variables, as `ci.sh` sets them; `None` (skipped) without them,
/// outside CI.
fn moto() -> Option<(String, String, String)> {
    let var = |name: &str| std::env::var(name).ok();
    match (
        var("ZI_MOTO_URL"),
        var("ZI_MOTO_PYTHON"),
        var("ZI_MOTO_HELPER"),
    ) {
        (Some(url), Some(python), Some(helper)) => Some((url, python, helper)),
        _ if var("CI").is_some_and(|v| v == "true") => {
            panic!("CI=true but no moto: run through upload/tests/moto/ci.sh")
        }
        _ => {
            eprintln!("skipped: no moto (run through upload/tests/moto/ci.sh)");
            None
        }
    }
}

/// Runs `python` with `args`; its stdout.
fn python(python: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(python).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs moto's helper (`sts.py`) with `args`; its stdout.
fn helper(py: &str, helper: &str, args: &[&str]) -> String {
    String::from_utf8(python(py, &[&[helper][..], args].concat())).unwrap()
}

/// The object at `key` in `bucket`, as moto's admin reads it.
fn object(py: &str, bucket: &str, key: &str) -> Vec<u8> {
    let script = "import boto3, os, sys; \
        s3 = boto3.client('s3', endpoint_url=os.environ['ZI_MOTO_URL'], region_name='us-east-1', \
        aws_access_key_id=os.environ['ZI_MOTO_ADMIN_KEY_ID'], \
        aws_secret_access_key=os.environ['ZI_MOTO_ADMIN_SECRET']); \
        sys.stdout.buffer.write(s3.get_object(Bucket=sys.argv[1], Key=sys.argv[2])['Body'].read())";
    python(py, &["-c", script, bucket, key])
}

#[tokio::test]
async fn load_to_a_milvus_bucket_on_moto_with_sts_credentials() {
    let Some((url, python, sts)) = moto() else {
        return;
    };
    let bucket = format!("cli-load-{}", std::process::id());
    helper(&python, &sts, &["bucket", &bucket]);
    let creds: serde_json::Value =
        serde_json::from_str(&helper(&python, &sts, &["assume", "900"])).unwrap();
    let h = start(
        Emulator::builder()
            .milvus()
            .job_duration(Duration::from_millis(300)),
    )
    .await;
    let (dir, schema, rows) = inputs();
    let to = format!("s3://{bucket}/milvus/data");
    let args = [
        &["--output", "json"][..],
        &load_to(&schema, &rows, &to, &url),
    ]
    .concat();
    let mut c = cmd_on(&h, DEFAULT_MILVUS_TOKEN, &args);
    let s = |k: &str| creds[k].as_str().unwrap().to_owned();
    c.env("AWS_ACCESS_KEY_ID", s("accessKeyId"))
        .env("AWS_SECRET_ACCESS_KEY", s("secretAccessKey"))
        .env("AWS_SESSION_TOKEN", s("sessionToken"))
        .env("AWS_REGION", "us-east-1");
    let r = expect(c, 0).await;
    let docs = documents(&r);
    let key = "milvus/data/1.parquet";
    assert_eq!(
        (&docs[1]["stage"], &docs[1]["files"], &docs[1]["partsSent"]),
        (&json!("upload"), &json!([[key]]), &json!(1))
    );
    assert_eq!(docs[3]["state"], "Completed");
    let sent = sent_to(&h, CREATE_PATH);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["files"], json!([[key]]));
    let written = fs::read(work_dir(dir.path()).join("files/1.parquet")).unwrap();
    assert_eq!(object(&python, &bucket, key), written);
    // No secret on either stream.
    for secret in [s("secretAccessKey"), s("sessionToken")] {
        assert!(!r.stdout.contains(&secret) && !r.stderr.contains(&secret));
    }
}
