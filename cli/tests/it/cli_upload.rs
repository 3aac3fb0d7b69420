//! `zilliz-import upload` into the emulator's volumes: the exact keys read
//! back from the emulator's volume directory and the exact JSON report; a
//! second run sends nothing; a quota that would be passed exits 2 with
//! nothing sent; a refused apply exits 3; a missing `--path` exits 2.

use std::{fs, path::Path};

use serde_json::json;
use zilliz_import_emulator::EmulatorHandle;

use crate::{
    common::cli_env::{KEY, cmd, expect, failure, jcmd, run_json},
    emulator_env::{emulator_builder, start},
};

/// Creates `name` on `h` through the CLI.
pub async fn create_volume(h: &EmulatorHandle, name: &str) {
    expect(cmd(h, &crate::cli_volume::create(name, &[])), 0).await;
}

/// What the emulator keeps at `key` of its volumes' bucket.
pub fn stored(h: &EmulatorHandle, key: &str) -> Option<Vec<u8>> {
    fs::read(h.volume_storage_dir().join("emulator-volumes").join(key)).ok()
}

/// Every object under the volumes' bucket, as keys.
fn keys(h: &EmulatorHandle) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let key = path.strip_prefix(root).unwrap().to_string_lossy();
                out.push(key.replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    let root = h.volume_storage_dir().join("emulator-volumes");
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// A file and a folder of two files.
fn sources() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.json"), "[1]").unwrap();
    let folder = dir.path().join("batch");
    fs::create_dir_all(folder.join("sub")).unwrap();
    fs::write(folder.join("b.parquet"), vec![7u8; 1000]).unwrap();
    fs::write(folder.join("sub").join("c.csv"), "x\n1\n").unwrap();
    let file = dir.path().join("a.json").display().to_string();
    let folder = folder.display().to_string();
    (dir, file, folder)
}

#[tokio::test]
async fn files_and_a_folder_land_on_their_keys_and_a_second_run_sends_nothing() {
    let h = start(emulator_builder(KEY, std::time::Duration::from_secs(1))).await;
    create_volume(&h, "v1").await;
    let (_dir, file, folder) = sources();
    let args = [
        "upload",
        &file,
        &folder,
        "--volume",
        "v1",
        "--path",
        "data/2024/",
    ];
    let (_, report) = run_json(jcmd(&h, &args)).await;
    let entry = |source: String, key: &str, bytes: u64, sent: u64| {
        json!({"source": source, "key": key, "bytes": bytes, "partsSent": sent,
               "partsSkipped": 1 - sent, "skipped": sent == 0})
    };
    let b = format!("{folder}/b.parquet");
    let c = format!("{folder}/sub/c.csv");
    assert_eq!(
        report,
        json!({
            "files": [
                entry(file.clone(), "v1/data/2024/a.json", 3, 1),
                entry(b.clone(), "v1/data/2024/b.parquet", 1000, 1),
                entry(c.clone(), "v1/data/2024/sub/c.csv", 4, 1),
            ],
            "bytes": 1007, "partsSent": 3, "partsSkipped": 0,
        })
    );
    assert_eq!(
        keys(&h),
        [
            "v1/data/2024/a.json",
            "v1/data/2024/b.parquet",
            "v1/data/2024/sub/c.csv"
        ]
    );
    assert_eq!(stored(&h, "v1/data/2024/a.json").unwrap(), b"[1]");
    assert_eq!(
        stored(&h, "v1/data/2024/b.parquet").unwrap(),
        vec![7u8; 1000]
    );
    // Everything is there with its size: nothing is sent again.
    let (_, again) = run_json(jcmd(&h, &args)).await;
    assert_eq!(
        again,
        json!({
            "files": [
                entry(file.clone(), "v1/data/2024/a.json", 3, 0),
                entry(b, "v1/data/2024/b.parquet", 1000, 0),
                entry(c, "v1/data/2024/sub/c.csv", 4, 0),
            ],
            "bytes": 1007, "partsSent": 0, "partsSkipped": 3,
        })
    );
    // In text: a summary line, then a line per file.
    let r = expect(
        cmd(&h, &["upload", &file, "--volume", "v1", "--path", "t/"]),
        0,
    )
    .await;
    assert_eq!(
        r.stdout,
        format!("uploaded 1 files (3 bytes): 1 parts sent, 0 skipped\n{file} -> v1/t/a.json\n")
    );
}

#[tokio::test]
async fn a_quota_that_would_be_passed_exits_2_with_nothing_sent() {
    let builder =
        emulator_builder(KEY, std::time::Duration::from_secs(1)).volume_condition(1000, Some(2));
    let h = start(builder).await;
    create_volume(&h, "v1").await;
    let (_dir, file, folder) = sources();
    // Three files, two allowed; 1,007 bytes, 1,000 allowed.
    let args = ["upload", &file, &folder, "--volume", "v1", "--path", "d/"];
    let e = failure(jcmd(&h, &args), 2, "invalid_input", Some("NotSent")).await;
    assert_eq!(
        e["message"],
        "the upload (3 files, 1007 bytes) exceeds the volume's limit of 1000 bytes \
         (maxContentLength) of 2 files (maxFileNumber). If you are using the free tier, you \
         may switch to the pay-as-you-go volume plan"
    );
    assert_eq!(keys(&h), Vec::<String>::new());
    // No journal was left either: nothing had begun.
    let journals = fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("zilliz-upload"))
        .count();
    assert_eq!(journals, 0);
}

#[tokio::test]
async fn a_refused_apply_exits_3_and_a_volume_without_path_exits_2() {
    let h = start(emulator_builder(KEY, std::time::Duration::from_secs(1))).await;
    let (_dir, file, _) = sources();
    let args = ["upload", &file, "--volume", "nope", "--path", "d/"];
    let e = failure(jcmd(&h, &args), 3, "api", Some("Received")).await;
    assert_eq!(e["code"], 80000);
    let e = failure(
        jcmd(&h, &["upload", &file, "--volume", "nope"]),
        2,
        "invalid_input",
        Some("NotSent"),
    )
    .await;
    assert_eq!(
        e["message"],
        "--volume needs --path, the folder inside the volume (such as `data/`)"
    );
    // A bucket URL that is none: refused before anything is sent.
    let e = failure(
        jcmd(&h, &["upload", &file, "--to", "wasb://b/p"]),
        2,
        "invalid_input",
        Some("NotSent"),
    )
    .await;
    assert_eq!(
        e["message"],
        "invalid destination: \"wasb://b/p\": expected s3://BUCKET/PREFIX, \
         gs://BUCKET/PREFIX or az://CONTAINER/PREFIX"
    );
    let applies = h
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/volumes/apply")
        .count();
    assert_eq!(applies, 1);
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_exits_4() {
    let (_dir, file, _) = sources();
    let mut c = crate::common::cli_env::cli();
    c.args([
        "--output",
        "json",
        "upload",
        &file,
        "--to",
        "s3://bucket-1/p",
    ])
    .args(["--endpoint", "http://127.0.0.1:9"])
    .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    .env("AWS_SECRET_ACCESS_KEY", "not-shown-secret");
    let r = expect(c, 4).await;
    assert_eq!(r.stdout, "");
    let e = r.stderr_error();
    assert_eq!(e["kind"], "storage");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("bucket-1") || message.contains("p/a.json"),
        "{e}"
    );
    assert!(!r.stderr.contains("not-shown-secret"), "{}", r.stderr);
}

#[tokio::test]
async fn write_streams_its_files_into_a_volume_with_no_local_copy() {
    let h = start(emulator_builder(KEY, std::time::Duration::from_secs(1))).await;
    create_volume(&h, "v1").await;
    let (dir, schema, rows) = crate::cli_load::inputs();
    let args = [
        "write", "--schema", &schema, "--input", &rows, "--volume", "v1", "--path", "w/",
    ];
    let (_, v) = run_json(jcmd(&h, &args)).await;
    assert_eq!(v["files"], json!([["1.parquet"]]));
    assert_eq!(v["rows"], 50);
    assert_eq!(keys(&h), ["v1/w/1.parquet"]);
    let object = stored(&h, "v1/w/1.parquet").unwrap();
    assert_eq!(v["bytes"], object.len());
    assert_eq!(&object[..4], b"PAR1");
    // Nothing was written beside the inputs.
    let local: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(local.len(), 2);
    // --out or a destination: one is needed, two are refused.
    let both = [&args[..], &["--out", "x"]].concat();
    let r = expect(cmd(&h, &both), 2).await;
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
}
