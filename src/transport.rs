//! The one place a request meets the network.
//!
//! The generated client sends through [`ClientHooks::exec`]. Left alone,
//! progenitor would read any body whole, decode a 200 itself and drop its
//! headers when the decode fails (so an error envelope it cannot type loses
//! its request id). The hook bounds what is read and, for the crate's own
//! pipeline, hands every answer back undecoded:
//!
//! - a body whose `Content-Length` is over the limit, or that grows past it,
//!   is not read further; the answer becomes an empty one marked
//!   [`Mark::TooLarge`] with its real status;
//! - in the pipeline, a 200 is read here (within the limit) and handed on
//!   from memory marked [`Mark::Undecoded`]: progenitor returns it as
//!   `UnexpectedResponse`, and the crate decodes it once, its headers at
//!   hand;
//! - any other status within the limit passes through untouched, and
//!   progenitor returns it as `UnexpectedResponse` for the crate to read.
//!
//! A marked answer carries the status [`MARKED`], which the spec never
//! declares, so progenitor never tries to decode it. What the hook does is
//! set by the generated client's inner value ([`Transport`]), so nothing is
//! kept between calls or in task-local state.

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{ResponseBuilderExt, StatusCode, header::HeaderMap};

use crate::{DEFAULT_MAX_RESPONSE_BYTES, generated};

/// The generated client's inner value: how its exec hook reads answers.
///
/// [`crate::ClientBuilder`] makes the clients the crate uses. To make a
/// [`generated::Client`] by hand, pass [`Transport::new`]: its answers are
/// read up to the limit and decoded by progenitor as usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    max_bytes: usize,
    /// Hand every 200 back undecoded, marked (the crate's pipeline).
    undecoded: bool,
}

impl Transport {
    /// Reads at most `max_bytes` of each answer's body.
    pub fn new(max_bytes: usize) -> Self {
        Transport {
            max_bytes,
            undecoded: false,
        }
    }

    /// The crate's pipeline: every 200 handed back undecoded.
    pub(crate) fn undecoded(max_bytes: usize) -> Self {
        Transport {
            max_bytes,
            undecoded: true,
        }
    }

    /// The most body bytes read of one answer.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }
}

impl Default for Transport {
    /// [`DEFAULT_MAX_RESPONSE_BYTES`].
    fn default() -> Self {
        Transport::new(DEFAULT_MAX_RESPONSE_BYTES)
    }
}

/// What the hook did with an answer, on one it marked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mark {
    /// The body was longer than the limit and was not read to the end.
    TooLarge(StatusCode),
    /// A 200 read in full and left for the crate to decode.
    Undecoded(StatusCode),
}

/// The status of a marked answer: none the spec declares.
pub(crate) const MARKED: StatusCode = StatusCode::NON_AUTHORITATIVE_INFORMATION;

impl ClientHooks<Transport> for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let Transport {
            max_bytes: limit,
            undecoded,
        } = *self.inner();
        let mut response = self.client().execute(request).await?;
        let status = response.status();
        let announced = response.content_length();
        let keep = undecoded && status == StatusCode::OK;
        match announced {
            Some(n) if n > limit as u64 => {
                let head = Head::take(&mut response);
                return Ok(head.build(MARKED, Bytes::new(), Some(Mark::TooLarge(status))));
            }
            // The framing guarantees no more than the announced length.
            Some(_) if !keep => return Ok(response),
            _ => {}
        }
        let head = Head::take(&mut response);
        let body = match announced {
            Some(_) => response.bytes().await?,
            None => match read_capped(response, limit).await? {
                Some(body) => body,
                None => return Ok(head.build(MARKED, Bytes::new(), Some(Mark::TooLarge(status)))),
            },
        };
        Ok(match keep {
            true => head.build(MARKED, body, Some(Mark::Undecoded(status))),
            false => head.build(status, body, None),
        })
    }
}

/// Reads a body of unannounced length; `None` once it passes `limit`.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<Option<Bytes>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(Bytes::from(body)))
}

/// What an answer handed on keeps of the one received: its URL (so that
/// reqwest need not parse a placeholder) and its headers.
struct Head {
    url: reqwest::Url,
    headers: HeaderMap,
}

impl Head {
    fn take(response: &mut reqwest::Response) -> Head {
        Head {
            url: response.url().clone(),
            headers: std::mem::take(response.headers_mut()),
        }
    }

    fn build(self, status: StatusCode, body: Bytes, mark: Option<Mark>) -> reqwest::Response {
        // Setting only the URL cannot fail; if it did, an answer without it
        // serves as well.
        let mut answer = http::Response::builder()
            .url(self.url)
            .body(body.clone())
            .unwrap_or_else(|_| http::Response::new(body));
        *answer.status_mut() = status;
        *answer.headers_mut() = self.headers;
        if let Some(mark) = mark {
            answer.extensions_mut().insert(mark);
        }
        reqwest::Response::from(answer)
    }
}
