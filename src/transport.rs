//! The one place a request meets the network.
//!
//! The generated client sends through [`ClientHooks::exec`], and progenitor
//! then reads the answer's body whole. Overriding the hook puts a bound on
//! that read without reading anything twice:
//!
//! - a body whose `Content-Length` is within the limit passes through
//!   untouched: progenitor reads it once and decodes it once, and hands back
//!   its status and headers (in `ResponseValue`, or in the response carried
//!   by `UnexpectedResponse`);
//! - a body of unannounced length is read here, up to the limit, and handed
//!   on from memory;
//! - a body over the limit is not read (or not read further): what is handed
//!   on is an empty `413` marked with [`TooLarge`], which holds the real
//!   status. `413` is never a status the spec declares, so progenitor hands
//!   it back untouched as `UnexpectedResponse`.
//!
//! The limit travels in the generated client itself ([`ResponseLimit`], its inner
//! value), so nothing is shared between calls or kept in task-local state.

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{ResponseBuilderExt, StatusCode};

use crate::generated;

/// What the generated client carries for its exec hook: the most body bytes
/// it reads of one answer. [`crate::ClientBuilder`] sets it; it is needed
/// only to make a [`generated::Client`] by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimit {
    /// The most body bytes to read of one answer.
    pub max_bytes: usize,
}

impl Default for ResponseLimit {
    /// [`crate::DEFAULT_MAX_RESPONSE_BYTES`].
    fn default() -> Self {
        ResponseLimit {
            max_bytes: crate::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Marks an answer whose body was longer than [`ResponseLimit::max_bytes`]
/// and was not read to the end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TooLarge {
    /// The status the server answered with.
    pub(crate) status: StatusCode,
}

impl ClientHooks<ResponseLimit> for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let limit = self.inner().max_bytes;
        let response = self.client().execute(request).await?;
        match response.content_length() {
            // The framing guarantees no more than the announced length.
            Some(n) if n <= limit as u64 => Ok(response),
            Some(_) => Ok(too_large(response)),
            None => read_capped(response, limit).await,
        }
    }
}

/// Reads a body of unannounced length, stopping once it passes `limit`.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<reqwest::Response> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(too_large(response));
        }
        body.extend_from_slice(&chunk);
    }
    let status = response.status();
    Ok(rebuild(response, status, Bytes::from(body)))
}

/// An empty `413` in place of `response`, marked with its real status.
fn too_large(response: reqwest::Response) -> reqwest::Response {
    let marker = TooLarge {
        status: response.status(),
    };
    let mut rebuilt = rebuild(response, StatusCode::PAYLOAD_TOO_LARGE, Bytes::new());
    rebuilt.extensions_mut().insert(marker);
    rebuilt
}

/// `response`'s headers and URL with `status` and `body`. The URL is carried
/// over so that reqwest need not parse a placeholder.
fn rebuild(mut response: reqwest::Response, status: StatusCode, body: Bytes) -> reqwest::Response {
    // Setting only the URL cannot fail; if it did, a response without it
    // serves as well.
    let mut rebuilt = http::Response::builder()
        .url(response.url().clone())
        .body(body.clone())
        .unwrap_or_else(|_| http::Response::new(body));
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = std::mem::take(response.headers_mut());
    reqwest::Response::from(rebuilt)
}
