//! Helpers shared by `cli.rs`, `secrets_audit.rs` and `hardening.rs`: running the
//! real `zilliz-import` binary in a clean environment without blocking the
//! runtime that serves the emulator, and a guard for a spawned child process.

use std::{
    io::{BufRead, BufReader},
    process::{Child, ChildStdout, Stdio},
    time::Duration,
};

use serde_json::Value;
use zilliz_import::{Client, Error, RetryPolicy};
use zilliz_import_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, RecordedRequest};

/// The emulator's default cluster id.
pub const CLUSTER: &str = "in01-emulator";

/// Every variable the binary reads, removed on top of `env_clear` so nothing
/// from the developer's shell can leak in even if the clearing changes.
pub const ZILLIZ_VARS: [&str; 7] = [
    "ZILLIZ_API_KEY",
    "ZILLIZ_BASE_URL",
    "ZILLIZ_CLUSTER_ID",
    "ZILLIZ_ACCESS_KEY",
    "ZILLIZ_SECRET_KEY",
    "ZILLIZ_RATE_LIMIT",
    "RUST_LOG",
];

/// The binary with an empty environment and a hard timeout.
pub fn cli() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("zilliz-import").expect("the binary is built");
    cmd.env_clear();
    for var in ZILLIZ_VARS {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// The binary as a `std::process::Command` (for long-running children).
pub fn std_cli() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zilliz-import"));
    cmd.env_clear();
    cmd
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as one JSON document.
    pub fn stdout_json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {self:#?}"))
    }

    /// The `error` object of the last stderr line (json mode); progress lines
    /// from a wait may come before it.
    pub fn stderr_error(&self) -> Value {
        let last = self
            .stderr
            .lines()
            .last()
            .unwrap_or_else(|| panic!("stderr is empty: {self:#?}"));
        let v: Value = serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("last stderr line is not JSON ({e}): {self:#?}"));
        let obj = v.as_object().expect("an object");
        assert_eq!(obj.len(), 1, "only `error` at the top: {v}");
        obj["error"].clone()
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code; {self:#?}");
        self
    }
}

/// Runs `cmd` on a blocking thread so the emulator (on the test's runtime)
/// keeps serving while the binary talks to it.
pub async fn run(mut cmd: assert_cmd::Command) -> Run {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("blocking task")
        .expect("the binary runs");
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// The binary pointed at `h` with `token`, then `args`.
pub fn cmd_on(h: &EmulatorHandle, token: &str, args: &[&str]) -> assert_cmd::Command {
    cli_at(&h.base_url(), token, args)
}

/// The binary pointed at `base` (any server, scripted or not) with `token`,
/// then `args`.
pub fn cli_at(base: &str, token: &str, args: &[&str]) -> assert_cmd::Command {
    let mut c = cli();
    c.args(["--api-key", token, "--base-url", base]).args(args);
    c
}

/// Runs `c` and checks that it exited with `code`.
pub async fn expect(c: assert_cmd::Command, code: i32) -> Run {
    let r = run(c).await;
    r.assert_code(code);
    r
}

/// The requests `h` received for `operation` (the path's last segment).
pub fn sent_to(h: &EmulatorHandle, operation: &str) -> Vec<RecordedRequest> {
    let path = format!("/v2/vectordb/jobs/import/{operation}");
    h.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

/// The builder of [`emulator`], for tests that add to it.
pub fn emulator_builder(key: &str, duration: Duration) -> EmulatorBuilder {
    Emulator::builder()
        .api_key(key)
        .job_duration(duration)
        .fail_when_url_contains("fail")
}

/// Starts the emulator `builder` describes.
pub async fn start(builder: EmulatorBuilder) -> EmulatorHandle {
    builder.start().await.expect("emulator starts")
}

/// An emulator with `key`, jobs of `duration`, and URLs containing "fail" failing.
pub async fn emulator(key: &str, duration: Duration) -> EmulatorHandle {
    start(emulator_builder(key, duration)).await
}

/// Retries with millisecond backoff, so failing tests stay quick.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// A library client for the emulator, with quick retries.
pub fn client(base: &str, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(base)
        .retry(fast_retry())
        .build()
        .expect("client builds")
}

/// Asserts `e` is the API's answer to a wrong key: HTTP 401 with code 21119.
pub fn assert_wrong_key(e: &Error) {
    assert!(
        matches!(
            e,
            Error::Api {
                code: 21119,
                status: 401,
                ..
            }
        ),
        "{e:?}"
    );
}

/// `command --cluster-id CLUSTER`, then `rest`.
pub fn cluster_args<'a>(command: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    [&[command, "--cluster-id", CLUSTER][..], rest].concat()
}

/// `create` of `url` into `collection` on `cluster`, then `extra`.
pub fn create_args_on<'a>(
    cluster: &'a str,
    collection: &'a str,
    url: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let head = [
        "create",
        "--cluster-id",
        cluster,
        "--collection",
        collection,
        "--object-url",
        url,
    ];
    [&head[..], extra].concat()
}

/// A loopback URL nothing listens on (bound, then released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Kills and reaps the child when dropped, so a failing test leaves no process behind.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `zilliz-import <args> emulator ...` with piped output and returns the
/// guard, the first stdout line (without the newline) and a reader for the rest.
pub fn spawn_emulator(args: &[&str]) -> (ChildGuard, String, BufReader<ChildStdout>) {
    spawn_emulator_with_env(args, &[])
}

/// [`spawn_emulator`] with extra environment variables.
pub fn spawn_emulator_with_env(
    args: &[&str],
    env: &[(&str, &str)],
) -> (ChildGuard, String, BufReader<ChildStdout>) {
    let child = std_cli()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the emulator");
    let mut guard = ChildGuard(child);
    let stdout = guard.0.stdout.take().expect("piped stdout");
    // Read on another thread so a child that never prints fails the test
    // instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        let read = reader.read_line(&mut first);
        let _ = tx.send((read.map(|_| first), reader));
    });
    let (first, reader) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the emulator prints a first line within 30 s");
    let mut first = first.expect("read the first line");
    assert!(
        first.ends_with('\n'),
        "the first line is complete: {first:?}"
    );
    first.pop();
    (guard, first, reader)
}

/// Runs `script` with bash, on a blocking thread, with only `PATH` set:
/// for pipelines, such as a reader that goes away (`| head -3`).
pub async fn bash(script: String) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-c", &script])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
    })
    .await
    .expect("blocking task")
    .expect("bash runs")
}

/// Collapses runs of whitespace, so wrapped help text compares as prose.
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
