//! Secrets audit of the CLI: its success and failure paths run with
//! recognisable API key, secret key, session token and presigned-URL values,
//! at the most verbose logging, and none of them may appear in stdout or
//! stderr. The library's half is `tests/it/secrets_audit.rs`.

use std::{io::Read, time::Duration};

use serde_json::json;
use zilliz_import::Client;
use zilliz_import_emulator::Emulator;

use crate::{
    audit::*,
    common::{
        cli_env::{self, Run, cli, cluster_args, create_args_on, run, spawn_emulator},
        faulty_server::refused_url,
    },
    emulator_env::{CLUSTER, client, emulator, start},
};
use zilliz_import::Target;

// ---------------------------------------------------------------- CLI

/// How the secrets reach the binary.
#[derive(Debug, Clone, Copy)]
enum Via {
    Flags,
    Env,
}

/// One audited run: the binary at `-vvv` against `base`, with the API key
/// (and, for create, the storage credentials) passed `via` flags or env.
#[derive(Debug, Clone)]
struct Case {
    name: &'static str,
    base: String,
    args: Vec<String>,
    code: i32,
    /// Whether a request is made, so the crate's span must show in the log.
    sends: bool,
}

fn case(name: &'static str, base: &str, args: &[&str], code: i32, sends: bool) -> Case {
    Case {
        name,
        base: base.to_owned(),
        args: args.iter().map(|a| a.to_string()).collect(),
        code,
        sends,
    }
}

fn strip_ansi(text: &str) -> String {
    regex::Regex::new("\x1b\\[[0-9;]*m")
        .unwrap()
        .replace_all(text, "")
        .into_owned()
}

/// `create` of `url` into `c` on the emulator's cluster.
fn create_of(url: &str) -> Vec<&str> {
    create_args_on(CLUSTER, "c", url, &[])
}

fn audited_command(c: &Case, via: Via, json: bool) -> assert_cmd::Command {
    let mut cmd = cli();
    cmd.arg("-vvv").args(["--base-url", &c.base]);
    if json {
        cmd.args(["--output", "json"]);
    }
    let is_create = c.args.first().is_some_and(|a| a == "create");
    match via {
        Via::Flags => {
            cmd.args(["--api-key", API_KEY]).args(&c.args);
            if is_create {
                cmd.args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY]);
            }
        }
        Via::Env => {
            cmd.env("ZILLIZ_API_KEY", API_KEY)
                .env("ZILLIZ_ACCESS_KEY", ACCESS_KEY)
                .env("ZILLIZ_SECRET_KEY", SECRET_KEY)
                .args(&c.args);
        }
    }
    cmd
}

/// Runs every case four ways (flags or env, text or json), concurrently,
/// and checks exit codes, that logging was on, and that nothing leaked.
async fn audit_cli(cases: &[Case]) {
    let mut runs = Vec::new();
    for c in cases {
        for via in [Via::Flags, Via::Env] {
            for json in [false, true] {
                let cmd = audited_command(c, via, json);
                let label = format!("{} via {via:?}, json={json}", c.name);
                runs.push(async move { (label, run(cmd).await) });
            }
        }
    }
    let results: Vec<(String, Run)> = futures::future::join_all(runs).await;
    assert_eq!(results.len(), cases.len() * 4);
    for ((label, r), c) in results.iter().zip(cases.iter().flat_map(|c| [c, c, c, c])) {
        assert_eq!(r.code, c.code, "{label}: {r:#?}");
        // The log is coloured even on a pipe (see cli.rs); compare
        // the plain text too, so no escape code can split a secret.
        let stderr = strip_ansi(&r.stderr);
        assert_clean(&format!("{label}: stdout"), &r.stdout);
        assert_clean(&format!("{label}: stderr"), &r.stderr);
        assert_clean(&format!("{label}: stderr without colours"), &stderr);
        if c.sends {
            assert!(
                stderr.contains("zilliz_import{operation="),
                "{label}: the crate's span shows at -vvv: {r:#?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_success_paths_leak_nothing_at_trace_level() {
    let h = emulator(API_KEY, Duration::from_millis(300)).await;
    let base = h.base_url();
    let id = client(&base, API_KEY)
        .create_import_job(secret_job(&presigned("seed.parquet")))
        .await
        .expect("create")
        .job_id;
    let url = presigned_full("a.parquet");
    let url1 = presigned("b.parquet");
    let ok = |name, args: &[&str]| case(name, &base, args, 0, true);
    let cases = [
        ok(
            "create",
            &create_args_on(CLUSTER, "c", &url, &["--idempotency-key", "idem"]),
        ),
        ok(
            "create --wait",
            &create_args_on(CLUSTER, "c", &url1, &["--wait"]),
        ),
        ok("describe", &cluster_args("describe", &[&id])),
        ok(
            "list",
            &cluster_args("list", &["--page", "2", "--page-size", "1"]),
        ),
        ok(
            "list --all",
            &cluster_args("list", &["--all", "--page-size", "1"]),
        ),
        ok("wait", &cluster_args("wait", &[&id])),
    ];
    audit_cli(&cases).await;
    // 1 seed + 4 runs each of create and create --wait (one idempotency key
    // per collection: the four keyed creates are one job).
    assert_eq!(h.job_count(), 1 + 1 + 4);
    let reqs = h.requests();
    assert_clean("handle.requests() Debug", &format!("{reqs:?}"));
    assert!(reqs.iter().all(|r| r.authorized));
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_failure_paths_leak_nothing_at_trace_level() {
    let h = emulator(API_KEY, Duration::from_millis(300)).await;
    let slow = slow_emulator().await;
    let other = other_key_emulator().await;
    let slow_id = client(&slow.base_url(), API_KEY)
        .create_import_job(secret_job(&presigned("slow.parquet")))
        .await
        .expect("create")
        .job_id;

    let echo = format!(
        "bad request: secretKey {SECRET_KEY} apiKey {API_KEY} url {}",
        presigned("a.parquet")
    );
    let echo_key = format!("bad request: apiKey {API_KEY}");
    let envelope = |code: i64, m: &str| json!({"code": code, "message": m}).to_string();
    let html = |m: &str| format!("<html><body>502 Bad Gateway {m}</body></html>");
    let api_echo = echo_server(
        200,
        "application/json",
        envelope(80000, &echo),
        envelope(80000, &echo_key),
    )
    .await;
    let html_echo = echo_server(502, "text/html", html(&echo), html(&echo_key)).await;
    let decode_echo = echo_server(
        200,
        "application/json",
        json!({"code": SECRET_KEY, "message": echo}).to_string(),
        json!({"code": API_KEY}).to_string(),
    )
    .await;
    let closed = refused_url();

    let base = h.base_url();
    let fail_url = presigned_full("fail.parquet");
    let url = presigned("a.parquet");
    let bad_url = format!("nope?{PRESIGNED_QUERY}");
    let no_host = format!("s3:///key?{PRESIGNED_QUERY}");
    let create_wait = create_args_on(CLUSTER, "c", &fail_url, &["--wait"]);
    let describe_1 = cluster_args("describe", &["1"]);

    let cases = [
        case("failed job", &base, &create_wait, 5, true),
        case(
            "unknown job",
            &base,
            &cluster_args("describe", &["4242"]),
            3,
            true,
        ),
        case(
            "unknown cluster",
            &base,
            &create_args_on("in01-nope", "c", &url, &[]),
            3,
            true,
        ),
        case("invalid url", &base, &create_of(&bad_url), 2, false),
        case("url without host", &base, &create_of(&no_host), 2, false),
        case(
            "page size 0",
            &base,
            &cluster_args("list", &["--page-size", "0"]),
            2,
            false,
        ),
        case(
            "wrong key create",
            &other.base_url(),
            &create_of(&url),
            3,
            true,
        ),
        case(
            "wrong key list",
            &other.base_url(),
            &cluster_args("list", &["--all"]),
            3,
            true,
        ),
        case("refused create", &closed, &create_of(&url), 4, true),
        // wait polls through connection failures until its deadline
        case(
            "refused wait",
            &closed,
            &cluster_args("wait", &["1", "--timeout", "300ms"]),
            6,
            true,
        ),
        case(
            "echoing API error",
            &api_echo.base_url(),
            &create_of(&url),
            3,
            true,
        ),
        case(
            "echoing API error, describe",
            &api_echo.base_url(),
            &describe_1,
            3,
            true,
        ),
        case(
            "echoing HTML 502",
            &html_echo.base_url(),
            &create_of(&url),
            4,
            true,
        ),
        case(
            "echoing HTML 502, list",
            &html_echo.base_url(),
            &cluster_args("list", &[]),
            4,
            true,
        ),
        case(
            "echoing undecodable body",
            &decode_echo.base_url(),
            &create_of(&url),
            4,
            true,
        ),
        case(
            "echoing undecodable body, describe",
            &decode_echo.base_url(),
            &describe_1,
            4,
            true,
        ),
        case(
            "wait timeout",
            &slow.base_url(),
            &cluster_args("wait", &[&slow_id, "--timeout", "50ms"]),
            6,
            true,
        ),
    ];
    audit_cli(&cases).await;

    // A secret key without its access key: refused before sending, both ways.
    for via in [Via::Flags, Via::Env] {
        let mut cmd = cli();
        cmd.args(["-vvv", "--base-url", &base, "--api-key", API_KEY])
            .args(create_of(&url));
        match via {
            Via::Flags => cmd.args(["--secret-key", SECRET_KEY]),
            Via::Env => cmd.env("ZILLIZ_SECRET_KEY", SECRET_KEY),
        };
        let r = run(cmd).await;
        assert_eq!(r.code, 2, "{via:?}: {r:#?}");
        assert!(r.stderr.contains("accessKey"), "{via:?}: {r:#?}");
        assert_clean(
            "secret without access key",
            &format!("{}{}", r.stdout, r.stderr),
        );
    }

    for (name, handle) in [("main", &h), ("slow", &slow), ("other", &other)] {
        let reqs = handle.requests();
        assert!(!reqs.is_empty(), "{name} was used");
        assert_clean(
            &format!("{name} emulator's requests() Debug"),
            &format!("{reqs:?}"),
        );
    }
    assert_eq!(
        h.jobs()
            .iter()
            .filter(|j| j.object_urls == [fail_url.clone()])
            .count(),
        4
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_does_not_print_its_key() {
    for via in ["flag", "env"] {
        let mut args = vec!["-vvv"];
        if via == "flag" {
            args.extend(["--api-key", API_KEY]);
        }
        args.extend([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--job-duration",
            "100ms",
        ]);
        let (mut guard, first, mut rest) = if via == "flag" {
            spawn_emulator(&args)
        } else {
            cli_env::spawn_emulator_with_env(&args, &[("ZILLIZ_API_KEY", API_KEY)])
        };
        let mut stderr = guard.0.stderr.take().expect("piped stderr");
        assert!(first.starts_with("http://127.0.0.1:"), "{first}");

        let c = client(&first, API_KEY);
        let created = c
            .create_import_job(secret_job(&presigned_full("a.parquet")))
            .await
            .expect("the key given to the emulator is accepted");
        c.describe_import_job(&Target::cluster(CLUSTER), &created.job_id)
            .await
            .expect("describe");
        let e = client(&first, "wrong-key")
            .describe_import_job(&Target::cluster(CLUSTER), &created.job_id)
            .await
            .unwrap_err();
        assert_eq!(e.api_code(), Some(21119));

        drop(guard);
        let mut out = String::new();
        rest.read_to_string(&mut out).expect("rest of stdout");
        let mut err = String::new();
        stderr.read_to_string(&mut err).expect("stderr");
        assert_eq!(out, "", "{via}: only the URL on stdout");
        assert!(err.contains("emulator listening"), "{via}: {err}");
        assert_clean(&format!("emulator subcommand ({via}) stdout"), &first);
        assert_clean(&format!("emulator subcommand ({via}) stderr"), &err);
        assert_clean(
            &format!("emulator subcommand ({via}) stderr"),
            &strip_ansi(&err),
        );
    }
}

/// The password of a `user:password` token, and a client private key.
const MILVUS_PASSWORD: &str = "MILVUSPW-SENTINEL-4d2e";
const PRIVATE_KEY_BODY: &str = "PRIVATEKEY-SENTINEL-8a0f";

#[tokio::test]
async fn a_milvus_password_and_a_client_key_never_show() {
    let token = format!("root:{MILVUS_PASSWORD}");
    let h = start(
        Emulator::builder()
            .milvus()
            .api_key(&token)
            .job_duration(Duration::from_millis(100)),
    )
    .await;
    let base = h.base_url();
    let milvus = |args: &[&str], key: &str| {
        let mut c = cli();
        c.args(["-vvv", "--api-key", key, "--base-url", &base])
            .args(args);
        c
    };
    let created = run(milvus(
        &[
            "create",
            "--collection",
            "c",
            "--file",
            "a.parquet",
            "--wait",
        ],
        &token,
    ))
    .await;
    created.assert_code(0);
    let refused = run(milvus(&["--output", "json", "describe", "1"], "root:wrong")).await;
    refused.assert_code(3);
    let library = Client::builder()
        .api_key(&token)
        .base_url(&base)
        .build()
        .unwrap();
    let debug = format!("{library:?}");
    for text in [
        &created.stdout,
        &created.stderr,
        &refused.stdout,
        &refused.stderr,
        &debug,
    ] {
        assert!(!text.contains(MILVUS_PASSWORD), "{text}");
    }
    let recorded = format!("{:?}", h.requests());
    assert!(!recorded.contains(MILVUS_PASSWORD), "{recorded}");

    // A client key that does not parse: refused by name, never quoted.
    let dir = std::env::temp_dir().join(format!("zi-audit-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("client.key");
    let cert = dir.join("client.pem");
    std::fs::write(
        &key,
        format!("-----BEGIN PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    std::fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut c = cli();
    c.args([
        "-vvv",
        "--api-key",
        API_KEY,
        "--base-url",
        "https://127.0.0.1:9",
    ])
    .args([
        "--client-cert",
        cert.to_str().unwrap(),
        "--client-key",
        key.to_str().unwrap(),
    ])
    .args(["describe", "1", "--cluster-id", CLUSTER]);
    let r = run(c).await;
    let _ = std::fs::remove_dir_all(&dir);
    r.assert_code(2);
    assert!(
        !r.stderr.contains(PRIVATE_KEY_BODY) && !r.stdout.contains(PRIVATE_KEY_BODY),
        "{r:?}"
    );
    assert_clean("client key refusal", &r.stderr);
}
