//! SIGINT and SIGTERM, caught rather than left to kill the program, so a
//! run they end still says its last words: above all the id of a job it
//! created, which a script must not lose (it would start a second import).

use std::fmt;

/// A signal that ends a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: `kill`, a service manager, a CI runner's cancel.
    Terminate,
}

impl Signal {
    /// The exit code a shell gives a program this signal killed (128 + its
    /// number), which the program takes when it ends on one.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        })
    }
}

/// The signals, caught from [`Signals::catch`] on: from then on neither
/// kills the program, and [`Signals::next`] tells of each.
pub struct Signals {
    #[cfg(unix)]
    caught: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    /// Catches SIGINT and SIGTERM (elsewhere than Unix, Ctrl-C). Should that
    /// fail, they keep their default action, killing the program, as before.
    #[cfg(unix)]
    pub fn catch() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let caught = signal(SignalKind::interrupt())
            .and_then(|int| Ok((int, signal(SignalKind::terminate())?)));
        if let Err(e) = &caught {
            tracing::warn!(error = %e, "cannot catch SIGINT and SIGTERM");
        }
        Signals {
            caught: caught.ok(),
        }
    }

    #[cfg(not(unix))]
    pub fn catch() -> Signals {
        Signals {}
    }

    /// The next signal; never, where they could not be caught.
    #[cfg(unix)]
    pub async fn next(&mut self) -> Signal {
        let Some((interrupt, terminate)) = &mut self.caught else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => Signal::Interrupt,
            _ = terminate.recv() => Signal::Terminate,
        }
    }

    #[cfg(not(unix))]
    pub async fn next(&mut self) -> Signal {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Signal::Interrupt,
            Err(_) => std::future::pending().await,
        }
    }
}
