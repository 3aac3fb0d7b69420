//! Property tests ("fuzzing") of what the caller configures and the
//! errors that report it (issue 19): base URLs and TLS PEMs that carry a
//! canary password where a password or a token goes (the user-info, the
//! query, a PEM's body or labels), surrounded by arbitrary Unicode and the
//! characters that break URL and PEM parsers (`#`, `?`, `/`, `\`, `@`,
//! white space, zero-width spaces). The canary never shows in an error's
//! Display or Debug, nor in the builder's Debug, nor in what the CLI prints.
//!
//! The expected outcome is stated from the shape of each input, not from
//! the crate's own rules: a base URL with anything in its user-info, query
//! or fragment is refused (WHATWG reads a `?` or `#` as the query's start
//! even inside a password); a PEM whose certificate or key body was tampered
//! with is refused; a valid PEM with the canary outside its sections is
//! taken. Only a user-info holding `/` may be read as a path, and taken.
//!
//! Run longer with
//! `PROPTEST_CASES=20000 cargo test --all-features --test it fuzz_config::`.

use std::fmt::Debug;

use crate::common::{API_KEY, UNUSED_HTTPS_BASE_URL, properties::run};
use proptest::{prelude::*, test_runner::TestCaseError};
use zilliz_import::{Client, ClientBuilder, Error};

/// Made of characters valid in a URL's user-info and in base64, so a
/// message that quoted an input line would show it whole.
const CANARY: &str = "CANARYxPASSWORDx7e2b";

/// Up to `max` characters: any Unicode scalar, or one of those that break
/// parsers, with the characters in `without` left out.
fn junk(max: usize, without: &'static str) -> BoxedStrategy<String> {
    const BREAKERS: &[char] = &[
        '#', '?', '/', '\\', '@', ':', '%', '[', ']', ' ', '\t', '\n', '\r', '\u{0}', '\u{1b}',
        '\u{200B}', '\u{AD}', '\u{202E}', '＠', 'é', '界',
    ];
    prop::collection::vec(
        prop_oneof![any::<char>(), prop::sample::select(BREAKERS)],
        0..=max,
    )
    .prop_map(move |chars| {
        chars
            .into_iter()
            .filter(|c| !without.contains(*c))
            .collect()
    })
    .boxed()
}

/// What may stand before the user-info: a scheme as typed, right or wrong,
/// or none (`user:password@host`, the slip with Milvus tokens).
fn scheme() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        "https://",
        "http://",
        "HTTPS://",
        "https:/",
        "https:",
        "http:\\\\",
        "ftp://",
        "s3://",
        "https:///",
    ])
}

/// A base URL and whether it must be refused.
#[derive(Debug, Clone)]
struct BaseUrl {
    text: String,
    refused: bool,
}

/// Base URLs carrying the canary where a secret goes.
fn secret_base_url() -> impl Strategy<Value = BaseUrl> {
    let no_slash = || junk(8, "/\\@");
    let anything = || junk(12, "");
    prop_oneof![
        // A password, possibly holding `#`, `?`, `:`, white space.
        (
            scheme(),
            no_slash(),
            no_slash(),
            no_slash(),
            anything(),
            anything()
        )
            .prop_map(|(s, user, before, after, host, tail)| BaseUrl {
                text: format!("{s}{user}:{before}{CANARY}{after}@{host}{tail}"),
                refused: true,
            }),
        // A token as the user name.
        (scheme(), no_slash(), no_slash(), anything(), anything()).prop_map(
            |(s, before, after, host, tail)| BaseUrl {
                text: format!("{s}{before}{CANARY}{after}@{host}{tail}"),
                refused: true,
            }
        ),
        // A query or a fragment.
        (
            scheme(),
            junk(12, "?#"),
            prop::sample::select(vec!['?', '#']),
            anything(),
            anything(),
        )
            .prop_map(|(s, location, mark, before, after)| BaseUrl {
                text: format!("{s}{location}{mark}{before}{CANARY}{after}"),
                refused: true,
            }),
        // User-info with a `/` or `\` in it: a parser may read a path
        // there, and take the URL; if it refuses it, the canary is hidden.
        (scheme(), junk(8, "@"), junk(8, "@"), anything()).prop_map(|(s, before, after, rest)| {
            BaseUrl {
                text: format!("{s}{before}{CANARY}{after}@{rest}"),
                refused: false,
            }
        }),
    ]
}

fn leaks(text: &str) -> bool {
    text.contains(CANARY)
}

/// Builds `builder`, checking its Debug first: an error must be
/// `InvalidConfig` without the canary, and `must_fail` allows no other end.
fn check_build(builder: ClientBuilder, must_fail: bool) -> Result<(), TestCaseError> {
    let debug = format!("{builder:?}");
    prop_assert!(!leaks(&debug), "builder Debug: {}", debug);
    match builder.build() {
        Err(e) => {
            prop_assert!(matches!(e, Error::InvalidConfig(_)), "{:?}", e);
            let shown = format!("{e}\n{e:?}\n{e:#?}");
            prop_assert!(!leaks(&shown), "error: {}", shown);
        }
        Ok(_) => prop_assert!(!must_fail, "built"),
    }
    Ok(())
}

#[test]
fn a_base_url_never_shows_a_password_token_or_query() {
    run(2000, secret_base_url(), |url| {
        let builder = Client::builder().api_key(API_KEY).base_url(&url.text);
        check_build(builder, url.refused)
    });
}

#[test]
fn any_base_url_builds_or_is_refused_without_panicking() {
    run(1000, junk(64, ""), |text| {
        match Client::builder().api_key(API_KEY).base_url(&text).build() {
            Ok(_) | Err(Error::InvalidConfig(_)) => Ok(()),
            Err(e) => Err(TestCaseError::fail(format!("{e:?}"))),
        }
    });
}

// ------------------------------------------------------------------- PEMs

/// A self-signed certificate and its key, made once.
fn identity() -> &'static (String, String) {
    static IDENTITY: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    IDENTITY.get_or_init(|| {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        (made.cert.pem(), made.signing_key.serialize_pem())
    })
}

/// A PEM with the canary in it, and whether it must be refused. `valid`
/// is a good PEM of the kind asked for; `label` its section's name.
fn pem_with_canary(valid: &'static str, label: &'static str) -> BoxedStrategy<(Vec<u8>, bool)> {
    let base64 = || "[A-Za-z0-9+/=\n]{0,80}";
    prop_oneof![
        // Arbitrary bytes around the canary.
        (
            prop::collection::vec(any::<u8>(), 0..120),
            prop::collection::vec(any::<u8>(), 0..120)
        )
            .prop_map(|(a, b)| ([a, CANARY.into(), b].concat(), true)),
        // A section of the right kind whose body holds the canary.
        (base64(), base64()).prop_map(move |(a, b)| (
            format!("-----BEGIN {label}-----\n{a}{CANARY}{b}\n-----END {label}-----\n").into(),
            true
        )),
        // The canary as a section's label, or a section without its end.
        (base64(), junk(40, "")).prop_map(move |(body, rest)| (
            format!(
                "-----BEGIN {CANARY}-----\n{body}\n-----END {CANARY}-----\n\
                 -----BEGIN {label}-----\n{CANARY}{rest}"
            )
            .into(),
            true
        )),
        // The good PEM with a line of the canary inside its body.
        (1usize..20).prop_map(move |line| {
            let mut lines: Vec<&str> = valid.lines().collect();
            let at = line.min(lines.len() - 2).max(1);
            lines.insert(at, CANARY);
            (lines.join("\n").into(), true)
        }),
        // The good PEM with the canary outside any section: taken.
        junk(40, "-").prop_map(move |around| (
            format!("{around} {CANARY}\n{valid}{CANARY} {around}\n").into(),
            false
        )),
    ]
    .boxed()
}

#[test]
fn a_ca_pem_never_shows_what_it_holds() {
    let (cert, _) = identity();
    run(
        300,
        pem_with_canary(cert, "CERTIFICATE"),
        |(pem, refused)| {
            let builder = Client::builder()
                .api_key(API_KEY)
                .base_url(UNUSED_HTTPS_BASE_URL)
                .ca_certificate_pem(pem);
            check_build(builder, refused)
        },
    );
}

#[test]
fn a_client_key_or_certificate_never_shows_what_it_holds() {
    let (cert, key) = identity();
    let cases = prop_oneof![
        pem_with_canary(key, "PRIVATE KEY").prop_map(|(key, refused)| (None, key, refused)),
        pem_with_canary(cert, "CERTIFICATE").prop_map(|(cert, refused)| (
            Some(cert),
            vec![],
            refused
        )),
    ];
    run(300, cases, |(bad_cert, bad_key, refused)| {
        let (cert, key) = match bad_cert {
            Some(c) => (c, key.clone().into_bytes()),
            None => (cert.clone().into_bytes(), bad_key),
        };
        let builder = Client::builder()
            .api_key(API_KEY)
            .base_url(UNUSED_HTTPS_BASE_URL)
            .client_identity_pem(cert, key);
        check_build(builder, refused)
    });
}

// -------------------------------------------------------------------- CLI

/// The binary's `--base-url` and `ZILLIZ_BASE_URL`, in text and JSON, and
/// its TLS files: refused with exit 2, the canary nowhere in its output.
#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use crate::common::{CLUSTER, cli_env};

    /// Runs `describe` with `setup`, expecting exit 2 and no canary.
    fn refused(setup: impl FnOnce(&mut assert_cmd::Command)) -> Result<(), TestCaseError> {
        let mut cmd = cli_env::cli();
        cmd.args(["--api-key", API_KEY]);
        setup(&mut cmd);
        cmd.args(["describe", "--cluster-id", CLUSTER, "1"]);
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
}
