//! Secrets audit: the library's and the CLI's success and failure paths run
//! with recognisable API key, secret key, session token and presigned-URL
//! values, at the most verbose logging, and none of them may appear in
//! stdout, stderr, Debug, Display or trace output.

use std::{
    io::Read,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::common::cli_env::{
    self, CLUSTER, Run, assert_wrong_key, cli, client, closed_port_url, cluster_args,
    create_args_on, emulator, emulator_builder, fast_retry, run, spawn_emulator, start,
};
use crate::common::{
    ACCESS_KEY, API_KEY, CREATE_PATH, DESCRIBE_PATH, LIST_PATH, PRESIGNED_QUERY, SECRET_KEY,
    SENTINELS, SESSION_TOKEN, SIGNATURE, UNUSED_HTTPS_BASE_URL,
};
use httpmock::prelude::*;
use serde_json::json;
use zilliz_import::{
    Client, CreateImportJob, Error, ListImportJobs, WaitError, WaitOptions,
    emulator::{Emulator, EmulatorHandle},
};

/// A presigned URL whose only query parameter is the signature sentinel.
fn presigned(name: &str) -> String {
    format!("https://bucket.s3.us-west-2.amazonaws.com/data/{name}?{PRESIGNED_QUERY}")
}

/// The kind of presigned URL S3 really hands out: several parameters.
fn presigned_full(name: &str) -> String {
    format!(
        "https://bucket.s3.us-west-2.amazonaws.com/data/{name}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential={ACCESS_KEY}%2F20240101%2Fus-west-2%2Fs3%2Faws4_request\
         &X-Amz-Expires=3600&{PRESIGNED_QUERY}"
    )
}

/// Every sentinel found in `text`.
fn leaks(text: &str) -> Vec<&'static str> {
    SENTINELS.into_iter().filter(|s| text.contains(s)).collect()
}

fn assert_clean(what: &str, text: &str) {
    let found = leaks(text);
    assert!(found.is_empty(), "{what} leaks {found:?}:\n{text}");
}

/// Checks that neither the trace output nor any of `texts` leaks a sentinel.
fn assert_all_clean(texts: &[String], trace: &str) {
    assert_clean("trace output", trace);
    for text in texts {
        assert_clean("Debug/Display", text);
    }
}

/// An emulator taking the sentinel API key whose jobs run for an hour.
async fn slow_emulator() -> EmulatorHandle {
    start(
        Emulator::builder()
            .api_key(API_KEY)
            .job_duration(Duration::from_secs(3600)),
    )
    .await
}

/// An emulator that takes only "other-key", so the sentinel key is refused.
async fn other_key_emulator() -> EmulatorHandle {
    start(Emulator::builder().api_key("other-key")).await
}

/// A create carrying every kind of secret.
fn secret_job(url: &str) -> CreateImportJob {
    CreateImportJob::new(CLUSTER, "audit", url)
        .storage_credentials(ACCESS_KEY, SECRET_KEY)
        .session_token(SESSION_TOKEN)
}

/// [`secret_job`] of the plain presigned `a.parquet`.
fn secret_job_a() -> CreateImportJob {
    secret_job(&presigned("a.parquet"))
}

// ---------------------------------------------------------------- trace capture

/// An in-memory log sink shared between the subscriber and the test.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs `f` on a current-thread runtime with a TRACE subscriber for every
/// target writing into a fresh sink; returns what `f` returned and the log.
fn traced<T>(f: impl AsyncFnOnce() -> T) -> (T, String) {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish();
    let out = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f())
    });
    (out, sink.text())
}

/// Debug, Display and the source chain of an error, plus its Debug in full.
fn describe_err(e: &dyn std::error::Error) -> String {
    let mut text = format!("{e}\n{e:?}\n{e:#?}\n");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!("{s}\n{s:?}\n"));
        source = s.source();
    }
    text
}

fn describe_result<T: std::fmt::Debug, E: std::error::Error>(r: &Result<T, E>) -> String {
    match r {
        Ok(v) => format!("{v:?}\n{v:#?}\n"),
        Err(e) => describe_err(e),
    }
}

/// An httpmock server answering create with `create_body` and describe and
/// list with `other_body`, both with `status`. Describe and list carry only the
/// API key, so only the API key is fair to echo to them.
async fn echo_server(
    status: u16,
    content_type: &str,
    create_body: String,
    other_body: String,
) -> MockServer {
    let server = MockServer::start_async().await;
    for (path, body) in [
        (CREATE_PATH, create_body),
        (DESCRIBE_PATH, other_body.clone()),
        (LIST_PATH, other_body),
    ] {
        server
            .mock_async(|when, then| {
                when.method(POST).path(path);
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
    }
    server
}

/// An [`echo_server`] and a client with the sentinel API key for it; keep the
/// server alive while the client is used.
async fn echo_client(
    status: u16,
    content_type: &str,
    create_body: String,
    other_body: String,
) -> (MockServer, Client) {
    let server = echo_server(status, content_type, create_body, other_body).await;
    let c = client(&server.base_url(), API_KEY);
    (server, c)
}

/// Creates a [`secret_job`] of `url` against a server answering create with
/// each of `bodies` (status and body) in turn; every create must fail, and
/// neither its result nor the trace may leak a sentinel.
fn assert_create_echoes_are_scrubbed(url: &str, bodies: Vec<(u16, String)>) {
    let (texts, trace) = traced(async || {
        let mut texts = Vec::new();
        for (status, body) in bodies {
            let (_server, s) = echo_client(status, "application/json", body, "{}".into()).await;
            let r = s.create_import_job(secret_job(url)).await;
            assert!(r.is_err(), "{r:?}");
            texts.push(describe_result(&r));
        }
        texts
    });
    assert_all_clean(&texts, &trace);
}

// ---------------------------------------------------------------- library

#[test]
fn library_success_and_failure_paths_leak_nothing_at_trace_level() {
    let (texts, trace) = traced(async || {
        let mut texts: Vec<String> = Vec::new();
        // Failed calls, and how a wait ended.
        let mut errors: Vec<Box<dyn std::error::Error>> = Vec::new();

        let emu = emulator_builder(API_KEY, Duration::from_millis(200));
        texts.push(format!("{emu:?}"));
        let h = start(emu).await;
        texts.push(format!("{h:?}"));

        // ---- success
        let builder = Client::builder()
            .api_key(API_KEY)
            .base_url(h.base_url())
            .retry(fast_retry())
            .header("x-audit", "plain-value");
        texts.push(format!("{builder:?}"));
        let c = builder.build().expect("client");
        texts.push(format!("{c:?}"));

        for (n, url) in [presigned("a.parquet"), presigned_full("b.parquet")]
            .iter()
            .enumerate()
        {
            let job = secret_job(url).idempotency_key(format!("audit-key-{n}"));
            texts.push(format!("{job:?}\n{job:#?}"));
            let created = c.create_import_job(job).await;
            texts.push(describe_result(&created));
            let created = created.expect("create succeeds");
            assert!(h.jobs().iter().any(|j| j.job_id == created.job_id));

            let described = c.describe_import_job(CLUSTER, &created.job_id).await;
            texts.push(describe_result(&described));
            described.expect("describe succeeds");

            let seen = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&seen);
            let options = WaitOptions::default()
                .interval(Duration::from_millis(20), Duration::from_millis(50))
                .timeout(Duration::from_secs(10))
                .on_progress(move |p| sink.lock().unwrap().push(format!("{p:?}")));
            texts.push(format!("{options:?}"));
            let done = c
                .wait_for_import_job(CLUSTER, &created.job_id, options)
                .await;
            texts.push(describe_result(&done));
            done.expect("wait succeeds");
            texts.extend(seen.lock().unwrap().iter().cloned());
        }
        let request = ListImportJobs::new(CLUSTER).page_size(1);
        texts.push(format!("{request:?}"));
        let page = c.list_import_jobs(&request).await;
        texts.push(describe_result(&page));
        assert_eq!(page.expect("list").records.len(), 1);
        let pages: Vec<_> =
            futures::StreamExt::collect(c.list_all_import_jobs(request.clone())).await;
        assert_eq!(
            pages.len(),
            2,
            "two full pages (the empty third is not an item): {pages:?}"
        );
        for p in &pages {
            texts.push(describe_result(p));
        }

        // ---- failure: wrong API key (HTTP 401 / 21119)
        let other = other_key_emulator().await;
        let wrong = client(&other.base_url(), API_KEY);
        let e = wrong.create_import_job(secret_job_a()).await.unwrap_err();
        assert_wrong_key(&e);
        errors.push(Box::new(e));
        errors.push(Box::new(
            wrong.describe_import_job(CLUSTER, "1").await.unwrap_err(),
        ));
        errors.push(Box::new(
            wrong
                .list_import_jobs(&ListImportJobs::new(CLUSTER))
                .await
                .unwrap_err(),
        ));

        // ---- failure: validation (nothing sent)
        let invalid = [
            secret_job(&format!("nope?{PRESIGNED_QUERY}")),
            secret_job(&format!("s3:///no-bucket?{PRESIGNED_QUERY}")),
            CreateImportJob::new(CLUSTER, "audit", presigned("a.parquet"))
                .secret_key(SECRET_KEY)
                .session_token(SESSION_TOKEN),
            CreateImportJob::new(CLUSTER, "audit", presigned("a.parquet"))
                .session_token(SESSION_TOKEN),
            CreateImportJob::new(CLUSTER, " ", presigned("a.parquet"))
                .storage_credentials(ACCESS_KEY, SECRET_KEY),
            secret_job(&presigned("a.parquet")).idempotency_key(" padded "),
        ];
        for job in invalid {
            texts.push(format!("{job:?}"));
            let e = c.create_import_job(job).await.unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
            errors.push(Box::new(e));
        }
        let before = h.requests().len();
        errors.push(Box::new(
            c.list_import_jobs(&ListImportJobs::new(CLUSTER).page_size(0))
                .await
                .unwrap_err(),
        ));
        assert_eq!(h.requests().len(), before, "validation sends nothing");
        for bad in [
            Client::builder()
                // A newline inside (one at the end is trimmed, as the server trims it).
                .api_key(format!("{API_KEY}\n{API_KEY}"))
                .base_url(h.base_url())
                .build(),
            Client::builder()
                .api_key(API_KEY)
                .base_url("http://example.com")
                .build(),
            Client::builder().base_url(h.base_url()).build(),
        ] {
            let e = bad.unwrap_err();
            assert!(matches!(e, Error::InvalidConfig(_)), "{e:?}");
            errors.push(Box::new(e));
        }

        // ---- failure: connection refused
        let closed = client(&closed_port_url(), API_KEY);
        let e = closed
            .create_import_job(secret_job(&presigned_full("a.parquet")))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Connect { .. }), "{e:?}");
        errors.push(Box::new(e));
        errors.push(Box::new(
            closed.describe_import_job(CLUSTER, "1").await.unwrap_err(),
        ));

        // ---- failure: a server whose error message echoes the request
        // (create carries every secret; describe and list only the API key)
        let echo = format!(
            "bad request: secretKey {SECRET_KEY} token {SESSION_TOKEN} apiKey {API_KEY} url {}",
            presigned("a.parquet")
        );
        let echo_key = format!("bad request: apiKey {API_KEY} (Bearer {API_KEY})");
        let envelope = |code: i64, m: &str| json!({"code": code, "message": m}).to_string();
        // An API error `code` over HTTP `status`, its message echoing the request.
        let api_echo = async |status: u16, code: i64| {
            let (create_body, other_body) = (envelope(code, &echo), envelope(code, &echo_key));
            echo_client(status, "application/json", create_body, other_body).await
        };
        let (_server, s) = api_echo(200, 80000).await;
        let e = s.create_import_job(secret_job_a()).await.unwrap_err();
        assert!(matches!(e, Error::Api { code: 80000, .. }), "{e:?}");
        assert!(
            e.to_string()
                .contains("secretKey <redacted> token <redacted> apiKey <redacted> url"),
            "{e}"
        );
        errors.push(Box::new(e));
        let e = s.describe_import_job(CLUSTER, "1").await.unwrap_err();
        assert!(
            e.to_string()
                .contains("apiKey <redacted> (Bearer <redacted>)"),
            "{e}"
        );
        errors.push(Box::new(e));
        errors.push(Box::new(
            s.list_import_jobs(&ListImportJobs::new(CLUSTER))
                .await
                .unwrap_err(),
        ));
        // The same over HTTP 401.
        let (_server, s) = api_echo(401, 21119).await;
        errors.push(Box::new(
            s.create_import_job(secret_job_a()).await.unwrap_err(),
        ));
        errors.push(Box::new(
            s.describe_import_job(CLUSTER, "1").await.unwrap_err(),
        ));

        // ---- failure: a gateway's HTML 502 echoing the request
        let html =
            |m: &str| format!("<html><body><h1>502 Bad Gateway</h1><pre>{m}</pre></body></html>");
        let (_server, s) = echo_client(502, "text/html", html(&echo), html(&echo_key)).await;
        for job in [secret_job_a(), secret_job_a().idempotency_key("k-502")] {
            let e = s.create_import_job(job).await.unwrap_err();
            assert!(matches!(e, Error::Http { status: 502, .. }), "{e:?}");
            errors.push(Box::new(e));
        }
        let e = s.describe_import_job(CLUSTER, "1").await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Http {
                    status: 502,
                    attempts: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        errors.push(Box::new(e));

        // ---- failure: undecodable bodies echoing the secrets
        let bodies = [
            (
                format!("not json at all: {echo}"),
                format!("not json at all: {echo_key}"),
            ),
            (
                json!({"code": SECRET_KEY, "data": {"jobId": SESSION_TOKEN}}).to_string(),
                json!({"code": API_KEY}).to_string(),
            ),
            (
                json!({"code": 0, "data": {"jobId": 7, "echo": echo}}).to_string(),
                json!({"code": 0, "data": {"jobId": 7, "echo": echo_key}}).to_string(),
            ),
            (
                json!({"code": 0, "data": {"jobId": SIGNATURE.len(), "k": echo}}).to_string(),
                json!({"code": 0, "data": {"records": API_KEY}}).to_string(),
            ),
        ];
        for (create_body, other_body) in bodies {
            let (_server, s) = echo_client(200, "application/json", create_body, other_body).await;
            let e = s.create_import_job(secret_job_a()).await.unwrap_err();
            assert!(matches!(e, Error::Decode { .. }), "{e:?}");
            errors.push(Box::new(e));
            // Some of these bodies decode for describe or list: only what
            // comes back matters here.
            let r = s.describe_import_job(CLUSTER, "1").await;
            texts.push(describe_result(&r));
            let r = s.list_import_jobs(&ListImportJobs::new(CLUSTER)).await;
            texts.push(describe_result(&r));
        }

        // ---- failure: a wait that times out (job still running)
        let slow = slow_emulator().await;
        let sc = client(&slow.base_url(), API_KEY);
        let created = sc.create_import_job(secret_job_a()).await.expect("create");
        let e = sc
            .wait_for_import_job(
                CLUSTER,
                &created.job_id,
                WaitOptions::default().timeout(Duration::from_millis(30)),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, WaitError::TimedOut { .. }), "{e:?}");
        errors.push(Box::new(e));

        assert_eq!(errors.len(), 28, "errors collected");
        texts.extend(errors.iter().map(|e| describe_err(e.as_ref())));
        texts.push(format!("{h:?}"));
        texts
    });

    assert!(!trace.is_empty(), "the subscriber captured something");
    for expected in [
        "zilliz_import",
        "operation",
        "createImportJob",
        "describeImportJob",
        "listImportJobs",
        "attempt failed; retrying",
        "failed",
    ] {
        assert!(
            trace.contains(expected),
            "trace output mentions {expected:?}:\n{trace}"
        );
    }
    assert_all_clean(&texts, &trace);
}

/// A job whose presigned object cannot be read fails, and the emulator's
/// `reason` names the object by its URL, query included, as a real service
/// may. Neither describe, wait nor the error may pass the signature on.
#[test]
fn a_failed_jobs_reason_does_not_leak_the_presigned_query() {
    let (texts, trace) = traced(async || {
        let h = emulator(API_KEY, Duration::from_millis(100)).await;
        let c = client(&h.base_url(), API_KEY);
        let created = c
            .create_import_job(secret_job(&presigned("fail.parquet")))
            .await
            .expect("create");
        let e = c
            .wait_for_import_job(
                CLUSTER,
                &created.job_id,
                WaitOptions::default()
                    .interval(Duration::from_millis(20), Duration::from_millis(50)),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, WaitError::JobFailed { .. }), "{e:?}");
        let described = c.describe_import_job(CLUSTER, &created.job_id).await;
        let reason = described
            .as_ref()
            .expect("describe")
            .reason
            .clone()
            .expect("a reason");
        assert!(
            reason.starts_with(
                "failed to read object https://bucket.s3.us-west-2.amazonaws.com/data/fail.parquet"
            ),
            "{reason}"
        );
        vec![describe_err(&e), describe_result(&described), reason]
    });
    assert_all_clean(&texts, &trace);
}

/// A Go JSON encoder (the service's) writes `&` as `\u0026`, so an echoed URL
/// in a raw body differs from the query the client sent; it must still go.
#[test]
fn a_reencoded_echo_of_the_presigned_url_is_scrubbed() {
    let url = presigned_full("a.parquet");
    let go_json_url = url.replace('&', "\\u0026");
    assert!(go_json_url.contains(r"\u0026") && go_json_url.contains(SIGNATURE));
    assert_create_echoes_are_scrubbed(
        &url,
        vec![
            (
                502,
                format!(r#"{{"code":65535,"message":"upstream failed for {go_json_url}"}}"#),
            ),
            (400, format!(r#"<html>bad objectUrl {go_json_url}</html>"#)),
            (
                200,
                format!(r#"{{"code":0,"data":{{"jobId":1,"url":"{go_json_url}"}}}}"#),
            ),
            (
                200,
                format!(r#"{{"code":96000,"message":"cannot read {go_json_url}"}}"#),
            ),
        ],
    );
}

/// Servers quote parts of a URL, not always the whole of it: S3's
/// `SignatureDoesNotMatch` names the signature alone. The scrubber knows the
/// query string only as one piece, so the signature passes through.
#[test]
fn a_partial_echo_of_the_presigned_query_is_scrubbed() {
    assert_create_echoes_are_scrubbed(
        &presigned_full("a.parquet"),
        vec![
            (200, json!({"code": 80000, "message": format!("SignatureDoesNotMatch: {PRESIGNED_QUERY}")}).to_string()),
            (502, format!("<Error><Code>SignatureDoesNotMatch</Code><Signature>{SIGNATURE}</Signature></Error>")),
        ],
    );
}

/// `EmulatorHandle::requests()` promises credentials are redacted: the
/// presigned URL's signature is one.
#[tokio::test]
async fn the_emulators_recorded_requests_hold_no_secrets() {
    let h = start(Emulator::builder().api_key(API_KEY)).await;
    let c = client(&h.base_url(), API_KEY);
    c.create_import_job(secret_job(&presigned_full("a.parquet")).idempotency_key("rec-1"))
        .await
        .expect("create");
    c.create_import_job(
        CreateImportJob::with_object_urls(CLUSTER, "audit", [[presigned("b.parquet")]])
            .storage_credentials(ACCESS_KEY, SECRET_KEY),
    )
    .await
    .expect("create");
    c.describe_import_job(CLUSTER, "1").await.unwrap_err();
    let reqs = h.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].body["secretKey"], json!("<redacted>"));
    assert_eq!(reqs[0].body["token"], json!("<redacted>"));
    assert_clean("handle.requests() Debug", &format!("{reqs:?}\n{reqs:#?}"));
}

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
    let closed = closed_port_url();

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
        c.describe_import_job(CLUSTER, &created.job_id)
            .await
            .expect("describe");
        let e = client(&first, "wrong-key")
            .describe_import_job(CLUSTER, &created.job_id)
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
        UNUSED_HTTPS_BASE_URL,
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
