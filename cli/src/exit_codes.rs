//! The exit codes, a contract with scripts (see `--help`): what each
//! failure ends the program with, and which of several jobs' codes a wait
//! for all of them takes.

use std::error::Error as _;

use zilliz_import::{ErrorKind, WaitError};

use crate::ending::{Failure, WaitEnd};

/// The exit code of a program whose stdout was closed under it, as a shell
/// reports one killed by SIGPIPE.
pub const STDOUT_CLOSED: u8 = 141;

/// The documented exit codes (see `--help`).
pub fn exit_code(failure: &Failure) -> u8 {
    match failure {
        Failure::Wait(WaitError::JobFailed { .. } | WaitError::Aborted { .. }) => 5,
        Failure::Wait(WaitError::TimedOut { .. }) => 6,
        Failure::Interrupted(interrupted) => interrupted.signal.exit_code(),
        Failure::StdoutClosed => STDOUT_CLOSED,
        Failure::Config(_) | Failure::Input(_) => 2,
        Failure::Storage(_) => 4,
        _ => match failure.call().map(|e| (e.kind(), e.source().is_none())) {
            Some((ErrorKind::InvalidInput { .. }, _)) => 2,
            Some((ErrorKind::Api { .. }, _)) => 3,
            // The command's --timeout passed: before the request could be
            // sent, or while it was on its way (its deadline, not the HTTP
            // client's own timeout, cut it short: there is no `source`).
            Some((ErrorKind::DeadlineReached, _) | (ErrorKind::Timeout, true)) => 6,
            // A walk that stopped short: the server misbehaved.
            _ => 4,
        },
    }
}

/// One job's exit code: 0 when its wait ended well.
pub fn end_exit_code(end: &WaitEnd) -> u8 {
    end.as_ref().err().map_or(0, exit_code)
}

/// The exit codes of several jobs' outcomes, worst first (`wait` with
/// several ids exits with the worst; see `--help`): refused before sending,
/// a job failed or aborted, the API's error, a network, HTTP or decoding
/// failure, a wait timed out, success.
const WORST_FIRST: [u8; 6] = [2, 5, 3, 4, 6, 0];

/// The worst of `codes` by [`WORST_FIRST`] (a code not in it, which
/// [`exit_code`] never gives, ranks with the worst); 0 for none.
pub fn worst_exit_code(codes: impl IntoIterator<Item = u8>) -> u8 {
    codes
        .into_iter()
        .min_by_key(|code| WORST_FIRST.iter().position(|c| c == code).unwrap_or(0))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_exit_code_follows_the_documented_order() {
        assert_eq!(worst_exit_code([]), 0);
        assert_eq!(worst_exit_code([0, 0]), 0);
        assert_eq!(worst_exit_code([0, 6, 0]), 6);
        assert_eq!(worst_exit_code([6, 4, 0]), 4);
        assert_eq!(worst_exit_code([4, 3, 6]), 3);
        assert_eq!(worst_exit_code([3, 5, 4, 6, 0]), 5);
        assert_eq!(worst_exit_code([5, 2, 3]), 2);
        // Every pair, both ways round: the order is total.
        for (i, worse) in WORST_FIRST.iter().enumerate() {
            for better in &WORST_FIRST[i..] {
                assert_eq!(worst_exit_code([*worse, *better]), *worse);
                assert_eq!(worst_exit_code([*better, *worse]), *worse);
            }
        }
    }
}
