//! `upload --to gs://...` and `--to az://...`: a URL that names no bucket
//! or container exits 2 naming it with nothing sent; keys given in the
//! clouds' variables never show, not even when the store cannot be
//! reached (exit 4); and with Azurite up (`upload/tests/azurite/ci.sh`),
//! files land in the container with the report on stdout, and `write`
//! streams its Parquet file into one.

use std::process::Command;

use crate::common::cli_env::{cli, expect};

/// A file to send, in a folder of its own.
fn source(bytes: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.json");
    std::fs::write(&file, bytes).unwrap();
    (dir, file.to_string_lossy().into_owned())
}

/// `--output json upload FILE --to TO [--endpoint URL]` with `vars`.
fn upload(
    file: &str,
    to: &str,
    endpoint: Option<&str>,
    vars: &[(&str, &str)],
) -> assert_cmd::Command {
    let mut c = cli();
    c.args(["--output", "json", "upload", file, "--to", to]);
    if let Some(endpoint) = endpoint {
        c.args(["--endpoint", endpoint]);
    }
    for (k, v) in vars {
        c.env(k, v);
    }
    c
}

/// A `--to` URL, the variables given, and the secret among them.
type Run<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

const AZURE_KEY: &str = "QVpVUkVTRUNSRVRBWlVSRVNFQ1JFVEFaVVJFU0VDUkVU";

#[tokio::test]
async fn bad_gs_and_az_urls_exit_2_naming_them() {
    let (_dir, file) = source(b"{}");
    // The endpoint would refuse any connection: nothing may be sent.
    let refused = Some("http://127.0.0.1:9");
    for (to, message) in [
        ("gs://Bad_Bucket/p", "\"Bad_Bucket\" is not a bucket name"),
        (
            "gs://bkt/a/../b",
            "prefix \"a/../b\": empty, `.` or `..` segment",
        ),
        ("az://a_b/p", "\"a_b\" is not an Azure container name"),
        (
            "az://ctr/x//y",
            "prefix \"x//y\": empty, `.` or `..` segment",
        ),
        (
            "az:/ctr/x",
            "expected s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or az://CONTAINER/PREFIX",
        ),
    ] {
        let r = expect(upload(&file, to, refused, &[]), 2).await;
        assert_eq!(r.stdout, "");
        let e = r.stderr_error();
        assert_eq!(e["kind"], "invalid_input", "{to}: {e}");
        assert_eq!(
            e["message"],
            format!("invalid destination: {to:?}: {message}"),
            "{to}"
        );
    }
}

#[tokio::test]
async fn unreachable_gcs_and_azure_exit_4_without_their_keys() {
    let (_dir, file) = source(b"{}");
    let runs: [Run; 2] = [
        (
            "gs://bkt-1/p",
            &[("GOOGLE_BEARER_TOKEN", "ya29.not-shown-token")],
            "ya29.not-shown-token",
        ),
        (
            "az://ctr-1/p",
            &[
                ("AZURE_STORAGE_ACCOUNT_NAME", "acct"),
                ("AZURE_STORAGE_ACCOUNT_KEY", AZURE_KEY),
            ],
            AZURE_KEY,
        ),
    ];
    for (to, vars, secret) in runs {
        let r = expect(upload(&file, to, Some("http://127.0.0.1:9"), vars), 4).await;
        assert_eq!(r.stdout, "");
        let e = r.stderr_error();
        assert_eq!(e["kind"], "storage", "{to}: {e}");
        assert!(e["message"].as_str().unwrap().contains("p/a.json"), "{e}");
        assert!(!r.stderr.contains(secret), "{}", r.stderr);
    }
    // An account key that is not base64: refused (2) before anything is
    // sent, and not shown either.
    let vars = [
        ("AZURE_STORAGE_ACCOUNT_NAME", "acct"),
        ("AZURE_STORAGE_ACCOUNT_KEY", "not*base64*key"),
    ];
    let r = expect(
        upload(&file, "az://ctr-1/p", Some("http://127.0.0.1:9"), &vars),
        2,
    )
    .await;
    assert_eq!(r.stderr_error()["kind"], "invalid_input");
    assert!(!r.stderr.contains("not*base64*key"), "{}", r.stderr);
}

/// Azurite as `upload/tests/azurite/ci.sh` started it; `None` outside CI
/// without it (said on stderr), a failure under `CI=true`.
fn azurite() -> Option<(String, String, String)> {
    match std::env::var("ZI_AZURITE_URL") {
        Ok(url) => Some((
            url,
            std::env::var("ZI_AZURITE_NODE").unwrap(),
            std::env::var("ZI_AZURITE_CONTAINER_JS").unwrap(),
        )),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but no Azurite: run through upload/tests/azurite/ci.sh")
        }
        Err(_) => {
            eprintln!("skipped: no Azurite (run through upload/tests/azurite/ci.sh)");
            None
        }
    }
}

/// Azurite's well-known development account.
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const DEV_VARS: [(&str, &str); 2] = [
    ("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1"),
    ("AZURE_STORAGE_ACCOUNT_KEY", DEV_KEY),
];

/// A new container in Azurite (object_store makes none).
fn container(node: &str, container_js: &str, url: &str, test: &str) -> String {
    let name = format!("cli-{test}-{}", std::process::id());
    let made = Command::new(node)
        .args([container_js, url, &name])
        .status()
        .unwrap();
    assert!(made.success());
    name
}

/// The blob at `key`, read with object_store's own Azure client.
async fn blob(url: &str, container: &str, key: &str) -> Vec<u8> {
    use zilliz_import_upload::object_store::{ObjectStoreExt, azure::MicrosoftAzureBuilder};
    let store = MicrosoftAzureBuilder::new()
        .with_account("devstoreaccount1")
        .with_access_key(DEV_KEY)
        .with_endpoint(url.to_owned())
        .with_allow_http(true)
        .with_container_name(container)
        .build()
        .unwrap();
    let got = store.get(&key.into()).await.unwrap();
    got.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_file_lands_in_an_azurite_container() {
    let Some((url, node, container_js)) = azurite() else {
        return;
    };
    let container = container(&node, &container_js, &url, "upload");
    let (_dir, file) = source(b"{\"rows\": []}");
    let to = format!("az://{container}/in");
    let r = expect(upload(&file, &to, Some(&url), &DEV_VARS), 0).await;
    let report = r.stdout_json();
    assert_eq!(report["files"][0]["key"], "in/a.json", "{report}");
    assert_eq!(report["bytes"], 12);
    assert_eq!(report["partsSent"], 1);
    assert!(!r.stdout.contains(DEV_KEY) && !r.stderr.contains(DEV_KEY));
    assert_eq!(blob(&url, &container, "in/a.json").await, b"{\"rows\": []}");
    // Run again: there already, nothing sent.
    let again = expect(upload(&file, &to, Some(&url), &DEV_VARS), 0)
        .await
        .stdout_json();
    assert_eq!(
        (again["partsSent"].clone(), again["partsSkipped"].clone()),
        (0.into(), 1.into())
    );
    assert_eq!(again["files"][0]["skipped"], true);
}

#[tokio::test]
async fn write_streams_its_file_into_an_azurite_container() {
    let Some((url, node, container_js)) = azurite() else {
        return;
    };
    let container = container(&node, &container_js, &url, "write");
    let (_dir, schema, rows) = crate::cli_load::inputs();
    let to = format!("az://{container}/w");
    let mut c = cli();
    c.args([
        "--output", "json", "write", "--schema", &schema, "--input", &rows,
    ])
    .args(["--to", &to, "--endpoint", &url])
    .envs(DEV_VARS);
    let v = expect(c, 0).await.stdout_json();
    assert_eq!(v["files"], serde_json::json!([["1.parquet"]]));
    assert_eq!(v["rows"], 50);
    let object = blob(&url, &container, "w/1.parquet").await;
    assert_eq!(v["bytes"], object.len());
    assert_eq!(&object[..4], b"PAR1");
}
