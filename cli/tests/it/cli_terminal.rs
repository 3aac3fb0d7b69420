//! The CLI on a terminal: util-linux's `script` runs it on a pseudo-terminal
//! of 24 rows, so it draws its bars as a user sees them, while /proc tells
//! how many threads it runs. Linux only (/proc, util-linux).

#![cfg(target_os = "linux")]

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use crate::{
    common::cli_env::KEY,
    emulator_env::{CLUSTER, emulator},
};

/// The pid of the child of `parent`, if it has one yet.
fn child_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid ...`: comm may hold spaces and parentheses.
            let after = &stat[stat.rfind(')')? + 1..];
            let ppid: u32 = after.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == parent).then_some(pid)
        })
}

/// The `Threads:` line of `/proc/PID/status`.
fn threads(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Threads:"))?;
    line["Threads:".len()..].trim().parse().ok()
}

/// Runs `command` (shell words) on a pseudo-terminal of 24 rows and 120
/// columns; returns its exit code, what the terminal showed, and the most
/// threads the program ran at once (sampled every few milliseconds).
fn on_terminal(command: &str) -> (i32, String, usize) {
    let script = format!("stty rows 24 cols 120; exec {command}");
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &script, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux's `script` runs");
    let stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut shown = Vec::new();
        let mut stdout = stdout;
        std::io::Read::read_to_end(&mut stdout, &mut shown).expect("read the terminal");
        shown
    });
    let mut most = 0;
    let mut program = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("script") {
            break status;
        }
        program = program.or_else(|| child_of(child.id()));
        if let Some(n) = program.and_then(threads) {
            most = most.max(n);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let shown = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    (status.code().expect("exited"), shown, most)
}

/// 500 ids on a terminal: a bar for each of the first 22, one line for the
/// other 478, one ticker; the command ends by its `--timeout`. Each bar
/// once had a ticker thread of its own: 500 ids, 500 threads.
#[tokio::test(flavor = "multi_thread")]
async fn many_jobs_on_a_terminal_run_few_threads_and_a_screenful_of_bars() {
    let h = emulator(KEY, Duration::from_secs(10)).await;
    // Unknown to the emulator: the few polled end as 96026 (exit 3), the
    // rest when the 2 s run out.
    let ids: Vec<String> = (0..500).map(|n| format!("u{n}")).collect();
    let command = format!(
        "'{}' --api-key {KEY} --base-url {} wait --cluster-id {CLUSTER} {} --timeout 2s",
        env!("CARGO_BIN_EXE_zilliz-import"),
        h.base_url(),
        ids.join(" ")
    );
    let (code, shown, most) = tokio::task::spawn_blocking(move || on_terminal(&command))
        .await
        .unwrap();
    assert_eq!(code, 3, "{shown}");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // The runtime's workers and a few more; never one per job.
    assert!(most > 0, "the program was seen running");
    assert!(most <= cores + 8, "{most} threads on {cores} cores");
    assert!(shown.contains("job u21 ["), "the 22nd bar: {shown}");
    assert!(!shown.contains("job u22 ["), "no 23rd bar: {shown}");
    assert!(shown.contains("478 more jobs: "), "{shown}");
    // Then the ends, a line per job, the first and the last.
    assert!(shown.contains("job u0: "), "{shown}");
    assert!(shown.contains("job u499: "), "{shown}");
}

/// `write` on a terminal draws its bar (bytes read, here from a pipe that
/// pauses), and clears it before the result.
#[tokio::test(flavor = "multi_thread")]
async fn write_on_a_terminal_shows_a_bar_of_the_bytes_read() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.json");
    std::fs::write(
        &schema,
        r#"{"fields": [{"name": "id", "type": "Int64", "primaryKey": true},
                       {"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "1"}]}]}"#,
    )
    .unwrap();
    let script = dir.path().join("run.sh");
    std::fs::write(
        &script,
        format!(
            "(echo '{{\"id\": 1, \"v\": [1]}}'; sleep 0.6; echo '{{\"id\": 2, \"v\": [2]}}') | \
             '{}' write --schema '{}' --input - --out '{}'\n",
            env!("CARGO_BIN_EXE_zilliz-import"),
            schema.display(),
            dir.path().join("out").display()
        ),
    )
    .unwrap();
    let command = format!("bash '{}'", script.display());
    let (code, shown, _) = tokio::task::spawn_blocking(move || on_terminal(&command))
        .await
        .unwrap();
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("writing "), "the bar: {shown}");
    assert!(shown.contains(" B read"), "bytes read: {shown}");
    assert!(shown.contains("wrote 2 rows"), "{shown}");
}
