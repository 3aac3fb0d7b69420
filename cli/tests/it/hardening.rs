//! The findings of an outside tester who tried to break the crate's claims
//! against misbehaving loopback servers, as the binary shows them: one test
//! (or a few) per finding, each reproducing the failure as reported and
//! asserting what must hold now. The library's side of each finding is in
//! the library's `tests/it/hardening.rs`.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use serde_json::json;
use zilliz_import::{Client, DEFAULT_MAX_PAGES};

use crate::common::{
    cli_env::{self, cli_at},
    faulty_server::{Fault, FaultyServer},
    *,
};

// ---------------------------------------------------------------- finding 1

/// A create that succeeded reports its job id on stdout even when the wait
/// after it fails, so a script does not start a second import.
#[tokio::test]
async fn create_wait_json_reports_the_job_id_when_the_wait_fails() {
    let failed_reason = "正在读取：s3://bucket/a.parquet?X-Amz-Signature=SIG-SENTINEL";
    for (describe, exit, kind) in [
        (
            describe_with(json!({"state": "Failed", "reason": failed_reason})),
            5,
            "import_failed",
        ),
        (
            Fault::json(
                200,
                &json!({"code": 96026, "message": "job not found"}),
                &[],
            ),
            3,
            "api",
        ),
    ] {
        let server =
            FaultyServer::start(vec![Fault::json(200, &created_body(), &[]), describe]).await;
        let args = [
            "--output",
            "json",
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            "s3://b/k.parquet",
            "--wait",
        ];
        let out = cli_env::run(cli_at(server.url(), API_KEY, &args)).await;
        out.assert_code(exit);
        assert_eq!(out.stdout_json(), json!({"jobId": JOB_ID}), "{out:#?}");
        let error = out.stderr_error();
        assert_eq!(error["kind"], kind);
        assert_eq!(error["jobId"], JOB_ID);
        assert_no_secrets("stderr", &out.stderr);
        assert!(!out.stderr.contains("panicked"), "{out:#?}");
        assert_eq!(server.requests_received(), 2);
    }
}

// ---------------------------------------------------------------- finding 2

/// A listener that counts the connections made to it, standing in for a
/// proxy named by the environment.
async fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_plain_http_base_url_never_goes_through_a_proxy() {
    let server = FaultyServer::start(vec![Fault::json(200, &progress("Importing", 5), &[])]).await;
    let (proxy, connections) = counting_listener().await;
    let mut cmd = cli_at(
        server.url(),
        API_KEY,
        &["describe", "--cluster-id", CLUSTER, JOB_ID],
    );
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
    ] {
        cmd.env(var, &proxy);
    }
    let out = cli_env::run(cmd).await;
    out.assert_code(0);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the proxy saw the request"
    );
    assert_eq!(server.requests_received(), 1);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
}

// ---------------------------------------------------------------- finding 3

/// Every string of a describe answer, and the request id header, pass the
/// scrubber before the binary prints them (text and JSON, with every log
/// line): an echoed key, a presigned query, terminal escapes. The library's
/// half is `every_server_string_is_scrubbed_before_anyone_sees_it`.
#[tokio::test]
async fn every_server_string_is_scrubbed_in_what_the_cli_prints() {
    let server = FaultyServer::start(vec![echoes_in_every_string()]).await;
    for mode in ["text", "json"] {
        let args = [
            "-vvv",
            "--output",
            mode,
            "describe",
            "--cluster-id",
            CLUSTER,
            JOB_ID,
        ];
        let out = cli_env::run(cli_at(server.url(), API_KEY, &args)).await;
        out.assert_code(0);
        for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert_no_secrets(what, text);
            assert!(
                !text.contains('\u{1b}'),
                "{what} carries a raw escape: {text}"
            );
        }
        assert!(out.stderr.contains("id-<redacted>"), "{}", out.stderr);
    }
}

// ---------------------------------------------------------------- finding 5

#[tokio::test]
async fn cli_list_all_stops_at_max_pages_and_prints_what_it_listed() {
    let server = FaultyServer::start(vec![endless_pages(None)]).await;
    let args = [
        "--output",
        "json",
        "list",
        "--cluster-id",
        CLUSTER,
        "--all",
        "--max-pages",
        "3",
    ];
    let out = cli_env::run(cli_at(server.url(), API_KEY, &args)).await;
    out.assert_code(4);
    assert_eq!(out.stdout_json()["count"], 30);
    assert_eq!(out.stderr_error()["kind"], "page_limit_reached");
    assert_eq!(server.requests_received(), 3);
}

// ---------------------------------------------------------------- finding 6

/// Both end by their `--timeout` against a server that never answers (the
/// process ending is the bound).
#[tokio::test]
async fn cli_wait_and_create_wait_end_at_their_timeout() {
    let server = FaultyServer::start(vec![Fault::Stall]).await;
    let out = cli_env::run(cli_at(
        server.url(),
        API_KEY,
        &["wait", "--cluster-id", CLUSTER, JOB_ID, "--timeout", "1s"],
    ))
    .await;
    out.assert_code(6);

    let args = [
        "create",
        "--cluster-id",
        CLUSTER,
        "--collection",
        "c",
        "--object-url",
        "s3://b/k",
        "--wait",
        "--timeout",
        "1s",
    ];
    let out = cli_env::run(cli_at(server.url(), API_KEY, &args)).await;
    // The --timeout cut the create short: a timeout, which may have been sent.
    out.assert_code(6);
    assert!(out.stderr.contains("may have been sent"), "{}", out.stderr);
}

// --------------------------------------------------------------- finding 10

#[tokio::test]
async fn an_absurd_timeout_is_invalid_input_not_a_panic() {
    let out = cli_env::run(cli_at(
        "http://127.0.0.1:9",
        API_KEY,
        &[
            "wait",
            "--cluster-id",
            CLUSTER,
            JOB_ID,
            "--timeout",
            "300000000000y",
        ],
    ))
    .await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("longer than 100 years"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// `... 2>&1 | head -3` used to panic once the pipe closed; now the program
/// stops quietly with the code a shell gives a program killed by SIGPIPE.
#[tokio::test]
async fn a_closed_pipe_ends_the_program_quietly() {
    let server = FaultyServer::start(vec![endless_pages(None)]).await;
    let bin = env!("CARGO_BIN_EXE_zilliz-import");
    let script = format!(
        "'{bin}' --api-key {API_KEY} --base-url {} list --cluster-id {CLUSTER} --all --page-size 100 2>&1 | head -3; echo \"status=${{PIPESTATUS[0]}}\"",
        server.url()
    );
    let out = cli_env::bash(script).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].starts_with("JOB ID"), "{stdout}");
    assert_eq!(lines[3], "status=141", "{stdout}");
    assert!(
        server.requests_received() < DEFAULT_MAX_PAGES as usize,
        "it stopped early: {}",
        server.requests_received()
    );
}

#[tokio::test]
async fn config_errors_echo_neither_password_nor_query() {
    for base in [
        "http://user:PASSWORD-SENTINEL@example.com",
        "https://h.example.com/?token=QUERY-SENTINEL",
        "http://user:PASSWORD-SENTINEL@[::1",
    ] {
        let out = cli_env::run(cli_at(
            base,
            API_KEY,
            &["describe", "--cluster-id", CLUSTER, JOB_ID],
        ))
        .await;
        out.assert_code(2);
        assert!(out.stderr.contains("base URL"), "{}", out.stderr);
        for secret in ["PASSWORD-SENTINEL", "QUERY-SENTINEL"] {
            assert!(!out.stderr.contains(secret), "{}", out.stderr);
        }
        let debug = format!("{:?}", Client::builder().base_url(base));
        assert!(!debug.contains("SENTINEL"), "{debug}");
    }
}

/// Issue 19, point 7: a base URL without its scheme (a Milvus token
/// pasted as `user:password@host`), a password holding a raw `#` or `?`,
/// and a token given as the user name. What is refused shows no part of
/// its user-info, in text and JSON, nor in the builder's Debug.
#[tokio::test]
async fn a_refused_base_url_never_shows_its_user_info() {
    let cases = [
        ("admin:PWA-SENTINEL@host:19530", "`<redacted>@host:19530`"),
        (
            "https://admin:PWA#PWB-SENTINEL@host/",
            "`https://<redacted>`",
        ),
        (
            "https://admin:PWA?PWB-SENTINEL@host/",
            "`https://<redacted>`",
        ),
        ("https://TOKEN-SENTINEL@host/", "`https://<redacted>@host/`"),
        (
            "root:PWA-SENTINEL@127.0.0.1:19530/?x=PWB",
            "`<redacted>@127.0.0.1:19530/?<redacted>`",
        ),
    ];
    for (base, shown) in cases {
        for json in [false, true] {
            let mut cmd = cli_at(
                base,
                API_KEY,
                &["describe", "--cluster-id", CLUSTER, JOB_ID],
            );
            if json {
                cmd.args(["--output", "json"]);
            }
            let out = cli_env::run(cmd).await;
            out.assert_code(2);
            assert!(out.stderr.contains(shown), "{base}: {}", out.stderr);
            for secret in ["admin", "root", "PWA", "PWB", "SENTINEL"] {
                assert!(!out.stderr.contains(secret), "{base}: {}", out.stderr);
                assert!(!out.stdout.contains(secret), "{base}: {}", out.stdout);
            }
        }
        let debug = format!("{:?}", Client::builder().base_url(base));
        assert!(
            !debug.contains("SENTINEL") && !debug.contains("PWA"),
            "{debug}"
        );
    }
}
