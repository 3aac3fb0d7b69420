//! The one place a request meets the network.
//!
//! The generated client sends through [`ClientHooks::exec`]; overriding it
//! here lets the crate read each answer itself, with a cap on its size, and
//! note the status and headers that progenitor's errors drop (an undecodable
//! 200 arrives without its status or request id). What was seen is left in a
//! task-local [`Exchange`] that the caller set up for this one attempt.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{ResponseBuilderExt, StatusCode, header::HeaderMap};

use crate::generated;

tokio::task_local! {
    static EXCHANGE: Arc<Mutex<Exchange>>;
}

/// What one attempt saw on the wire.
#[derive(Debug, Default)]
pub(crate) struct Exchange {
    /// The most body bytes to read.
    pub(crate) limit: usize,
    /// How long this attempt may take, sending to the last body byte.
    pub(crate) timeout: Option<std::time::Duration>,
    /// The answer's status, once headers arrived.
    pub(crate) status: Option<StatusCode>,
    /// The answer's headers.
    pub(crate) headers: HeaderMap,
    /// The body, when it was read in full within the limit.
    pub(crate) body: Bytes,
    /// The body was longer than `limit`; it was not read to the end.
    pub(crate) too_large: bool,
}

/// Runs `attempt` with a fresh [`Exchange`] that [`ClientHooks::exec`] fills
/// in, the attempt cut off after `timeout`.
pub(crate) async fn observe<F: Future>(
    limit: usize,
    timeout: std::time::Duration,
    attempt: F,
) -> (F::Output, Exchange) {
    let cell = Arc::new(Mutex::new(Exchange {
        limit,
        timeout: Some(timeout),
        ..Exchange::default()
    }));
    let output = EXCHANGE.scope(cell.clone(), attempt).await;
    let exchange = std::mem::take(&mut *cell.lock().unwrap_or_else(|e| e.into_inner()));
    (output, exchange)
}

impl ClientHooks for generated::Client {
    async fn exec(
        &self,
        mut request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let Ok(cell) = EXCHANGE.try_with(Arc::clone) else {
            // Called outside `observe` (through `Client::raw`): plain pass-through.
            return self.client().execute(request).await;
        };
        let (limit, timeout) = {
            let ex = lock(&cell);
            (ex.limit, ex.timeout)
        };
        // Replaces the client's own timeout for this request (the body read
        // below included): the attempt's share of its call's deadline.
        *request.timeout_mut() = timeout;
        let mut response = self.client().execute(request).await?;
        let status = response.status();
        let url = response.url().clone();
        let headers = std::mem::take(response.headers_mut());

        let (body, too_large) = match response.content_length() {
            Some(n) if n > limit as u64 => (Bytes::new(), true),
            // The framing guarantees no more than the announced length.
            Some(_) => (response.bytes().await?, false),
            None => read_capped(&mut response, limit).await?,
        };

        // Carrying the URL over spares reqwest parsing a placeholder one.
        let rebuilt = http::Response::builder()
            .status(status)
            .url(url)
            .body(body.clone())
            .expect("a status taken from a response is valid");
        {
            let mut ex = lock(&cell);
            ex.status = Some(status);
            ex.headers = headers;
            ex.body = body;
            ex.too_large = too_large;
        }
        Ok(reqwest::Response::from(rebuilt))
    }
}

/// Reads a body of unannounced length, stopping once it passes `limit`.
async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
) -> reqwest::Result<(Bytes, bool)> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok((Bytes::new(), true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((Bytes::from(body), false))
}

fn lock(cell: &Mutex<Exchange>) -> std::sync::MutexGuard<'_, Exchange> {
    cell.lock().unwrap_or_else(|e| e.into_inner())
}
