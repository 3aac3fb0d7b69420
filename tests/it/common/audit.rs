//! The secrets audit's sentinels and the setups both its halves use: the
//! library's (`tests/it/secrets_audit.rs`) and the CLI's
//! (`cli/tests/it/secrets_audit.rs`). Each sentinel is recognisable, so any
//! of them showing up in output is a leak.

use std::time::Duration;

use httpmock::prelude::*;
use zilliz_import::CreateImportJob;
use zilliz_import_emulator::{Emulator, EmulatorHandle};

use crate::{
    common::{CREATE_PATH, DESCRIBE_PATH, LIST_PATH},
    emulator_env::{CLUSTER, start},
};

pub const API_KEY: &str = "APIKEY-SENTINEL-7f3a";
pub const SECRET_KEY: &str = "SECRETKEY-SENTINEL-91bc";
pub const SESSION_TOKEN: &str = "SESSIONTOKEN-SENTINEL-22de";
pub const SIGNATURE: &str = "PRESIGNSIG-SENTINEL-5e1c";
pub const PRESIGNED_QUERY: &str = "X-Amz-Signature=PRESIGNSIG-SENTINEL-5e1c";
/// Searched for: the signature value alone is stricter than the whole
/// `X-Amz-Signature=...` pair (it also catches a partial or re-encoded echo).
pub const SENTINELS: [&str; 4] = [API_KEY, SECRET_KEY, SESSION_TOKEN, SIGNATURE];

pub const ACCESS_KEY: &str = "AKIA-AUDIT-ACCESS";

/// A presigned URL whose only query parameter is the signature sentinel.
pub fn presigned(name: &str) -> String {
    format!("https://bucket.s3.us-west-2.amazonaws.com/data/{name}?{PRESIGNED_QUERY}")
}

/// The kind of presigned URL S3 really hands out: several parameters.
pub fn presigned_full(name: &str) -> String {
    format!(
        "https://bucket.s3.us-west-2.amazonaws.com/data/{name}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential={ACCESS_KEY}%2F20240101%2Fus-west-2%2Fs3%2Faws4_request\
         &X-Amz-Expires=3600&{PRESIGNED_QUERY}"
    )
}

/// Every sentinel found in `text`.
pub fn leaks(text: &str) -> Vec<&'static str> {
    SENTINELS.into_iter().filter(|s| text.contains(s)).collect()
}

pub fn assert_clean(what: &str, text: &str) {
    let found = leaks(text);
    assert!(found.is_empty(), "{what} leaks {found:?}:\n{text}");
}

/// An emulator taking the sentinel API key whose jobs run for an hour.
pub async fn slow_emulator() -> EmulatorHandle {
    start(
        Emulator::builder()
            .api_key(API_KEY)
            .job_duration(Duration::from_secs(3600)),
    )
    .await
}

/// An emulator that takes only "other-key", so the sentinel key is refused.
pub async fn other_key_emulator() -> EmulatorHandle {
    start(Emulator::builder().api_key("other-key")).await
}

/// A create carrying every kind of secret.
pub fn secret_job(url: &str) -> CreateImportJob {
    CreateImportJob::new(CLUSTER, "audit", url)
        .storage_credentials(ACCESS_KEY, SECRET_KEY)
        .session_token(SESSION_TOKEN)
}

/// An httpmock server answering create with `create_body` and describe and
/// list with `other_body`, both with `status`. Describe and list carry only the
/// API key, so only the API key is fair to echo to them.
pub async fn echo_server(
    status: u16,
    content_type: &str,
    create_body: String,
    other_body: String,
) -> MockServer {
    let server = MockServer::start_async().await;
    for (path, body) in [
        (CREATE_PATH, create_body),
        (DESCRIBE_PATH, other_body.clone()),
        (LIST_PATH, other_body),
    ] {
        server
            .mock_async(|when, then| {
                when.method(POST).path(path);
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
    }
    server
}
