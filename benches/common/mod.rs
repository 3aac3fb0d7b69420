//! Helpers shared by the bench programs: the request every bench sends, a
//! raw-reqwest twin of the crate's create, a minimal loopback server, the
//! standalone emulator process, and small statistics.
//!
//! Each bench program includes this module and uses part of it.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use zilliz_import::{Client, CreateImportJob};
use zilliz_import_emulator::EmulatorHandle;

pub const API_KEY: &str = "bench-api-key";
pub const CLUSTER: &str = "in01-emulator";
pub const COLLECTION: &str = "medium_articles";
pub const OBJECT_URL: &str =
    "s3://publicdataset/medium_articles_2020_dpr/medium_articles_2020_dpr.json";
pub const CREATE_PATH: &str = "/v2/vectordb/jobs/import/create";

/// The create every bench sends through the crate.
pub fn job() -> CreateImportJob {
    CreateImportJob::new(CLUSTER, COLLECTION, OBJECT_URL)
}

/// The crate's client as a user builds it (default retry policy and timeouts).
pub fn crate_client(base_url: &str) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(base_url)
        .build()
        .expect("client config")
}

/// The body the crate sends for [`job`], as the emulator recorded it, so the
/// raw-reqwest twin sends the same JSON.
pub async fn capture_body(client: &Client, emulator: &EmulatorHandle) -> Bytes {
    client.create_import_job(job()).await.expect("create");
    let recorded = emulator
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == CREATE_PATH)
        .expect("a recorded create");
    Bytes::from(serde_json::to_vec(&recorded.body).expect("json"))
}

/// `POST create` with plain reqwest: one reused `reqwest::Client`, the same
/// body and headers as the crate, the response JSON decoded and checked.
#[derive(Clone)]
pub struct Raw {
    http: reqwest::Client,
    url: String,
    auth: HeaderValue,
    body: Bytes,
}

impl Raw {
    pub fn new(base_url: &str, body: Bytes) -> Raw {
        Raw::with_client(reqwest::Client::new(), base_url, body)
    }

    /// The same call on a `reqwest::Client` configured as the crate configures
    /// its own (30 s timeout, 10 s connect timeout, User-Agent, no redirects),
    /// to tell the cost of that configuration from the cost of the crate's layer.
    pub fn configured_like_crate(base_url: &str, body: Bytes) -> Raw {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .user_agent("zilliz-import/0.1.0")
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Raw::with_client(http, base_url, body)
    }

    fn with_client(http: reqwest::Client, base_url: &str, body: Bytes) -> Raw {
        Raw {
            http,
            url: format!("{base_url}{CREATE_PATH}"),
            auth: HeaderValue::from_str(&format!("Bearer {API_KEY}")).unwrap(),
            body,
        }
    }

    pub async fn create(&self) -> Result<String, String> {
        let response = self
            .http
            .post(&self.url)
            .header(AUTHORIZATION, self.auth.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(self.body.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let value: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
        let code = value["code"].as_i64().unwrap_or(-1);
        if !status.is_success() || !(code == 0 || code == 200) {
            return Err(format!("HTTP {status}, code {code}"));
        }
        value["data"]["jobId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no jobId".to_owned())
    }
}

/// The emulator the benches call, with the cluster [`job`] names, on the
/// current runtime.
pub async fn start_emulator() -> EmulatorHandle {
    zilliz_import_emulator::Emulator::builder()
        .api_key(API_KEY)
        .cluster_ids([CLUSTER])
        .start()
        .await
        .expect("emulator")
}

/// A minimal loopback server: any request gets the documented success
/// envelope of create, after its body is read. Serves on the current runtime.
pub async fn start_minimal_server() -> String {
    use axum::{body::Bytes as AxumBytes, http::header, response::IntoResponse};
    async fn reply(_body: AxumBytes) -> impl IntoResponse {
        (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"code":0,"data":{"jobId":"448707763884413158"}}"#,
        )
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(reply);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// The emulator as a separate process (the `zilliz-import emulator` CLI), so
/// the bench process holds only the client. Killed on drop.
pub struct StandaloneEmulator {
    child: Child,
    pub base_url: String,
}

impl StandaloneEmulator {
    pub fn spawn() -> StandaloneEmulator {
        Self::spawn_with(&[])
    }

    /// [`StandaloneEmulator::spawn`] with more arguments for `emulator`.
    pub fn spawn_with(extra: &[&str]) -> StandaloneEmulator {
        let exe = cli_binary();
        let mut child = Command::new(exe)
            .args(["--api-key", API_KEY, "emulator", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("ZILLIZ_BASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the emulator's base URL");
        StandaloneEmulator {
            child,
            base_url: line.trim().to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// The `zilliz-import` binary: `ZI_BENCH_CLI`, or the CLI crate's build in
/// this bench's own target directory and profile (the bench is
/// `<target>/<profile>/deps/<name>-<hash>`), which the CLI crate's build
/// (`cargo build --release -p zilliz-import-cli` for `cargo bench`) puts
/// there.
fn cli_binary() -> PathBuf {
    if let Some(exe) = std::env::var_os("ZI_BENCH_CLI") {
        return PathBuf::from(exe);
    }
    let bench = std::env::current_exe().expect("the bench's own path");
    let built = bench
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("zilliz-import"))
        .filter(|exe| exe.is_file());
    built.expect(
        "the zilliz-import binary: `cargo build -p zilliz-import-cli` in the bench's profile \
         (--release for `cargo bench`), or set ZI_BENCH_CLI",
    )
}

impl Drop for StandaloneEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` field in KiB (`VmRSS`, `VmHWM`).
pub fn proc_kib(pid: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

pub fn rss_kib() -> u64 {
    proc_kib("self", "VmRSS:")
}

/// A count from the environment, or `default` when unset or not a number.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p`-th percentile (0..=100) of sorted samples, nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn median_f64(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `ZI_BENCH_QUICK=1` shrinks every run (for a smoke test).
pub fn quick() -> bool {
    std::env::var_os("ZI_BENCH_QUICK").is_some_and(|v| v != "0")
}
