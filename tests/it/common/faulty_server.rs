//! The one scripted HTTP/1.1 server of the tests, on loopback and written on
//! raw TCP so it can do what no well-behaved framework would: reset a
//! connection, close it halfway through a body, drip bytes, lie about
//! lengths; and, as plainly, answer a sequence of well-formed replies or
//! compute each answer from the request (httpmock cannot answer a sequence).
//!
//! The server plays a script of [`Fault`]s, one per request it sees (the last
//! one repeats), on every connection it accepts. A "turn" starts when the
//! first byte of a request arrives on a connection, so a keep-alive connection
//! that sits idle or is closed by the client consumes nothing, and the order
//! of faults is deterministic for a client that sends one request at a time.
//!
//! It counts accepted connections and *complete* requests (head plus the
//! `Content-Length` body), and records every complete request with the
//! moment its head arrived, so a test can assert exactly how many times a
//! create reached the server, and how far apart the attempts were. The
//! server runs on the test's runtime and reads tokio's clock, so on the
//! paused clock those moments are exact.
//!
//! "Connection refused" is not a fault the server plays: use [`refused_url`],
//! a loopback port nothing listens on.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    time::Instant,
};

/// The body [`Fault::TruncatedJson`] sends (with a matching Content-Length).
pub const TRUNCATED_JSON: &str = r#"{"code":0,"data":{"jobId":"12"#;
/// The body [`Fault::Html502`] sends.
pub const HTML_502: &str = "<html><body>Bad Gateway</body></html>";
/// The body [`Fault::CodeAsString`] sends.
pub const CODE_AS_STRING: &str = r#"{"code":"0","data":{"jobId":"1"}}"#;
/// The Content-Length [`Fault::CloseMidBody`] announces, and what it sends.
pub const MID_BODY_ANNOUNCED: usize = 100;
/// The bytes of the body [`Fault::CloseMidBody`] actually sends.
pub const MID_BODY_SENT: &[u8] = br#"{"code":0,"#;
/// How often [`Fault::Drip`] sends one byte.
pub const DRIP_EVERY: Duration = Duration::from_millis(300);

/// What [`Fault::computed`] calls: the fault for the `n`th turn (from 0),
/// made from the request itself.
type AnswerFn = dyn Fn(usize, &ReceivedRequest) -> Fault + Send + Sync;

/// An [`AnswerFn`] a script can hold (cloned with it, shown as `Answer`).
#[derive(Clone)]
pub struct Answer(Arc<AnswerFn>);

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Answer")
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Close the connection with an RST (SO_LINGER 0) without reading the
    /// request, which is left unread in the socket. Not counted as received.
    ResetBeforeRead,
    /// Read the whole request (counted), then close without answering.
    ResetAfterRead,
    /// `200`, `Content-Length: 100`, 10 bytes of body, then close.
    CloseMidBody,
    /// `200` with a complete but truncated JSON body ([`TRUNCATED_JSON`]).
    TruncatedJson,
    /// `502 text/html` ([`HTML_502`]), as a gateway would answer.
    Html502,
    /// `200` with `Content-Length: 0`.
    Empty200,
    /// `200` with `code` as a string ([`CODE_AS_STRING`]).
    CodeAsString,
    /// `200` with a JSON string body of `len` bytes in all: with a
    /// `Content-Length` when `chunked` is false, else chunked (no length).
    /// The body is streamed, so a client that gives up early costs little.
    Oversized { len: usize, chunked: bool },
    /// Status line and headers (`Content-Length: 64`), then one body byte
    /// every [`DRIP_EVERY`] until the client goes away.
    Drip,
    /// Read the request and never answer (hold the connection open until
    /// the client goes away).
    Stall,
    /// `429` with this `Retry-After` value (none when `None`) and a small
    /// JSON-less body.
    TooManyRequests { retry_after: Option<String> },
    /// `200 application/json` with this body.
    Ok(String),
    /// `200 application/json` with this body, chunked (no Content-Length) in
    /// pieces of at most 7 bytes.
    OkChunked(String),
    /// Anything else: this status, these extra headers, this body (with a
    /// correct Content-Length), and `Connection: close`.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Read the request, then play whatever the function makes of it (any
    /// fault but [`Fault::ResetBeforeRead`], which comes before reading).
    Computed(Answer),
}

impl Fault {
    /// `status` with a JSON body and these extra headers, then close.
    pub fn json(status: u16, body: &Value, headers: &[(&str, &str)]) -> Fault {
        Fault::text(status, "application/json", &body.to_string(), headers)
    }

    /// `status` with a body of `content_type` and these extra headers, then
    /// close.
    pub fn text(status: u16, content_type: &str, body: &str, headers: &[(&str, &str)]) -> Fault {
        let mut all = vec![("Content-Type".to_owned(), content_type.to_owned())];
        all.extend(
            headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        Fault::Raw {
            status,
            headers: all,
            body: body.as_bytes().to_vec(),
        }
    }

    /// An HTML error page with `status`, as a load balancer sends it.
    pub fn gateway(status: u16) -> Fault {
        Fault::text(
            status,
            "text/html",
            "<html><body><h1>Service Unavailable</h1></body></html>",
            &[],
        )
    }

    /// Plays, on every turn, what `answer` makes of the turn and the request.
    pub fn computed(
        answer: impl Fn(usize, &ReceivedRequest) -> Fault + Send + Sync + 'static,
    ) -> Fault {
        Fault::Computed(Answer(Arc::new(answer)))
    }

    /// `200` with `{"code":0,"data":{"jobId":"<job_id>"}}`.
    pub fn created(job_id: &str) -> Fault {
        Fault::Ok(format!(r#"{{"code":0,"data":{{"jobId":"{job_id}"}}}}"#))
    }
}

/// One complete request as the server read it.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, values with surrounding whitespace removed
    /// (as RFC 9110 and every HTTP server parse them).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the head was complete, on tokio's clock.
    pub at: Instant,
}

impl ReceivedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the client sent a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<Vec<Fault>>,
    turn: AtomicUsize,
    connections: AtomicUsize,
    requests: Mutex<Vec<ReceivedRequest>>,
}

impl Shared {
    /// The number of the next turn and its fault.
    fn next_fault(&self) -> (usize, Fault) {
        let n = self.turn.fetch_add(1, Ordering::SeqCst);
        let script = self.script.lock().unwrap();
        let fault = script
            .get(n)
            .or(script.last())
            .cloned()
            .expect("a script has at least one fault");
        (n, fault)
    }
}

/// A running misbehaving server. It lives until the runtime that started it
/// shuts down (the end of a `#[tokio::test]`).
#[derive(Clone)]
pub struct FaultyServer {
    shared: Arc<Shared>,
    url: String,
}

impl FaultyServer {
    /// Starts a server on `127.0.0.1:0` that plays `script`.
    pub async fn start(script: Vec<Fault>) -> FaultyServer {
        assert!(!script.is_empty(), "a script needs at least one fault");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            ..Shared::default()
        });
        let accept = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                accept.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, accept.clone()));
            }
        });
        FaultyServer { shared, url }
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Replaces the script and clears every counter and recorded request,
    /// so one server can serve many property-test cases.
    pub fn reset(&self, script: Vec<Fault>) {
        assert!(!script.is_empty(), "a script needs at least one fault");
        *self.shared.script.lock().unwrap() = script;
        self.shared.requests.lock().unwrap().clear();
        self.shared.turn.store(0, Ordering::SeqCst);
        self.shared.connections.store(0, Ordering::SeqCst);
    }

    /// Complete requests received (head and body read in full).
    pub fn requests_received(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// Connections accepted.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Faults played so far (including [`Fault::ResetBeforeRead`], which
    /// receives no request).
    pub fn turns(&self) -> usize {
        self.shared.turn.load(Ordering::SeqCst)
    }

    /// Every complete request, in arrival order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }
}

/// A loopback URL nothing listens on: a port bound and released at once.
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        // Wait for the first byte of the next request; an idle connection
        // the client closes consumes no fault.
        if buf.is_empty() {
            let mut peek = [0u8; 1];
            match stream.peek(&mut peek).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
        let (turn, mut fault) = shared.next_fault();
        if matches!(fault, Fault::ResetBeforeRead) {
            let _ = stream.set_zero_linger();
            return; // dropped unread: the kernel answers with RST
        }
        let Some(request) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        if let Fault::Computed(Answer(answer)) = &fault {
            fault = answer(turn, &request);
        }
        shared.requests.lock().unwrap().push(request);
        if !respond(&mut stream, fault).await {
            return;
        }
    }
}

/// Reads one request (head and Content-Length body); `buf` keeps any bytes
/// of the next one.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<ReceivedRequest> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let at = Instant::now();
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_owned();
    let path = start.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| {
            (
                n.to_ascii_lowercase(),
                v.trim_matches([' ', '\t']).to_owned(),
            )
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap_or(0));
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Some(ReceivedRequest {
        method,
        path,
        headers,
        body,
        at,
    })
}

fn head(status: u16, reason: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn complete(status: u16, reason: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = head(
        status,
        reason,
        &[
            ("Content-Type", content_type.to_owned()),
            ("Content-Length", body.len().to_string()),
        ],
    );
    out.extend_from_slice(body);
    out
}

/// Plays `fault` on a request already read. Returns whether the connection
/// stays open for another request.
async fn respond(stream: &mut TcpStream, fault: Fault) -> bool {
    const JSON: &str = "application/json";
    let bytes = match fault {
        Fault::ResetBeforeRead => unreachable!("handled before reading"),
        Fault::Computed(_) => unreachable!("computed before responding"),
        Fault::ResetAfterRead => return false,
        Fault::CloseMidBody => {
            let mut out = head(
                200,
                "OK",
                &[
                    ("Content-Type", JSON.to_owned()),
                    ("Content-Length", MID_BODY_ANNOUNCED.to_string()),
                ],
            );
            out.extend_from_slice(MID_BODY_SENT);
            let _ = stream.write_all(&out).await;
            let _ = stream.flush().await;
            return false;
        }
        Fault::TruncatedJson => complete(200, "OK", JSON, TRUNCATED_JSON.as_bytes()),
        Fault::Html502 => complete(502, "Bad Gateway", "text/html", HTML_502.as_bytes()),
        Fault::Empty200 => complete(200, "OK", JSON, b""),
        Fault::CodeAsString => complete(200, "OK", JSON, CODE_AS_STRING.as_bytes()),
        Fault::Ok(body) => complete(200, "OK", JSON, body.as_bytes()),
        Fault::OkChunked(body) => {
            let mut out = head(
                200,
                "OK",
                &[
                    ("Content-Type", JSON.to_owned()),
                    ("Transfer-Encoding", "chunked".to_owned()),
                ],
            );
            for piece in body.as_bytes().chunks(7) {
                out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            out
        }
        Fault::TooManyRequests { retry_after } => {
            let body = b"Too Many Requests";
            let mut headers = vec![
                ("Content-Type", "text/plain".to_owned()),
                ("Content-Length", body.len().to_string()),
            ];
            if let Some(v) = retry_after {
                headers.push(("Retry-After", v));
            }
            let mut out = head(429, "Too Many Requests", &headers);
            out.extend_from_slice(body);
            out
        }
        Fault::Raw {
            status,
            headers,
            body,
        } => {
            let mut h: Vec<(&str, String)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.clone()))
                .collect();
            h.push(("Content-Length", body.len().to_string()));
            h.push(("Connection", "close".to_owned()));
            let reason = http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("X");
            let mut out = head(status, reason, &h);
            out.extend_from_slice(&body);
            let _ = stream.write_all(&out).await;
            let _ = stream.flush().await;
            return false;
        }
        Fault::Oversized { len, chunked } => {
            stream_oversized(stream, len, chunked).await;
            return false;
        }
        Fault::Drip => {
            let out = head(
                200,
                "OK",
                &[
                    ("Content-Type", JSON.to_owned()),
                    ("Content-Length", "64".to_owned()),
                ],
            );
            if stream.write_all(&out).await.is_err() {
                return false;
            }
            for _ in 0..64 {
                tokio::time::sleep(DRIP_EVERY).await;
                if stream.write_all(b" ").await.is_err() {
                    return false;
                }
            }
            return false;
        }
        Fault::Stall => {
            // Hold the connection until the client gives up.
            let mut sink = [0u8; 64];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
            return false;
        }
    };
    stream.write_all(&bytes).await.is_ok() && stream.flush().await.is_ok()
}

/// A JSON string of `len` bytes (`"aaaa…"`), streamed in 64 KiB pieces.
async fn stream_oversized(stream: &mut TcpStream, len: usize, chunked: bool) {
    assert!(len >= 2);
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if chunked {
        headers.push(("Transfer-Encoding", "chunked".to_owned()));
    } else {
        headers.push(("Content-Length", len.to_string()));
    }
    if stream.write_all(&head(200, "OK", &headers)).await.is_err() {
        return;
    }
    const PIECE: usize = 64 * 1024;
    let mut sent = 0;
    while sent < len {
        let n = PIECE.min(len - sent);
        let mut piece = vec![b'a'; n];
        if sent == 0 {
            piece[0] = b'"';
        }
        if sent + n == len {
            piece[n - 1] = b'"';
        }
        let framed = if chunked {
            let mut f = format!("{n:x}\r\n").into_bytes();
            f.extend_from_slice(&piece);
            f.extend_from_slice(b"\r\n");
            f
        } else {
            piece
        };
        if stream.write_all(&framed).await.is_err() {
            return;
        }
        sent += n;
    }
    if chunked {
        let _ = stream.write_all(b"0\r\n\r\n").await;
    }
    let _ = stream.flush().await;
}
