//! Running the real `zilliz-import` binary in a clean environment without
//! blocking the runtime that serves the emulator or a scripted server, the
//! arguments most runs share, and a guard for a spawned child process.

use std::{
    io::{BufRead, BufReader},
    process::{Child, ChildStdout, Stdio},
    time::Duration,
};

use serde_json::{Value, json};
use zilliz_import::CreateImportJob;
use zilliz_import_emulator::EmulatorHandle;

use crate::emulator_env::{CLUSTER, client, emulator, emulator_builder, start};

/// The key the emulator takes in these tests.
pub const KEY: &str = "cli-test-key";

/// An object URL that the emulator's jobs import without failing.
pub const URL: &str = "s3://bucket/dir/data.parquet";

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

/// The binary pointed at `h` with the right key, then `args`.
pub fn cmd(h: &EmulatorHandle, args: &[&str]) -> assert_cmd::Command {
    cmd_on(h, KEY, args)
}

/// `--output json`, then `args`.
pub fn json_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    [&["--output", "json"][..], args].concat()
}

/// [`cmd`] with `--output json` before `args`.
pub fn jcmd(h: &EmulatorHandle, args: &[&str]) -> assert_cmd::Command {
    cmd(h, &json_args(args))
}

/// `create` of [`URL`] into `c` on the emulator's cluster, then `extra`.
pub fn create_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    create_args_on(CLUSTER, "c", URL, extra)
}

/// Runs `c`, checks that it succeeded, and parses its stdout as JSON.
pub async fn run_json(c: assert_cmd::Command) -> (Run, Value) {
    let r = expect(c, 0).await;
    let v = r.stdout_json();
    (r, v)
}

/// Runs `c`, checks that it exited with `code`, and returns the JSON error on stderr.
pub async fn run_error(c: assert_cmd::Command, code: i32) -> Value {
    expect(c, code).await.stderr_error()
}

/// Runs `c` and checks that it exited with `code`, printed nothing on stdout
/// and reported an error of `kind` and `delivery` (none for how a wait or a
/// walk ended: that is not one request), which it returns.
pub async fn failure(
    c: assert_cmd::Command,
    code: i32,
    kind: &str,
    delivery: Option<&str>,
) -> Value {
    let r = expect(c, code).await;
    assert_eq!(r.stdout, "");
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!(kind));
    assert_eq!(
        e.get("delivery"),
        delivery.map(|d| json!(d)).as_ref(),
        "{e}"
    );
    e
}

/// An emulator whose jobs take 300 ms.
pub async fn quick_emulator() -> EmulatorHandle {
    emulator(KEY, Duration::from_millis(300)).await
}

/// An emulator on a clock that only moves when the test says so.
pub async fn manual_emulator() -> EmulatorHandle {
    start(emulator_builder(KEY, Duration::from_secs(10)).manual_clock()).await
}

/// Creates a job through the library (not the CLI under test).
pub async fn lib_create(h: &EmulatorHandle, collection: &str, url: &str) -> String {
    client(&h.base_url(), KEY)
        .create_import_job(CreateImportJob::new(CLUSTER, collection, url))
        .await
        .expect("library create")
        .job_id
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
