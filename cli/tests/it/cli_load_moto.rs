//! `load` into moto 5.2.5 (S3 and STS, authentication on), twice: `--to
//! s3://...` for an open-source Milvus (the emulator) whose bucket it is,
//! the files going up with temporary STS credentials from the `AWS_*`
//! variables and the import naming their keys as Milvus's `files`; and
//! `--volume` on an emulator that keeps its volumes in moto, the files
//! going up with the STS credentials its apply hands out. Either way the
//! object read back from moto is the file written.
//!
//! moto is the upload crate's (`upload/tests/moto/ci.sh`): run these with
//! `upload/tests/moto/ci.sh cargo test -p zilliz-import-cli --test it
//! cli_load_moto`. Without it they are skipped, unless `CI=true`.

use std::{fs, process::Command, time::Duration};

use serde_json::json;
use zilliz_import_emulator::{DEFAULT_MILVUS_TOKEN, Emulator};

use crate::{
    cli_load::{documents, inputs, load_args, load_to, work_dir},
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

/// moto checks an assumed role's own policies: the role the emulator
/// assumes for its volumes (its `ROLE_ARN`, moto's default account) is
/// made here, allowed everything, with moto's admin keys.
const EMULATOR_ROLE: &str = "import boto3, json, os; \
    iam = boto3.client('iam', endpoint_url=os.environ['ZI_MOTO_URL'], region_name='us-east-1', \
    aws_access_key_id=os.environ['ZI_MOTO_ADMIN_KEY_ID'], \
    aws_secret_access_key=os.environ['ZI_MOTO_ADMIN_SECRET']); \
    allow = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}; \
    trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': '*'}, 'Action': 'sts:AssumeRole'}]}; \
    names = [r['RoleName'] for r in iam.list_roles()['Roles']]; \
    'zilliz-emulator-volumes' in names or iam.create_role(RoleName='zilliz-emulator-volumes', AssumeRolePolicyDocument=json.dumps(trust)); \
    iam.put_role_policy(RoleName='zilliz-emulator-volumes', PolicyName='all', PolicyDocument=json.dumps(allow))";

/// `load --volume` on the control plane of an emulator that keeps its
/// volumes in moto (`--object-store`): apply hands out moto's STS
/// credentials, the CLI uploads with them, and the import names the file
/// in the volume; the object in moto is the file written.
#[tokio::test]
async fn load_to_a_volume_kept_in_moto_uploads_with_its_sts_credentials() {
    let Some((url, python_bin, sts)) = moto() else {
        return;
    };
    let bucket = format!("cli-volumes-{}", std::process::id());
    helper(&python_bin, &sts, &["bucket", &bucket]);
    python(&python_bin, &["-c", EMULATOR_ROLE]);
    let var = |name: &str| std::env::var(name).unwrap();
    let admin_secret = var("ZI_MOTO_ADMIN_SECRET");
    let h = start(
        crate::emulator_env::emulator_builder(
            crate::common::cli_env::KEY,
            Duration::from_millis(300),
        )
        .volume_object_store(
            format!("{url}/{bucket}"),
            var("ZI_MOTO_ADMIN_KEY_ID"),
            &admin_secret,
        ),
    )
    .await;
    crate::cli_upload::create_volume(&h, "v1").await;
    let (dir, schema, rows) = inputs();
    let args = [&["--output", "json"][..], &load_args(&schema, &rows)].concat();
    let r = expect(cmd_on(&h, crate::common::cli_env::KEY, &args), 0).await;
    let docs = documents(&r);
    assert_eq!(
        (
            &docs[1]["stage"],
            &docs[1]["dataPaths"],
            &docs[1]["partsSent"]
        ),
        (&json!("upload"), &json!([["run/1.parquet"]]), &json!(1)),
        "{r:#?}"
    );
    assert_eq!(docs[3]["state"], "Completed");
    let sent = sent_to(&h, CREATE_PATH);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (&sent[0].body["volumeName"], &sent[0].body["dataPaths"]),
        (&json!("v1"), &json!([["run/1.parquet"]]))
    );
    // The volume's prefix in the store is `v1/`.
    let written = fs::read(work_dir(dir.path()).join("files/1.parquet")).unwrap();
    assert_eq!(object(&python_bin, &bucket, "v1/run/1.parquet"), written);
    assert!(!r.stdout.contains(&admin_secret) && !r.stderr.contains(&admin_secret));
}
