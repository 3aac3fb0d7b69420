//! SIGINT and SIGTERM sent to the real binary at the moments that matter:
//! after a create succeeded and before the first poll answers (the job's id
//! must not be lost: a script would start a second import), while the
//! create itself is in flight (it may have reached the server), during
//! `commit --wait` and a wait for several jobs, and to the `emulator`
//! command, whose normal stop a signal is. A closed stdout after a create
//! is here too: it is the other way a created job's id could be lost.
//!
//! Every test synchronises on something it can observe (the request having
//! arrived at the test server, the emulator's first line), never on a sleep.

use std::{
    io::Read,
    process::{Child, Stdio},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::common::{
    cli_env::{ChildGuard, Run, create_args_on, spawn_emulator, std_cli},
    faulty_server::{Fault, FaultyServer},
    *,
};

/// `create` of one object URL on [`CLUSTER`], then `extra`.
fn create_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    create_args_on(CLUSTER, "c", "s3://bucket/k.parquet", extra)
}

/// Runs the binary with `args` against `server`, sends it `signal` once
/// `requests` requests have arrived there, and collects how it ended.
async fn interrupted(server: &FaultyServer, args: &[&str], requests: usize, signal: &str) -> Run {
    let running = Running::start(server.url(), args, false);
    received(server, requests).await;
    running.signal(signal);
    running.finish().await
}

/// The binary running against `base`, its output read as it comes (also
/// `load`'s interrupted runs, `cli_load`).
pub(crate) struct Running {
    child: ChildGuard,
    stdout: Option<JoinHandle<String>>,
    stderr: JoinHandle<String>,
}

/// Reads `from` to its end on a thread of its own.
fn drain(mut from: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        from.read_to_string(&mut text).expect("UTF-8 output");
        text
    })
}

impl Running {
    /// `zilliz-import --api-key ... --base-url base args...`; with
    /// `stdout_closed`, its stdout is a pipe whose reader is gone.
    pub(crate) fn start(base: &str, args: &[&str], stdout_closed: bool) -> Running {
        let mut child: Child = std_cli()
            .args(["--api-key", API_KEY, "--base-url", base])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let stdout = if stdout_closed {
            drop(stdout);
            None
        } else {
            Some(drain(stdout))
        };
        Running {
            child: ChildGuard(child),
            stdout,
            stderr: drain(stderr),
        }
    }

    /// Sends `signal` (`INT`, `TERM`) with kill(1).
    pub(crate) fn signal(&self, signal: &str) {
        send(&self.child.0, signal);
    }

    /// Waits for the process to end (at most a minute) and collects what it
    /// printed.
    pub(crate) async fn finish(mut self) -> Run {
        let status = exit_status(&mut self.child.0).await;
        let stdout = match self.stdout.take() {
            Some(reader) => reader.join().expect("stdout reader"),
            None => String::new(),
        };
        Run {
            code: status
                .code()
                .unwrap_or_else(|| panic!("exited, not killed by a signal: {status:?}")),
            stdout,
            stderr: self.stderr.join().expect("stderr reader"),
        }
    }
}

/// Sends `signal` to `child` with kill(1).
fn send(child: &Child, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{signal}");
}

/// How `child` ended, polled without blocking the runtime that serves the
/// test's server; at most a minute.
async fn exit_status(child: &mut Child) -> std::process::ExitStatus {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < until,
            "the process did not end in a minute"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `server` has received `n` complete requests (at most 30 s).
async fn received(server: &FaultyServer, n: usize) {
    let until = Instant::now() + Duration::from_secs(30);
    while server.requests_received() < n {
        assert!(
            Instant::now() < until,
            "{} of {n} requests arrived",
            server.requests_received()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A server that creates [`JOB_ID`], then never answers again.
async fn creates_then_stalls() -> FaultyServer {
    FaultyServer::start(vec![Fault::json(200, &created_body(), &[]), Fault::Stall]).await
}

/// The signals, their names and the exit code each ends a command with.
const SIGNALS: [(&str, &str, i32); 2] = [("INT", "SIGINT", 130), ("TERM", "SIGTERM", 143)];

// ------------------------------------------------- a job created, then a signal

#[tokio::test]
async fn a_signal_after_the_create_prints_the_job_id_document_in_json() {
    for (signal, name, code) in SIGNALS {
        let server = creates_then_stalls().await;
        let args = [&["--output", "json"][..], &create_args(&["--wait"])].concat();
        // The create answered and the first poll is waiting for its answer.
        let r = interrupted(&server, &args, 2, signal).await;
        r.assert_code(code);
        assert_eq!(r.stdout, format!("{{\n  \"jobId\": \"{JOB_ID}\"\n}}\n"));
        assert_eq!(
            r.stderr_error(),
            json!({
                "kind": "interrupted",
                "signal": name,
                "message": format!("interrupted by {name}"),
                "jobId": JOB_ID,
            })
        );
        assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
        assert_no_secrets("stderr", &r.stderr);
        assert_eq!(server.requests_received(), 2);
    }
}

#[tokio::test]
async fn a_signal_after_the_create_notes_the_job_id_in_text() {
    for (signal, name, code) in SIGNALS {
        let server = creates_then_stalls().await;
        let r = interrupted(&server, &create_args(&["--wait"]), 2, signal).await;
        r.assert_code(code);
        assert_eq!(r.stdout, "");
        assert_eq!(
            r.stderr,
            format!(
                "created import job {JOB_ID}\n\
                 error: interrupted by {name}\n\
                 note: import job {JOB_ID} was created and goes on server-side\n"
            )
        );
    }
}

// ------------------------------------------------- a signal during the create

#[tokio::test]
async fn a_signal_during_the_create_says_it_may_have_reached_the_server() {
    const MAY_HAVE_STARTED: &str = "while the create request was in flight (request may have \
        been sent): a job may have started; list the jobs before creating it again";
    for (signal, name, code) in SIGNALS {
        let server = FaultyServer::start(vec![Fault::Stall]).await;
        let args = [&["--output", "json"][..], &create_args(&["--wait"])].concat();
        let r = interrupted(&server, &args, 1, signal).await;
        r.assert_code(code);
        assert_eq!(r.stdout, "", "no job id is known");
        assert_eq!(
            r.stderr_error(),
            json!({
                "kind": "interrupted",
                "signal": name,
                "message": format!("interrupted by {name} {MAY_HAVE_STARTED}"),
                "operation": "create",
                "delivery": "MaybeSent",
            })
        );

        let server = FaultyServer::start(vec![Fault::Stall]).await;
        let r = interrupted(&server, &create_args(&[]), 1, signal).await;
        r.assert_code(code);
        assert_eq!(r.stdout, "");
        assert_eq!(
            r.stderr,
            format!("error: interrupted by {name} {MAY_HAVE_STARTED}\n")
        );
    }
}

// ------------------------------------------------- commit, and several jobs

#[tokio::test]
async fn a_signal_during_commit_and_during_commit_wait() {
    // During the commit: it may have been taken; a commit is safe to repeat.
    let server = FaultyServer::start(vec![Fault::Stall]).await;
    let args = [
        "--output",
        "json",
        "commit",
        "--cluster-id",
        CLUSTER,
        JOB_ID,
    ];
    let r = interrupted(&server, &args, 1, "TERM").await;
    r.assert_code(143);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr_error(),
        json!({
            "kind": "interrupted",
            "signal": "SIGTERM",
            "message": "interrupted by SIGTERM while the commit request was in flight \
                (request may have been sent); a commit is safe to repeat",
            "operation": "commit",
            "delivery": "MaybeSent",
        })
    );

    // Committed, then waiting: nothing in doubt.
    let settled = Fault::json(200, &json!({"code": 0, "data": {}}), &[]);
    let server = FaultyServer::start(vec![settled, Fault::Stall]).await;
    let args = [
        "commit",
        "--cluster-id",
        CLUSTER,
        JOB_ID,
        "--wait",
        "--timeout",
        "1h",
    ];
    let r = interrupted(&server, &args, 2, "INT").await;
    r.assert_code(130);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!("job {JOB_ID}: commit accepted\nerror: interrupted by SIGINT\n")
    );
}

#[tokio::test]
async fn a_signal_during_a_wait_for_several_jobs_leaves_stdout_empty() {
    for (signal, name, code) in SIGNALS {
        let server = FaultyServer::start(vec![Fault::Stall]).await;
        let args = [
            "--output",
            "json",
            "wait",
            "--cluster-id",
            CLUSTER,
            "1",
            "2",
            "--timeout",
            "1h",
        ];
        let r = interrupted(&server, &args, 2, signal).await;
        r.assert_code(code);
        assert_eq!(r.stdout, "", "no half-written document");
        assert_eq!(
            r.stderr_error(),
            json!({"kind": "interrupted", "signal": name, "message": format!("interrupted by {name}")})
        );
    }
}

// ------------------------------------------------- the emulator

/// Ctrl-C is the emulator's documented stop (exit 0, as ever); SIGTERM, a
/// service manager's stop, shuts it down as cleanly and exits 143.
#[tokio::test]
async fn the_emulator_stops_cleanly_on_either_signal() {
    for (signal, code) in [("INT", 0), ("TERM", 143)] {
        let (mut guard, base, _rest) = spawn_emulator(&["emulator", "--listen", "127.0.0.1:0"]);
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        send(&guard.0, signal);
        let status = exit_status(&mut guard.0).await;
        assert_eq!(status.code(), Some(code), "{signal}: {status:?}");
    }
}

// ------------------------------------------------- a closed stdout

/// The id a create prints on stdout is lost when stdout is gone: it is then
/// said on stderr, the one channel left.
#[tokio::test]
async fn a_closed_stdout_after_a_create_names_the_job_on_stderr() {
    let server = FaultyServer::start(vec![Fault::json(200, &created_body(), &[])]).await;
    let r = Running::start(server.url(), &create_args(&[]), true)
        .finish()
        .await;
    r.assert_code(141);
    assert_eq!(
        r.stderr,
        format!(
            "error: stdout was closed before the result was printed\n\
             note: import job {JOB_ID} was created and goes on server-side\n"
        )
    );

    let args = [&["--output", "json"][..], &create_args(&[])].concat();
    let r = Running::start(server.url(), &args, true).finish().await;
    r.assert_code(141);
    assert_eq!(
        r.stderr_error(),
        json!({
            "kind": "stdout_closed",
            "message": "stdout was closed before the result was printed",
            "jobId": JOB_ID,
        })
    );
}

/// Without a created job, a closed stdout ends the program quietly, as
/// before: nobody is owed anything.
#[tokio::test]
async fn a_closed_stdout_without_a_created_job_stays_quiet() {
    let progress = progress("Importing", 10);
    let server = FaultyServer::start(vec![Fault::json(200, &progress, &[])]).await;
    let r = Running::start(
        server.url(),
        &["describe", "--cluster-id", CLUSTER, JOB_ID],
        true,
    )
    .finish()
    .await;
    r.assert_code(141);
    assert_eq!(r.stderr, "");
}
