//! Durations on the command line: read as `90s`, `10m` or `2h`, shown the
//! same way in help text, so a default shown is one the flag takes back.

use std::{fmt, time::Duration};

/// The most a timeout may be: a century is "no deadline" in practice, and
/// anything larger is a typo that would overflow the clock.
const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A duration such as `90s`, `10m` or `2h`, at most a century.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if d > MAX_TIMEOUT {
        return Err("longer than 100 years".into());
    }
    Ok(d)
}

/// A duration shown as it is written on the command line (`10s`,
/// `1m 30s`): a flag's default from a constant, in its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        humantime::format_duration(self.0).fmt(f)
    }
}

/// [`parse_timeout`], as a [`Span`].
pub fn parse_span(text: &str) -> Result<Span, String> {
    parse_timeout(text).map(Span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_reads_back_as_shown() {
        for d in [
            Duration::ZERO,
            Duration::from_millis(250),
            Duration::from_secs(10),
            Duration::from_secs(90),
            Duration::from_secs(86_400 + 1),
        ] {
            let shown = Span(d).to_string();
            assert_eq!(parse_span(&shown), Ok(Span(d)), "{shown}");
        }
        assert_eq!(Span(Duration::from_secs(10)).to_string(), "10s");
        assert_eq!(
            parse_span("101years"),
            Err("longer than 100 years".to_owned())
        );
    }
}
