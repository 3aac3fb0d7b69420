//! Secrets audit: the library's success and failure paths run with
//! recognisable API key, secret key, session token and presigned-URL
//! values, at the most verbose logging, and none of them may appear in
//! Debug, Display or trace output. The CLI's half, stdout and stderr, is
//! `cli/tests/it/secrets_audit.rs`; the sentinels are in `common/audit.rs`.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use httpmock::MockServer;
use serde_json::json;
use zilliz_import::{Client, CreateImportJob, ListImportJobs, WaitError, WaitOptions};
use zilliz_import_emulator::Emulator;

use crate::{
    audit::*,
    common::{fast_retry, faulty_server::refused_url},
    emulator_env::{CLUSTER, assert_wrong_key, client, emulator, emulator_builder, start},
};
use zilliz_import::{ErrorKind, Target};

/// Checks that neither the trace output nor any of `texts` leaks a sentinel.
fn assert_all_clean(texts: &[String], trace: &str) {
    assert_clean("trace output", trace);
    for text in texts {
        assert_clean("Debug/Display", text);
    }
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
pub(crate) fn traced<T>(f: impl AsyncFnOnce() -> T) -> (T, String) {
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

pub(crate) fn describe_result<T: std::fmt::Debug, E: std::error::Error>(
    r: &Result<T, E>,
) -> String {
    match r {
        Ok(v) => format!("{v:?}\n{v:#?}\n"),
        Err(e) => describe_err(e),
    }
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

            let described = c
                .describe_import_job(&Target::cluster(CLUSTER), &created.job_id)
                .await;
            texts.push(describe_result(&described));
            described.expect("describe succeeds");

            let seen = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&seen);
            let options = WaitOptions::default()
                .interval(Duration::from_millis(20), Duration::from_millis(50))
                .deadline(Duration::from_secs(10))
                .on_progress(move |p| sink.lock().unwrap().push(format!("{p:?}")));
            texts.push(format!("{options:?}"));
            let done = c
                .wait_for_import_job(&Target::cluster(CLUSTER), &created.job_id, options)
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
            wrong
                .describe_import_job(&Target::cluster(CLUSTER), "1")
                .await
                .unwrap_err(),
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
            assert!(matches!(e.kind(), ErrorKind::InvalidInput { .. }), "{e:?}");
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
            errors.push(Box::new(e));
        }

        // ---- failure: connection refused
        let closed = client(&refused_url(), API_KEY);
        let e = closed
            .create_import_job(secret_job(&presigned_full("a.parquet")))
            .await
            .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Connect), "{e:?}");
        errors.push(Box::new(e));
        errors.push(Box::new(
            closed
                .describe_import_job(&Target::cluster(CLUSTER), "1")
                .await
                .unwrap_err(),
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
        assert!(
            matches!(e.kind(), ErrorKind::Api { code: 80000, .. }),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("secretKey <redacted> token <redacted> apiKey <redacted> url"),
            "{e}"
        );
        errors.push(Box::new(e));
        let e = s
            .describe_import_job(&Target::cluster(CLUSTER), "1")
            .await
            .unwrap_err();
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
            s.describe_import_job(&Target::cluster(CLUSTER), "1")
                .await
                .unwrap_err(),
        ));

        // ---- failure: a gateway's HTML 502 echoing the request
        let html =
            |m: &str| format!("<html><body><h1>502 Bad Gateway</h1><pre>{m}</pre></body></html>");
        let (_server, s) = echo_client(502, "text/html", html(&echo), html(&echo_key)).await;
        for job in [secret_job_a(), secret_job_a().idempotency_key("k-502")] {
            let e = s.create_import_job(job).await.unwrap_err();
            assert!(
                (matches!(e.kind(), ErrorKind::Http { .. }) && e.status() == Some(502)),
                "{e:?}"
            );
            errors.push(Box::new(e));
        }
        let e = s
            .describe_import_job(&Target::cluster(CLUSTER), "1")
            .await
            .unwrap_err();
        assert!(
            (matches!(e.kind(), ErrorKind::Http { .. })
                && e.status() == Some(502)
                && e.attempts() == 3),
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
            assert!(matches!(e.kind(), ErrorKind::Decode { .. }), "{e:?}");
            errors.push(Box::new(e));
            // Some of these bodies decode for describe or list: only what
            // comes back matters here.
            let r = s.describe_import_job(&Target::cluster(CLUSTER), "1").await;
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
                &Target::cluster(CLUSTER),
                &created.job_id,
                WaitOptions::default().deadline(Duration::from_millis(30)),
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
        // The operation ids progenitor passes the hooks.
        "create_import_job",
        "describe_import_job",
        "list_import_jobs",
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
                &Target::cluster(CLUSTER),
                &created.job_id,
                WaitOptions::default()
                    .interval(Duration::from_millis(20), Duration::from_millis(50)),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, WaitError::JobFailed { .. }), "{e:?}");
        let described = c
            .describe_import_job(&Target::cluster(CLUSTER), &created.job_id)
            .await;
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
    c.describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap_err();
    let reqs = h.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].body["secretKey"], json!("<redacted>"));
    assert_eq!(reqs[0].body["token"], json!("<redacted>"));
    assert_clean("handle.requests() Debug", &format!("{reqs:?}\n{reqs:#?}"));
}
