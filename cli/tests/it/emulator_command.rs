//! The `emulator` command, run as a child process: it prints its base URL,
//! serves what its flags say (clusters, projects, key, limits and
//! timeouts) until stopped, and refuses a bad flag with exit 2. Its
//! signals are `cli_signals.rs`, its Milvus mode `cli_deployments.rs`.

use std::time::Duration;

use regex::Regex;
use serde_json::{Value, json};
use zilliz_import::{CreateImportJob, ImportState, WaitOptions};
use zilliz_import_emulator::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_JOB_LIMIT,
    DEFAULT_REQUEST_LOG_CAPACITY, DEFAULT_WRITE_TIMEOUT,
};

use crate::{
    common::{
        CREATE_PATH,
        cli_env::{
            ChildGuard, URL, cli, cli_at, cluster_args, create_args_on, expect, json_args,
            spawn_emulator, squash,
        },
    },
    emulator_env::{CLUSTER, PROJECT, REGION, assert_wrong_key, client},
};
use zilliz_import::Target;

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_prints_its_url_and_serves_until_killed() {
    let (mut guard, first, _rest) = spawn_emulator(&[
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        "k",
        "--job-duration",
        "200ms",
        "--cluster-id",
        "in01-a",
        "--cluster-id",
        "in01-b",
    ]);
    let caps = Regex::new(r"^http://127\.0\.0\.1:(\d+)$")
        .unwrap()
        .captures(&first)
        .unwrap_or_else(|| panic!("first line is the base URL: {first:?}"));
    let port: u16 = caps[1].parse().unwrap();
    assert_ne!(port, 0);

    let c = client(&first, "k");
    let created = c
        .create_import_job(CreateImportJob::new("in01-b", "c", URL))
        .await
        .expect("create against the spawned emulator");
    let done = c
        .wait_for_import_job(
            &Target::cluster("in01-b"),
            &created.job_id,
            WaitOptions::default()
                .interval(Duration::from_millis(20), Duration::from_millis(50))
                .deadline(Duration::from_secs(10)),
        )
        .await
        .expect("the 200 ms job completes")
        .completed()
        .expect("Completed, not awaiting commit");
    assert_eq!(done.state, ImportState::Completed);

    // Only the listed clusters exist; only the given key is accepted.
    let e = c
        .create_import_job(CreateImportJob::new(CLUSTER, "c", URL))
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some(96018), "{e}");
    let e = client(&first, "emulator-key")
        .list_import_jobs(&zilliz_import::ListImportJobs::new("in01-a"))
        .await
        .unwrap_err();
    assert_wrong_key(&e);

    assert!(
        guard.0.try_wait().expect("try_wait").is_none(),
        "still serving"
    );
    drop(guard);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_exits_2_when_it_cannot_listen() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut c = cli();
    c.args(["emulator", "--listen", &addr]);
    let r = expect(c, 2).await;
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with(&format!(
            "error: invalid configuration: cannot listen on {addr}: "
        )),
        "{r:#?}"
    );
    drop(taken);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_takes_a_job_memory_limit() {
    let (guard, base, _rest) = spawn_emulator(&[
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        "k",
        "--job-memory-limit",
        "100B",
    ]);
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}{CREATE_PATH}"))
        .bearer_auth("k")
        .json(&json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "s3://b/a.json"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON answer");
    assert_eq!(answer["code"], 47055, "{answer}");
    drop(guard);

    let mut c = cli();
    c.args(["emulator", "--job-memory-limit", "1.5MiB"]);
    let r = expect(c, 2).await;
    assert!(
        r.stderr.starts_with(
            "error: invalid value '1.5MiB' for '--job-memory-limit <SIZE>': the unit must be B, \
             KB, KiB, MB, MiB, GB or GiB"
        ),
        "{r:#?}"
    );
}

/// `emulator` and its flags, on a free loopback port with key `k`.
fn spawn_with(flags: &[&str]) -> (ChildGuard, String) {
    let args = [
        &["emulator", "--listen", "127.0.0.1:0", "--api-key", "k"][..],
        flags,
    ]
    .concat();
    let (guard, base, _rest) = spawn_emulator(&args);
    (guard, base)
}

/// `create` into `c` of [`URL`] on the project `project` in `region`.
fn project_create<'a>(project: &'a str, region: &'a str) -> Vec<&'a str> {
    vec![
        "--output",
        "json",
        "create",
        "--project-id",
        project,
        "--region-id",
        region,
        "--collection",
        "c",
        "--object-url",
        URL,
    ]
}

/// `--project ID:REGION` names the projects the emulator knows, as
/// `--cluster-id` names its clusters: each given pair is taken, the
/// default one no longer is, nor a known id in another region.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_knows_the_projects_it_is_given() {
    let (_guard, base) = spawn_with(&[
        "--project",
        "proj-a:gcp-us-west1",
        "--project",
        "proj-b:aws-us-west-2",
    ]);
    for (project, region) in [("proj-a", "gcp-us-west1"), ("proj-b", "aws-us-west-2")] {
        let created = expect(cli_at(&base, "k", &project_create(project, region)), 0).await;
        let id = created.stdout_json()["jobId"].as_str().unwrap().to_owned();
        let describe = [
            "describe",
            "--project-id",
            project,
            "--region-id",
            region,
            &id,
        ];
        expect(cli_at(&base, "k", &describe), 0).await;
    }
    for (project, region) in [(PROJECT, REGION), ("proj-a", "aws-us-west-2")] {
        let e = expect(cli_at(&base, "k", &project_create(project, region)), 3)
            .await
            .stderr_error();
        assert_eq!(e["code"], json!(80000), "{project}:{region}: {e}");
        assert_eq!(
            e["apiMessage"],
            json!(format!(
                "invalid parameter: project '{project}' in region '{region}' does not exist"
            ))
        );
    }
}

/// Without `--project`, the emulator knows its default project.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_knows_its_default_project_unless_told_others() {
    let (_guard, base) = spawn_with(&[]);
    expect(cli_at(&base, "k", &project_create(PROJECT, REGION)), 0).await;
}

#[tokio::test]
async fn a_project_without_its_region_exits_2_and_says_how_to_write_it() {
    for (value, says) in [
        (
            "proj-a",
            "expected ID:REGION, e.g. proj-emulator:aws-us-west-2\n",
        ),
        (
            "proj-a:",
            "expected ID:REGION, e.g. proj-emulator:aws-us-west-2 (neither part empty or padded)\n",
        ),
    ] {
        let mut c = cli();
        c.args(["emulator", "--listen", "127.0.0.1:0", "--project", value]);
        let r = expect(c, 2).await;
        assert_eq!(r.stdout, "");
        assert!(
            r.stderr.starts_with(&format!(
                "error: invalid value '{value}' for '--project <ID:REGION>': {says}"
            )),
            "{r:#?}"
        );
    }
}

/// `--job-limit 1`: with jobs that end at once, the second create makes
/// the emulator forget the first.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_forgets_finished_jobs_past_its_job_limit() {
    let (_guard, base) = spawn_with(&["--job-limit", "1", "--job-duration", "0s"]);
    let create = create_args_on(CLUSTER, "c", URL, &[]);
    let first = expect(cli_at(&base, "k", &create), 0).await;
    let first = first.stdout.trim().to_owned();
    let second = expect(cli_at(&base, "k", &create), 0).await;
    let second = second.stdout.trim().to_owned();
    let describe = json_args(&cluster_args("describe", &[&first]));
    let e = expect(cli_at(&base, "k", &describe), 3)
        .await
        .stderr_error();
    assert_eq!(e["code"], json!(96026), "{e}");
    let list = json_args(&cluster_args("list", &[]));
    let page = expect(cli_at(&base, "k", &list), 0).await.stdout_json();
    assert_eq!(page["count"], json!(1), "{page}");
    assert_eq!(page["records"][0]["jobId"], json!(second), "{page}");
}

/// The limits and timeouts the emulator takes, each with its default (the
/// emulator's own constant), and an emulator started with all of them
/// serving.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_takes_its_limits_and_timeouts() {
    let out = cli().args(["emulator", "--help"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let help = squash(&String::from_utf8(out.stdout).expect("utf-8"));
    for (flag, default) in [
        (
            "--project <ID:REGION>",
            "proj-emulator:aws-us-west-2".to_owned(),
        ),
        ("--job-limit <N>", DEFAULT_JOB_LIMIT.to_string()),
        ("--job-memory-limit <SIZE>", "256MiB".to_owned()),
        (
            "--request-log-capacity <N>",
            DEFAULT_REQUEST_LOG_CAPACITY.to_string(),
        ),
        (
            "--header-read-timeout <DURATION>",
            format!("{}s", DEFAULT_HEADER_READ_TIMEOUT.as_secs()),
        ),
        (
            "--body-read-timeout <DURATION>",
            format!("{}s", DEFAULT_BODY_READ_TIMEOUT.as_secs()),
        ),
        (
            "--write-timeout <DURATION>",
            format!("{}s", DEFAULT_WRITE_TIMEOUT.as_secs()),
        ),
    ] {
        let at = help
            .find(&format!("{flag} "))
            .unwrap_or_else(|| panic!("{flag} in {help}"));
        let rest = &help[at..];
        let end = rest.find("[default: ").expect("a default") + "[default: ".len();
        assert_eq!(
            rest[end..].split(']').next(),
            Some(default.as_str()),
            "{flag}: {rest}"
        );
    }

    let (_guard, base) = spawn_with(&[
        "--job-limit",
        "5",
        "--request-log-capacity",
        "0",
        "--header-read-timeout",
        "30s",
        "--body-read-timeout",
        "30s",
        "--write-timeout",
        "30s",
    ]);
    expect(
        cli_at(&base, "k", &create_args_on(CLUSTER, "c", URL, &[])),
        0,
    )
    .await;
    for (flag, value) in [
        ("--job-limit", "1.5"),
        ("--request-log-capacity", "lots"),
        ("--header-read-timeout", "10"),
        ("--body-read-timeout", "soon"),
        ("--write-timeout", "200years"),
    ] {
        let mut c = cli();
        c.args(["emulator", "--listen", "127.0.0.1:0", flag, value]);
        let r = expect(c, 2).await;
        assert!(r.stderr.starts_with("error: "), "{flag} {value}: {r:#?}");
        assert!(r.stderr.contains(flag), "{flag} {value}: {r:#?}");
    }
}

/// The volume flags reach the emulator: apply answers the storage endpoint
/// on the next port's address (a free one with `--listen` port 0), the
/// credentials' lifetime and the `condition` given; the files go to
/// `--volume-dir`.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_serves_volumes_as_its_flags_say() {
    let dir = tempfile::tempdir().unwrap();
    let (_guard, base) = spawn_with(&[
        "--volume-dir",
        dir.path().to_str().unwrap(),
        "--volume-credentials-lifetime",
        "90s",
        "--volume-max-content-length",
        "1MiB",
        "--volume-max-file-number",
        "2",
    ]);
    let c = zilliz_import::Client::builder()
        .api_key("k")
        .base_url(&base)
        .build()
        .unwrap();
    let volume = zilliz_import::NewVolume::managed("proj-emulator", "aws-us-west-2", "vol");
    c.create_volume(&volume).await.unwrap();
    let up = c.apply_volume("vol", "data/").await.unwrap();
    assert_eq!(
        (
            up.condition.max_content_length,
            up.condition.max_file_number
        ),
        (Some(1 << 20), Some(2))
    );
    let created = c.describe_volume("vol").await.unwrap().create_time.unwrap();
    let at = |t: &str| humantime::parse_rfc3339(t).unwrap();
    let lifetime = at(&up.credentials.expire_time).duration_since(at(&created));
    // Whole seconds: the volume was made at most a second before apply.
    let lifetime = lifetime.unwrap().as_secs();
    assert!((89..=90).contains(&lifetime), "{lifetime}");
    assert!(
        up.endpoint.starts_with("http://127.0.0.1:"),
        "{}",
        up.endpoint
    );
    assert_ne!(up.endpoint, base);
    // The endpoint answers (an unsigned request is refused, in S3's words).
    let answer = reqwest::get(format!("{}/emulator-volumes/vol/data/x", up.endpoint))
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    assert!(dir.path().join("emulator-volumes").is_dir());
}

/// A taken port for the volumes' endpoint is told apart from the API's.
#[tokio::test]
async fn the_emulator_subcommand_names_the_volume_storage_address_it_cannot_listen_on() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut c = cli();
    c.args([
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--volume-storage-listen",
        &addr,
    ]);
    let r = expect(c, 2).await;
    assert!(
        r.stderr.starts_with(&format!(
            "error: invalid configuration: cannot listen for the volume storage {addr}: "
        )),
        "{r:#?}"
    );
}

/// `--object-store` with its keys from AWS_ACCESS_KEY_ID and
/// AWS_SECRET_ACCESS_KEY: apply answers that store; with no STS there (a
/// closed port here), its own keys and an empty session token. A URL that
/// names no bucket exits 2.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_keeps_volumes_in_the_object_store_it_is_given() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let store = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (_guard, base, _rest) = crate::common::cli_env::spawn_emulator_with_env(
        &[
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "k",
            "--object-store",
            &format!("{store}/vols?region=eu-west-1"),
        ],
        &[
            ("AWS_ACCESS_KEY_ID", "store-access"),
            ("AWS_SECRET_ACCESS_KEY", "store-secret"),
        ],
    );
    let c = zilliz_import::Client::builder()
        .api_key("k")
        .base_url(&base)
        .build()
        .unwrap();
    let volume = zilliz_import::NewVolume::managed("proj-emulator", "aws-us-west-2", "vol");
    c.create_volume(&volume).await.unwrap();
    let up = c.apply_volume("vol", "data/").await.unwrap();
    assert_eq!(
        (
            up.endpoint.as_str(),
            up.bucket_name.as_str(),
            up.region.as_str()
        ),
        (store.as_str(), "vols", "eu-west-1")
    );
    let creds = &up.credentials;
    assert_eq!(
        (
            creds.tmp_ak.expose_secret(),
            creds.tmp_sk.expose_secret(),
            creds.session_token.expose_secret()
        ),
        ("store-access", "store-secret", "")
    );

    let mut c = cli();
    c.args([
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--object-store",
        &store,
    ]);
    let r = expect(c, 2).await;
    assert!(r.stderr.contains("name one bucket"), "{r:#?}");
}
