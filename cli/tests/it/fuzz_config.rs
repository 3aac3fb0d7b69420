//! Property tests ("fuzzing") of the binary's configuration (issue 19): its
//! `--base-url` and `ZILLIZ_BASE_URL`, in text and JSON, and its TLS files,
//! carrying a canary password where a password or a token goes. Each is
//! refused with exit 2, the canary nowhere in its output. The inputs, and
//! the outcome each one's shape calls for, are the library's
//! `common/config_inputs.rs`; its half is the library's `fuzz_config.rs`.
//!
//! Run longer with
//! `PROPTEST_CASES=2000 cargo test -p zilliz-import-cli --test it fuzz_config::`.

use proptest::{prelude::*, test_runner::TestCaseError};

use crate::common::{
    CLUSTER, JOB_ID, UNUSED_HTTPS_BASE_URL, cli_env, config_inputs::*, properties::run,
};

/// Runs `describe` with `setup`, expecting exit 2 and no canary.
fn refused(setup: impl FnOnce(&mut assert_cmd::Command)) -> Result<(), TestCaseError> {
    let mut cmd = cli_env::cli();
    cmd.args(["--api-key", "k"]);
    setup(&mut cmd);
    cmd.args(["describe", "--cluster-id", CLUSTER, JOB_ID]);
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    prop_assert_eq!(out.status.code(), Some(2), "{}", stderr);
    prop_assert!(!leaks(&stdout) && !leaks(&stderr), "{}\n{}", stdout, stderr);
    Ok(())
}

#[test]
fn the_cli_never_shows_a_base_url_password() {
    // A process per case: few cases by default.
    let urls = secret_base_url().prop_filter("refused, and passable to a process", |u| {
        u.refused && !u.text.contains('\0')
    });
    run(
        24,
        (urls, any::<bool>(), any::<bool>()),
        |(url, env, json)| {
            refused(|cmd| {
                if json {
                    cmd.args(["--output", "json"]);
                }
                if env {
                    cmd.env("ZILLIZ_BASE_URL", &url.text);
                } else {
                    cmd.arg(format!("--base-url={}", url.text));
                }
            })
        },
    );
}

#[test]
fn the_cli_never_shows_what_a_tls_file_holds() {
    let (cert, key) = identity();
    let cases = (
        pem_with_canary(cert, "CERTIFICATE"),
        pem_with_canary(key, "PRIVATE KEY"),
        0..3usize,
    )
        .prop_filter("refused", |((_, bad_cert), (_, bad_key), which)| {
            [*bad_cert, *bad_key, *bad_cert][*which]
        });
    run(12, cases, |((bad_cert, _), (bad_key, _), which)| {
        let dir = tempdir();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let args: Vec<(&str, std::path::PathBuf)> = match which {
            0 => vec![("--ca-cert", write("ca.pem", &bad_cert))],
            1 => vec![
                ("--client-cert", write("cert.pem", cert.as_bytes())),
                ("--client-key", write("key.pem", &bad_key)),
            ],
            _ => vec![
                ("--client-cert", write("cert.pem", &bad_cert)),
                ("--client-key", write("key.pem", key.as_bytes())),
            ],
        };
        let result = refused(|cmd| {
            cmd.args(["--base-url", UNUSED_HTTPS_BASE_URL]);
            for (flag, path) in &args {
                cmd.arg(flag).arg(path);
            }
        });
        let _ = std::fs::remove_dir_all(&dir);
        result
    });
}

/// A fresh directory under the system's temporary one.
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zilliz-import-fuzz-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
