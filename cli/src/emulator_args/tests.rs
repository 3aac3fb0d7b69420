//! The `emulator` command's flags: read as written, each passed to the
//! emulator it starts, and its timeouts honoured (on tokio's paused clock).

use std::time::Duration;

use clap::Parser;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};

use super::*;
use crate::args::{Cli, Command};

/// The `emulator` command's flags after `zilliz-import emulator`.
fn emulator_args(flags: &[&str]) -> EmulatorArgs {
    let cli = Cli::try_parse_from([&["zilliz-import", "emulator"][..], flags].concat())
        .unwrap_or_else(|e| panic!("{flags:?}: {e}"));
    match cli.command {
        Command::Emulator(args) => *args,
        other => panic!("not the emulator command: {other:?}"),
    }
}

/// Why clap refused `flags`, as it would print it.
fn refused(flags: &[&str]) -> String {
    let e = Cli::try_parse_from([&["zilliz-import", "emulator"][..], flags].concat())
        .expect_err("refused");
    assert_eq!(e.exit_code(), 2, "{e}");
    e.to_string()
}

#[test]
fn sizes_read_as_written() {
    for (text, bytes) in [
        ("0", 0),
        ("1048576", 1_048_576),
        ("12b", 12),
        ("4KiB", 4_096),
        ("4 kb", 4_000),
        ("3MB", 3_000_000),
        ("1GiB", 1 << 30),
        ("2gb", 2_000_000_000),
    ] {
        assert_eq!(parse_size(text), Ok(Bytes(bytes)), "{text}");
    }
    for text in ["", "MiB", "1.5MiB", "-1", "1 TiB", "1 MiBs", "１MiB"] {
        assert!(parse_size(text).is_err(), "{text}");
    }
    assert_eq!(
        parse_size("99999999999999999999GiB"),
        Err("expected a whole number, then a unit such as MiB".to_owned())
    );
    assert_eq!(
        parse_size(&format!("{}GiB", usize::MAX)),
        Err("larger than this machine can address".to_owned())
    );
}

#[test]
fn a_size_reads_back_as_shown() {
    for (bytes, shown) in [
        (DEFAULT_JOB_MEMORY_LIMIT, "256MiB"),
        (0, "0B"),
        (1, "1B"),
        (1_000, "1000B"),
        (4_096, "4KiB"),
        (3 << 30, "3GiB"),
        ((1 << 20) + 1, "1048577B"),
    ] {
        assert_eq!(Bytes(bytes).to_string(), shown);
        assert_eq!(parse_size(shown), Ok(Bytes(bytes)), "{shown}");
    }
}

#[test]
fn a_project_is_an_id_and_a_region() {
    assert_eq!(
        parse_project("proj-a:gcp-us-west1"),
        Ok(("proj-a".to_owned(), "gcp-us-west1".to_owned()))
    );
    // Split at the first colon: a region holding one stays whole.
    assert_eq!(
        parse_project("p:r:1"),
        Ok(("p".to_owned(), "r:1".to_owned()))
    );
    let shape = "expected ID:REGION, e.g. proj-emulator:aws-us-west-2";
    assert_eq!(parse_project("proj-a"), Err(shape.to_owned()));
    for text in [":r", "p:", ":", " p:r", "p: r", "p:r "] {
        assert_eq!(
            parse_project(text),
            Err(format!("{shape} (neither part empty or padded)")),
            "{text:?}"
        );
    }
}

#[test]
fn the_defaults_are_the_emulators() {
    let args = emulator_args(&[]);
    assert_eq!(
        args.projects,
        [("proj-emulator".to_owned(), "aws-us-west-2".to_owned())]
    );
    assert_eq!(args.cluster_ids, ["in01-emulator"]);
    assert_eq!(args.job_limit, DEFAULT_JOB_LIMIT);
    assert_eq!(args.job_memory_limit, Bytes(DEFAULT_JOB_MEMORY_LIMIT));
    assert_eq!(args.request_log_capacity, DEFAULT_REQUEST_LOG_CAPACITY);
    assert_eq!(args.header_read_timeout, Span(DEFAULT_HEADER_READ_TIMEOUT));
    assert_eq!(args.body_read_timeout, Span(DEFAULT_BODY_READ_TIMEOUT));
    assert_eq!(args.write_timeout, Span(DEFAULT_WRITE_TIMEOUT));
    // The volumes' endpoint: the next port.
    assert_eq!(args.volume_storage_addr().to_string(), "127.0.0.1:19601");
    // The emulator built from them is the emulator's own default, but for
    // where it listens and its jobs' length.
    let default = Emulator::builder()
        .listen(args.listen)
        .volume_storage_listen(args.volume_storage_addr())
        .job_duration(args.job_duration);
    assert_eq!(format!("{:?}", args.builder(None)), format!("{default:?}"));
}

#[test]
fn every_flag_reaches_the_emulator() {
    let args = emulator_args(&[
        "--project",
        "proj-a:gcp-us-west1",
        "--project",
        "proj-b:aws-us-west-2",
        "--cluster-id",
        "in01-a",
        "--job-limit",
        "7",
        "--job-memory-limit",
        "3MiB",
        "--request-log-capacity",
        "0",
        "--header-read-timeout",
        "2s",
        "--body-read-timeout",
        "250ms",
        "--write-timeout",
        "1m 30s",
        "--volume-dir",
        "/tmp/volumes",
        "--volume-storage-listen",
        "127.0.0.1:9000",
        "--volume-credentials-lifetime",
        "15m",
        "--volume-max-content-length",
        "1GiB",
        "--volume-max-file-number",
        "5",
        "--object-store",
        "http://127.0.0.1:9000/vols",
    ]);
    let expected = Emulator::builder()
        .listen(args.listen)
        .volume_dir("/tmp/volumes")
        .volume_storage_listen("127.0.0.1:9000".parse().unwrap())
        .volume_credentials_lifetime(Duration::from_secs(900))
        .volume_condition(1 << 30, Some(5))
        // The keys are the environment's; the builder shows neither.
        .volume_object_store("http://127.0.0.1:9000/vols", "", "")
        .cluster_ids(["in01-a"])
        .projects([("proj-a", "gcp-us-west1"), ("proj-b", "aws-us-west-2")])
        .job_duration(Duration::from_secs(3))
        .job_limit(7)
        .job_memory_limit(3 << 20)
        .request_log_capacity(0)
        .header_read_timeout(Duration::from_secs(2))
        .body_read_timeout(Duration::from_millis(250))
        .write_timeout(Duration::from_secs(90));
    assert_eq!(format!("{:?}", args.builder(None)), format!("{expected:?}"));
}

#[test]
fn bad_values_are_refused_by_name() {
    let cases = [
        (
            &["--project", "proj-a"][..],
            "invalid value 'proj-a' for '--project <ID:REGION>': expected ID:REGION, e.g. \
             proj-emulator:aws-us-west-2",
        ),
        (&["--job-limit", "-1"][..], "unexpected argument '-1' found"),
        (
            &["--job-limit", "many"][..],
            "invalid value 'many' for '--job-limit <N>'",
        ),
        (
            &["--request-log-capacity", "1.5"][..],
            "invalid value '1.5' for '--request-log-capacity <N>'",
        ),
        (
            &["--header-read-timeout", "soon"][..],
            "invalid value 'soon' for '--header-read-timeout <DURATION>'",
        ),
        (
            &["--body-read-timeout", "200years"][..],
            "invalid value '200years' for '--body-read-timeout <DURATION>': longer than 100 years",
        ),
        (
            &["--write-timeout", "10"][..],
            "invalid value '10' for '--write-timeout <DURATION>'",
        ),
    ];
    for (flags, says) in cases {
        let e = refused(flags);
        assert!(e.contains(says), "{flags:?}: {e}");
    }
}

/// An emulator of `flags` on a free loopback port, with the clock paused:
/// its timeouts run on tokio's clock, which moves only when all is idle.
async fn paused_emulator(flags: &[&str]) -> zilliz_import_emulator::EmulatorHandle {
    let flags = [&["--listen", "127.0.0.1:0"][..], flags].concat();
    emulator_args(&flags)
        .builder(None)
        .start()
        .await
        .expect("the emulator starts")
}

#[tokio::test(start_paused = true)]
async fn an_idle_connection_is_closed_after_the_header_read_timeout_given() {
    let h = paused_emulator(&["--header-read-timeout", "2s", "--body-read-timeout", "1h"]).await;
    let mut stream = TcpStream::connect(h.local_addr()).await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let read = stream.read(&mut buf).await;
    let idle = started.elapsed();
    assert!(matches!(read, Ok(0) | Err(_)), "closed: {read:?}");
    // Not before the 2 s given, and long before the default 10 s.
    assert!(
        idle >= Duration::from_secs(2) && idle < DEFAULT_HEADER_READ_TIMEOUT,
        "{idle:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_that_never_comes_is_answered_408_after_the_body_read_timeout_given() {
    let h = paused_emulator(&["--header-read-timeout", "1h", "--body-read-timeout", "3s"]).await;
    let mut stream = TcpStream::connect(h.local_addr()).await.unwrap();
    let head = format!(
        "POST /v2/vectordb/jobs/import/list HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 10\r\n\r\n",
        h.api_key()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert_ne!(n, 0, "answered before closing: {answer:?}");
        answer.extend_from_slice(&buf[..n]);
    }
    let waited = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        waited >= Duration::from_secs(3) && waited < DEFAULT_BODY_READ_TIMEOUT,
        "{waited:?}"
    );
}
