//! Serving: the accept loop and HTTP/1 connections, with timeouts on every
//! way a client can hold a connection without making progress.
//!
//! The routes are an axum [`Router`](axum::Router) (see `routes.rs`), but
//! `axum::serve` has no header-read timeout, so connections are served with
//! hyper's HTTP/1 builder directly, the router adapted to hyper's service
//! trait and wrapped so a panicking handler still gets an answer:
//!
//! - **Head**: hyper's `header_read_timeout` starts when the server begins
//!   waiting for a request head and is not extended by partial data, so a
//!   client dripping header lines is cut after the timeout. hyper (1.12)
//!   re-arms it each time a keep-alive connection goes idle, so the same
//!   timeout also closes idle keep-alive connections and connections that
//!   never send a byte.
//! - **Body**: the handler reads the body under its own deadline
//!   (see `routes::read_body`).
//! - **Answer**: writes that make no progress for the write timeout fail, so
//!   a client that stops reading cannot pin a connection and its buffers.
//!
//! Accept errors (such as running out of file descriptors) never end the
//! loop: it backs off briefly and accepts again, and since every connection
//! is cut within a timeout, descriptors come back.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt as _;
use hyper::server::conn::http1;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::Sleep;

use crate::reply::internal_error;
use crate::routes;
use crate::shared::Shared;

/// How long the accept loop waits after an accept error before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Timeouts fixed at start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) header_read: Duration,
    pub(crate) write: Duration,
    /// Longest a connection can be busy after shutdown was asked for; the
    /// sum of all timeouts, as a request can meet each of them once.
    pub(crate) shutdown_grace: Duration,
}

/// Accepts and serves until `shutdown` resolves (a send or the sender being
/// dropped), then stops accepting and lets open connections finish.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    timeouts: Timeouts,
    mut shutdown: oneshot::Receiver<()>,
) {
    let router = routes::router(shared);
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read)
        .keep_alive(true);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                // EMFILE, ENFILE, ENOBUFS or a connection that went away
                // before it was accepted: none of them is the listener's end.
                tracing::debug!(%error, "emulator accept failed; backing off");
                tokio::select! {
                    _ = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(StallGuard::new(stream, timeouts.write));
        let router = TowerToHyperService::new(router.clone());
        let service = service_fn(move |req| {
            let call = router.call(req);
            async move {
                let response = match AssertUnwindSafe(call).catch_unwind().await {
                    Ok(Ok(response)) => response,
                    Ok(Err(infallible)) => match infallible {},
                    Err(_panic) => {
                        tracing::error!("emulator handler panicked; answered 500");
                        internal_error()
                    }
                };
                Ok::<_, Infallible>(response)
            }
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "emulator connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(timeouts.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("emulator connections still open after the shutdown grace period");
    }
}

/// A TCP stream whose writes fail with `TimedOut` once they have made no
/// progress for `timeout`, so a client that never reads its answers cannot
/// hold the connection forever.
struct StallGuard {
    inner: TcpStream,
    timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl StallGuard {
    fn new(inner: TcpStream, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// Clears the stall timer on progress, arms it on the first `Pending`, and
    /// turns `Pending` into an error once it has run out.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.timeout;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for StallGuard {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for StallGuard {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, poll)
    }
}
