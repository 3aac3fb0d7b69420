//! `--ca-cert`, `--client-cert` and `--client-key` read regular files only,
//! and at most a few megabytes of one: `/dev/zero` once read until memory
//! ran out, and a FIFO blocked for ever. Each refusal exits 2, names the
//! flag and the path, and sends nothing.

use std::path::{Path, PathBuf};

use crate::common::{
    cli_env::{self, Run},
    faulty_server::{Fault, FaultyServer},
    *,
};

/// A directory of its own under the system's temporary one, removed when
/// dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("zi-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("make the scratch directory");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The most a PEM file may hold, as the binary documents it.
const CAP: u64 = 4 * 1024 * 1024;

/// The files no flag may read, and the reason each is refused with.
fn bad_files(scratch: &Scratch) -> Vec<(PathBuf, &'static str)> {
    let fifo = scratch.path("fifo.pem");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo");
    let huge = scratch.path("huge.pem");
    // Sparse: no disk is used for the hole.
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(CAP + 1))
        .expect("a sparse file");
    vec![
        ("/dev/zero".into(), "not a regular file (a device)"),
        (fifo, "not a regular file (a FIFO)"),
        (scratch.0.clone(), "not a regular file (a directory)"),
        (huge, "larger than the 4 MiB a PEM file may be"),
    ]
}

/// `describe` with `tls` flags against `server`.
async fn describe_with(server: &FaultyServer, tls: &[&str]) -> Run {
    let mut c = cli_env::cli();
    c.args(["--api-key", API_KEY, "--base-url", server.url()])
        .args(tls)
        .args(["describe", "--cluster-id", CLUSTER, JOB_ID]);
    cli_env::run(c).await
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[tokio::test]
async fn only_regular_files_of_a_few_megabytes_are_read() {
    let scratch = Scratch::new("bad");
    let small = scratch.path("small.pem");
    std::fs::write(&small, "not a certificate").unwrap();
    let server = FaultyServer::start(vec![Fault::json(200, &progress("Importing", 1), &[])]).await;
    for (bad, why) in bad_files(&scratch) {
        let bad = text(&bad);
        for (flag, tls) in [
            ("--ca-cert", vec!["--ca-cert", bad]),
            (
                "--client-cert",
                vec!["--client-cert", bad, "--client-key", text(&small)],
            ),
            (
                "--client-key",
                vec!["--client-cert", text(&small), "--client-key", bad],
            ),
        ] {
            let r = describe_with(&server, &tls).await;
            r.assert_code(2);
            assert_eq!(r.stdout, "");
            assert_eq!(
                r.stderr,
                format!("error: invalid configuration: {flag} {bad:?}: {why}\n"),
                "{tls:?}"
            );
        }
    }
    assert_eq!(server.requests_received(), 0, "nothing sent");
}

/// A file at the cap is read (and then refused as not PEM): the cap is not
/// off by one, and what is read is never echoed.
#[tokio::test]
async fn a_file_at_the_cap_is_read_and_its_contents_never_shown() {
    let scratch = Scratch::new("cap");
    let at_cap = scratch.path("at-cap.pem");
    let mut contents = b"-----BEGIN CERTIFICATE-----\nKEY-MATERIAL-SENTINEL\n".to_vec();
    contents.resize(CAP as usize, b'A');
    std::fs::write(&at_cap, &contents).unwrap();
    let server = FaultyServer::start(vec![Fault::json(200, &progress("Importing", 1), &[])]).await;
    let r = describe_with(&server, &["--ca-cert", text(&at_cap)]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("CA certificate"), "{}", r.stderr);
    assert!(!r.stderr.contains("KEY-MATERIAL-SENTINEL"), "{}", r.stderr);
    assert!(!r.stderr.contains("larger than"), "{}", r.stderr);
    assert_eq!(server.requests_received(), 0);
}
