//! What the binary shows of server text (issue 19, points 9, 10 and 13):
//! invisible format characters (Unicode Cf) escaped like control
//! characters, an abort classified on the reason as the server sent it, and
//! echoes of a secret removed. The library's side of each answer is in the
//! library's `tests/it/server_text.rs`.

use serde_json::json;

use crate::common::{
    cli_env::{self, cli_at, create_args_on},
    faulty_server::{Fault, FaultyServer},
    *,
};

/// Whether `text` holds a format character a terminal would not show.
fn has_invisible(text: &str) -> bool {
    text.contains(['\u{200B}', '\u{AD}', '\u{2060}', '\u{FEFF}'])
}

// ------------------------------------------------------------------ point 10

/// A zero-width space in a job id and a state, a soft hyphen, a word joiner
/// and a BOM elsewhere: escaped in everything the binary prints.
#[tokio::test]
async fn invisible_characters_are_escaped_in_what_the_cli_prints() {
    let server = FaultyServer::start(vec![invisible_characters()]).await;
    for mode in ["text", "json"] {
        let args = [
            "--output",
            mode,
            "describe",
            "--cluster-id",
            CLUSTER,
            JOB_ID,
        ];
        let out = cli_env::run(cli_at(server.url(), API_KEY, &args)).await;
        out.assert_code(0);
        assert!(!has_invisible(&out.stdout), "{:?}", out.stdout);
        assert!(!has_invisible(&out.stderr), "{:?}", out.stderr);
        if mode == "json" {
            assert_eq!(out.stdout_json()["state"], "Com\\u{200b}pleted");
        } else {
            assert!(out.stdout.contains("Com\\u{200b}pleted"), "{}", out.stdout);
        }
    }
    let text = cli_env::run(cli_at(
        server.url(),
        API_KEY,
        &["describe", "--cluster-id", CLUSTER, JOB_ID],
    ))
    .await;
    assert!(
        text.stdout.contains("job:        4487\\u{200b}07\n"),
        "{}",
        text.stdout
    );
}

// ------------------------------------------------------------------ point 13

/// The reason of an aborted job with spaces and a tab around it ends a
/// wait as an abort: exit 5, kind `import_aborted`.
#[tokio::test]
async fn an_abort_with_a_padded_reason_ends_a_wait_with_exit_5() {
    let server = FaultyServer::start(vec![describe_with(
        json!({"state": "Failed", "reason": " ABORTED BY USER\t"}),
    )])
    .await;
    let args = ["--output", "json", "wait", "--cluster-id", CLUSTER, JOB_ID];
    let out = cli_env::run(cli_at(server.url(), API_KEY, &args)).await;
    out.assert_code(5);
    assert_eq!(
        out.stderr_error()["kind"],
        "import_aborted",
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------- point 9

/// A server's message echoing the API key as Go's `%x` prints it, and with
/// a zero-width space and a soft hyphen inside it: every echo removed on
/// stderr.
#[tokio::test]
async fn echoes_of_the_key_in_hex_or_broken_by_invisible_characters_are_scrubbed_on_stderr() {
    let server = FaultyServer::start(vec![key_echoes_in_hex_and_broken()]).await;
    let args = ["describe", "--cluster-id", CLUSTER, JOB_ID];
    let out = cli_env::run(cli_at(server.url(), API_KEY, &args)).await;
    out.assert_code(3);
    assert!(
        out.stderr
            .contains("bad key <redacted> / <redacted> / <redacted> / <redacted>"),
        "{}",
        out.stderr
    );
}

// -------------------------------------------------- a job id shown escaped

/// A created job whose id holds a zero-width space: `create --wait` polls
/// with the id as the server answered it (a poll with the escaped form
/// would name no job: 96026), and shows it escaped, in text and JSON.
#[tokio::test]
async fn create_wait_polls_with_the_raw_job_id_and_shows_it_escaped() {
    const RAW: &str = "4487\u{200B}07";
    const SHOWN: &str = "4487\\u{200b}07";
    let server = FaultyServer::start(vec![Fault::computed(|_, request| {
        if request.path == CREATE_PATH {
            return Fault::json(200, &ok(json!({"jobId": RAW})), &[]);
        }
        if request.json()["jobId"] != RAW {
            return Fault::json(
                200,
                &json!({"code": 96026, "message": "job not found"}),
                &[],
            );
        }
        let done =
            json!({"jobId": RAW, "collectionName": "c", "state": "Completed", "progress": 100});
        Fault::json(200, &ok(done), &[])
    })])
    .await;
    for mode in ["text", "json"] {
        let args = [
            &["--output", mode][..],
            &create_args_on(CLUSTER, "c", "s3://b/k.parquet", &["--wait"]),
        ]
        .concat();
        let out = cli_env::run(cli_at(server.url(), API_KEY, &args)).await;
        out.assert_code(0);
        assert!(!has_invisible(&out.stdout), "{:?}", out.stdout);
        assert!(!has_invisible(&out.stderr), "{:?}", out.stderr);
        if mode == "json" {
            assert_eq!(out.stdout_json()["jobId"], SHOWN, "{out:#?}");
        } else {
            assert!(
                out.stderr
                    .starts_with(&format!("created import job {SHOWN}\n")),
                "{out:#?}"
            );
            assert!(
                out.stdout.starts_with(&format!("job:        {SHOWN}\n")),
                "{out:#?}"
            );
        }
    }
    let polled: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path == DESCRIBE_PATH)
        .map(|r| r.json()["jobId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(polled, [RAW, RAW], "one poll per run, with the raw id");
}
