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
//! The inputs are drawn in `common/config_inputs.rs`, shared with the CLI's
//! half (`cli/tests/it/fuzz_config.rs`: its flags and environment).
//!
//! Run longer with
//! `PROPTEST_CASES=20000 cargo test --all-features --test it fuzz_config::`.

use crate::common::{API_KEY, UNUSED_HTTPS_BASE_URL, config_inputs::*, properties::run};
use proptest::{prelude::*, test_runner::TestCaseError};
use zilliz_import::{Client, ClientBuilder};

/// Builds `builder`, checking its Debug first: an error must be
/// `InvalidConfig` without the canary, and `must_fail` allows no other end.
fn check_build(builder: ClientBuilder, must_fail: bool) -> Result<(), TestCaseError> {
    let debug = format!("{builder:?}");
    prop_assert!(!leaks(&debug), "builder Debug: {}", debug);
    match builder.build() {
        Err(e) => {
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
        // Built or refused with a BuildError (the type says so): no panic.
        let _ = Client::builder().api_key(API_KEY).base_url(&text).build();
        Ok(())
    });
}

// ------------------------------------------------------------------- PEMs

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
