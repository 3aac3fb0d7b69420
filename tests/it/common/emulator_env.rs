//! Helpers for tests that run the emulator in-process: its default ids, a
//! builder with the settings most tests want, and a library client for it.
//! Shared with the CLI crate's tests (`cli/tests/it/common`), which drive
//! the binary against the same emulator.

use std::time::Duration;

use zilliz_import::{Client, Error};
use zilliz_import_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, RecordedRequest};

use crate::common::fast_retry;
use zilliz_import::ErrorKind;

/// The emulator's default cluster id.
pub const CLUSTER: &str = "in01-emulator";
/// The emulator's default project, and its region.
pub const PROJECT: &str = "proj-emulator";
pub const REGION: &str = "aws-us-west-2";

/// The builder of [`emulator`], for tests that add to it.
pub fn emulator_builder(key: &str, duration: Duration) -> EmulatorBuilder {
    Emulator::builder()
        .api_key(key)
        .job_duration(duration)
        .fail_when_url_contains("fail")
}

/// Starts the emulator `builder` describes.
pub async fn start(builder: EmulatorBuilder) -> EmulatorHandle {
    builder.start().await.expect("emulator starts")
}

/// An emulator with `key`, jobs of `duration`, and URLs containing "fail" failing.
pub async fn emulator(key: &str, duration: Duration) -> EmulatorHandle {
    start(emulator_builder(key, duration)).await
}

/// A library client for the emulator with `key`, with quick retries.
pub fn client(base: &str, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(base)
        .retry(fast_retry())
        .build()
        .expect("client builds")
}

/// The requests `h` received at `path`.
pub fn sent_to(h: &EmulatorHandle, path: &str) -> Vec<RecordedRequest> {
    h.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

/// Asserts `e` is the API's answer to a wrong key: HTTP 401 with code 21119.
pub fn assert_wrong_key(e: &Error) {
    assert!(
        matches!(e.kind(), ErrorKind::Api { code: 21119, .. }) && e.status() == Some(401),
        "{e:?}"
    );
}
