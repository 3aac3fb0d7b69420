//! `wait` with several ids, as to which id is which: each id followed once
//! however often it is given, the entries in the order first given, and
//! each entry's `jobId` the id asked for, with the server's `serverJobId`
//! where its answer named the job otherwise. Against a scripted server that
//! answers each describe from the id asked.

use serde_json::{Value, json};

use crate::common::{
    API_KEY, CLUSTER, DESCRIBE_PATH, cli_env,
    faulty_server::{Fault, FaultyServer},
    ok,
};

/// Describes answered by the id asked: `asked-*` as a job the server names
/// `server-*`; `nameless` without a `jobId`; `failed` as `server-failed`,
/// failed; `unknown-*` (and any id starting `u`) as unknown (96026); any
/// other id as itself, completed.
fn by_id() -> Fault {
    Fault::computed(|_, request| {
        let asked = request.json()["jobId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let done = |id: &str| json!({"jobId": id, "collectionName": "c", "state": "Completed", "progress": 100});
        let data = match asked.as_str() {
            "nameless" => json!({"collectionName": "c", "state": "Completed", "progress": 100}),
            "failed" => {
                json!({"jobId": "server-failed", "state": "Failed", "progress": 30, "reason": "disk full"})
            }
            id if id.starts_with('u') => {
                return Fault::json(
                    200,
                    &json!({"code": 96026, "message": "job not found"}),
                    &[],
                );
            }
            id => match id.strip_prefix("asked-") {
                Some(rest) => done(&format!("server-{rest}")),
                None => done(id),
            },
        };
        Fault::json(200, &ok(data), &[])
    })
}

/// `--output json [--rate-limit 0] wait --cluster-id CLUSTER IDS...`.
fn json_wait(base: &str, ids: &[&str]) -> assert_cmd::Command {
    let head = [
        "--output",
        "json",
        "--rate-limit",
        "0",
        "wait",
        "--cluster-id",
        CLUSTER,
    ];
    cli_env::cli_at(base, API_KEY, &[&head[..], ids].concat())
}

/// The entry of a job that completed as `server_id` (a progress without
/// rows, file or time), asked for as `asked`.
fn completed(asked: &str, server_id: Option<&str>) -> Value {
    let mut v = json!({
        "jobId": asked, "collectionName": "c", "fileName": null, "fileSize": null,
        "state": "Completed", "progress": 100, "totalRows": null, "completeTime": null,
        "reason": null, "details": [], "outcome": "completed", "exitCode": 0,
    });
    if let Some(id) = server_id {
        v["serverJobId"] = json!(id);
    }
    v
}

/// How many describes of `id` reached `server`.
fn describes_of(server: &FaultyServer, id: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path == DESCRIBE_PATH && r.json()["jobId"] == json!(id))
        .count()
}

#[tokio::test]
async fn each_entry_names_the_id_asked_and_the_servers_where_it_differs() {
    let server = FaultyServer::start(vec![by_id()]).await;
    let ids = [
        "asked-1", "same", "asked-1", "u-1", "same", "failed", "nameless",
    ];
    let out = cli_env::run(json_wait(server.url(), &ids)).await;
    out.assert_code(5);
    let doc = out.stdout_json();
    let unknown_message = "API error 96026 (HTTP 200): job not found";
    assert_eq!(
        doc,
        json!({"jobs": [
            completed("asked-1", Some("server-1")),
            completed("same", None),
            {
                "jobId": "u-1", "exitCode": 3,
                "error": {
                    "kind": "api", "message": unknown_message, "delivery": "Received",
                    "attempts": 1, "code": 96026, "status": 200,
                    "apiMessage": "job not found", "requestId": null,
                },
            },
            {
                "jobId": "failed", "serverJobId": "server-failed", "exitCode": 5,
                "error": {
                    "kind": "import_failed",
                    "message": "import job server-failed failed: disk full",
                    "jobId": "server-failed", "state": "Failed",
                },
            },
            completed("nameless", Some("")),
        ]}),
        "{out:#?}"
    );
    for id in ["asked-1", "same", "u-1", "failed", "nameless"] {
        assert_eq!(describes_of(&server, id), 1, "{id} is followed once");
    }
    assert_eq!(server.requests_received(), 5);
}

/// Two thousand ids, each given twice (the second time out of order): each
/// is asked for once, and the entries come in the order first given.
#[tokio::test]
async fn many_repeated_ids_are_followed_once_each_in_the_order_first_given() {
    let server = FaultyServer::start(vec![by_id()]).await;
    let firsts: Vec<String> = (0..2_000)
        .map(|n| format!("j{}", (n * 7_919) % 2_000))
        .collect();
    let mut given: Vec<&str> = Vec::new();
    for (n, id) in firsts.iter().enumerate() {
        given.push(id);
        if n % 2 == 1 {
            given.push(&firsts[n / 2]);
        }
    }
    given.extend(firsts.iter().rev().map(String::as_str));
    assert_eq!(given.len(), 5_000);
    let out = cli_env::run(json_wait(server.url(), &given)).await;
    out.assert_code(0);
    let doc = out.stdout_json();
    let entries = doc["jobs"].as_array().expect("jobs");
    let order: Vec<&str> = entries
        .iter()
        .map(|e| e["jobId"].as_str().unwrap())
        .collect();
    assert_eq!(order, firsts);
    assert!(entries.iter().all(|e| e["exitCode"] == json!(0)));
    assert_eq!(server.requests_received(), 2_000, "each id once");

    // Text: one end line each, in the order they ended; each id once.
    let server = FaultyServer::start(vec![by_id()]).await;
    let head = ["--rate-limit", "0", "wait", "--cluster-id", CLUSTER];
    let args = [&head[..], &given].concat();
    let out = cli_env::run(cli_env::cli_at(server.url(), API_KEY, &args)).await;
    out.assert_code(0);
    let mut ended: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| {
            l.strip_prefix("job ")
                .and_then(|l| l.strip_suffix(": completed"))
                .unwrap_or_else(|| panic!("{l:?}"))
        })
        .collect();
    ended.sort_unstable();
    let mut expected: Vec<&str> = firsts.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(ended, expected);
}
