//! Every `--timeout` bounds its whole command, against a server that never
//! answers: `commit` (with and without `--wait`), `abort`, and the abort a
//! wait sends when its deadline passes, which has a short grace period of
//! its own. A timeout exits 6. Real processes: each test relies on the
//! process ending (the harness kills it after a minute), never on how long
//! it took.

use serde_json::{Value, json};

use crate::common::{
    cli_env::{self, Run, squash},
    faulty_server::{Fault, FaultyServer},
    *,
};

/// `--output json`, pointed at `server` with the sentinel key, then `args`.
async fn run_json(server: &FaultyServer, args: &[&str]) -> Run {
    let mut c = cli_env::cli();
    c.args(["--api-key", API_KEY, "--base-url", server.url()])
        .args(["--output", "json"])
        .args(args);
    cli_env::run(c).await
}

/// The error document of a call the `--timeout` cut short after its
/// request was sent: `kind` timeout, `delivery` MaybeSent, one attempt.
fn assert_cut_short(e: &Value) {
    assert_eq!(e["kind"], json!("timeout"), "{e}");
    assert_eq!(e["delivery"], json!("MaybeSent"), "{e}");
    assert_eq!(
        e["attempts"],
        json!(1),
        "not retried past the deadline: {e}"
    );
    assert_eq!(
        e["message"],
        json!(
            "timed out (request may have been sent) after 1 attempt(s): the call's deadline passed"
        ),
        "{e}"
    );
}

/// Answers describe with a running job and stalls every commit and abort.
fn running_job_unabortable() -> Fault {
    Fault::computed(|_, request| {
        if request.path.ends_with("/describe") {
            Fault::json(200, &progress("Importing", 10), &[])
        } else {
            Fault::Stall
        }
    })
}

#[tokio::test]
async fn commit_and_abort_end_at_their_timeout_with_exit_6() {
    let server = FaultyServer::start(vec![Fault::Stall]).await;
    for args in [
        &[
            "commit",
            "--cluster-id",
            CLUSTER,
            JOB_ID,
            "--wait",
            "--timeout",
            "1s",
        ][..],
        &["commit", "--cluster-id", CLUSTER, JOB_ID, "--timeout", "1s"],
        &["abort", "--cluster-id", CLUSTER, JOB_ID, "--timeout", "1s"],
    ] {
        server.reset(vec![Fault::Stall]);
        let r = run_json(&server, args).await;
        r.assert_code(6);
        assert_eq!(r.stdout, "");
        assert_cut_short(&r.stderr_error());
        assert_eq!(server.requests_received(), 1, "{args:?}");
    }
}

#[tokio::test]
async fn create_wait_ends_at_its_timeout_with_exit_6_when_the_create_never_answers() {
    let server = FaultyServer::start(vec![Fault::Stall]).await;
    let args = cli_env::create_args_on(
        CLUSTER,
        "c",
        "s3://b/k.parquet",
        &["--wait", "--timeout", "1s"],
    );
    let r = run_json(&server, &args).await;
    r.assert_code(6);
    assert_eq!(r.stdout, "", "no job id is known");
    assert_cut_short(&r.stderr_error());
    assert_eq!(server.requests_received(), 1);
}

#[tokio::test]
async fn the_abort_on_timeout_of_one_job_is_bounded_by_its_grace() {
    let server = FaultyServer::start(vec![running_job_unabortable()]).await;
    let args = [
        "wait",
        "--cluster-id",
        CLUSTER,
        JOB_ID,
        "--timeout",
        "1s",
        "--abort-on-timeout",
    ];
    let r = run_json(&server, &args).await;
    r.assert_code(6);
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("wait_timed_out"), "{e}");
    assert_eq!(e["abort"]["accepted"], json!(false), "{e}");
    assert_cut_short(&e["abort"]["error"]);
    let aborts = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/abort"))
        .count();
    assert_eq!(aborts, 1);
}

#[tokio::test]
async fn the_abort_on_timeout_of_several_jobs_is_bounded_by_its_grace() {
    let server = FaultyServer::start(vec![running_job_unabortable()]).await;
    let args = [
        "wait",
        "--cluster-id",
        CLUSTER,
        "1",
        "2",
        "--timeout",
        "1s",
        "--abort-on-timeout",
    ];
    let r = run_json(&server, &args).await;
    r.assert_code(6);
    let jobs = r.stdout_json()["jobs"].as_array().expect("jobs").clone();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    for job in &jobs {
        assert_eq!(job["exitCode"], json!(6), "{job}");
        assert_eq!(job["error"]["abort"]["accepted"], json!(false), "{job}");
        assert_cut_short(&job["error"]["abort"]["error"]);
    }
}

#[test]
fn the_help_states_the_grace_and_every_timeout() {
    let help = |command: &str| {
        let out = cli_env::cli()
            .args([command, "--help"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        squash(&String::from_utf8(out.stdout).expect("UTF-8"))
    };
    let wait = help("wait");
    assert!(
        wait.contains(
            "Abort the job (each job still running) if --timeout passes first; the abort \
             has up to 10s more (exit 6 still; the output says whether the abort was accepted)"
        ),
        "{wait}"
    );
    let create = help("create");
    assert!(
        create.contains(
            "With --wait: abort the job if --timeout passes first; the abort has up to 10s more"
        ),
        "{create}"
    );
    let commit = help("commit");
    assert!(
        commit.contains(
            "Give up after this long (e.g. 90s, 10m, 2h): the commit, and with --wait the wait"
        ),
        "{commit}"
    );
    let abort = help("abort");
    assert!(
        abort.contains("Give up after this long (e.g. 30s, 2m); without it, the client's own bounds apply (3 attempts of at most 30s each)"),
        "{abort}"
    );
}
