//! Timestamptz values: ISO-8601 / RFC 3339 text, as pymilvus writes them
//! (`2025-01-02T00:00:00+08:00`), the offset optional (without one Milvus
//! applies the collection's time zone).
//!
//! Accepted: `YYYY-MM-DDTHH:MM:SS`, then an optional fraction of 1 to 9
//! digits, then an optional `Z` or `±HH:MM`. The date must exist (leap
//! years counted), the time be within the day (no leap second), the offset
//! under 24 hours. Anything else is refused: a value the server would read
//! differently, or not at all, is worse than a refused row.

/// `Ok` for a well-formed timestamp, else what is wrong with it.
pub(crate) fn check(text: &str) -> Result<(), &'static str> {
    let b = text.as_bytes();
    let digits = |from: usize, n: usize| -> Option<u32> {
        let part = b.get(from..from + n)?;
        part.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    let year = digits(0, 4).ok_or("expected a four-digit year first")?;
    if !sep(4, b'-') || !sep(7, b'-') {
        return Err("expected a date as YYYY-MM-DD");
    }
    let (month, day) = (
        digits(5, 2).ok_or("expected a date as YYYY-MM-DD")?,
        digits(8, 2).ok_or("expected a date as YYYY-MM-DD")?,
    );
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in(year, month) {
        return Err("no such date");
    }
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return Err("expected `T` and a time after the date");
    }
    let (hour, minute, second) = match (
        digits(11, 2),
        sep(13, b':'),
        digits(14, 2),
        sep(16, b':'),
        digits(17, 2),
    ) {
        (Some(h), true, Some(m), true, Some(s)) => (h, m, s),
        _ => return Err("expected a time as HH:MM:SS"),
    };
    if hour > 23 || minute > 59 || second > 59 {
        return Err("no such time of day");
    }
    let mut at = 19;
    if sep(at, b'.') {
        let n = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&n) {
            return Err("expected 1 to 9 digits of fraction after `.`");
        }
        at += 1 + n;
    }
    match b.get(at) {
        None => Ok(()),
        Some(b'Z' | b'z') if at + 1 == b.len() => Ok(()),
        Some(b'+' | b'-') => match (digits(at + 1, 2), sep(at + 3, b':'), digits(at + 4, 2)) {
            (Some(h), true, Some(m)) if at + 6 == b.len() => {
                if h > 23 || m > 59 {
                    Err("no such time zone offset")
                } else {
                    Ok(())
                }
            }
            _ => Err("expected a time zone offset as Z or ±HH:MM at the end"),
        },
        Some(_) => Err("expected a time zone offset as Z or ±HH:MM at the end"),
    }
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepted() {
        for ok in [
            "2025-01-02T00:00:00+08:00",
            "2025-01-02T00:00:00",
            "2024-02-29T23:59:59.123456Z",
            "2000-02-29t12:00:00.1-05:30",
            "0001-01-01T00:00:00z",
            "9999-12-31T23:59:59.999999999+23:59",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refused_with_the_reason() {
        for (bad, why) in [
            ("", "expected a four-digit year first"),
            ("2025-1-02T00:00:00", "expected a date as YYYY-MM-DD"),
            ("2023-02-29T00:00:00", "no such date"),
            ("1900-02-29T00:00:00", "no such date"),
            ("0000-01-01T00:00:00", "no such date"),
            ("2025-13-01T00:00:00", "no such date"),
            ("2025-01-02", "expected `T` and a time after the date"),
            (
                "2025-01-02 00:00:00",
                "expected `T` and a time after the date",
            ),
            ("2025-01-02T00:00", "expected a time as HH:MM:SS"),
            ("2025-01-02T24:00:00", "no such time of day"),
            ("2025-01-02T23:59:60", "no such time of day"),
            (
                "2025-01-02T00:00:00.",
                "expected 1 to 9 digits of fraction after `.`",
            ),
            (
                "2025-01-02T00:00:00.1234567890",
                "expected 1 to 9 digits of fraction after `.`",
            ),
            (
                "2025-01-02T00:00:00+0800",
                "expected a time zone offset as Z or ±HH:MM at the end",
            ),
            ("2025-01-02T00:00:00+24:00", "no such time zone offset"),
            (
                "2025-01-02T00:00:00Z ",
                "expected a time zone offset as Z or ±HH:MM at the end",
            ),
            (
                "2025-01-02T00:00:00é",
                "expected a time zone offset as Z or ±HH:MM at the end",
            ),
            ("２025-01-02T00:00:00", "expected a four-digit year first"),
        ] {
            assert_eq!(check(bad), Err(why), "{bad}");
        }
    }
}
