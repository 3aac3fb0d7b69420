//! The format characters (Unicode general category Cf): invisible, yet
//! they change how text reads or compares. A zero-width space or a soft
//! hyphen inside a secret hides it from a plain search while the screen
//! shows the secret; inside a job state (`Com\u{200B}pleted`) it reads as
//! a state the text is not. The scrubber skips them when it looks for
//! secrets, and escapes them in what it shows, like control characters.
//!
//! One table, written out once, for both. It lists every Cf code point of
//! Unicode 16 (a test compares it with the `regex` crate's `\p{Cf}`); a
//! code point made Cf by a later version reads as visible until it is added.

/// Every Cf code point, as sorted, disjoint, inclusive ranges.
const FORMAT: [(u32, u32); 21] = [
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` is a format character (general category Cf).
pub(crate) fn is_format(c: char) -> bool {
    let c = u32::from(c);
    if c < FORMAT[0].0 {
        return false;
    }
    // The last range starting at or before `c`.
    let i = FORMAT.partition_point(|&(start, _)| start <= c);
    i > 0 && c <= FORMAT[i - 1].1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table against an independent source: the `regex` crate's
    /// Unicode tables, over every code point.
    #[test]
    fn the_table_is_exactly_unicode_cf() {
        let cf = regex::Regex::new(r"^\p{Cf}$").unwrap();
        let mut buf = [0u8; 4];
        let differ: Vec<String> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| is_format(c) != cf.is_match(c.encode_utf8(&mut buf)))
            .map(|c| format!("U+{:04X}", u32::from(c)))
            .collect();
        assert!(differ.is_empty(), "differ from \\p{{Cf}}: {differ:?}");
    }

    #[test]
    fn ranges_are_sorted_and_disjoint() {
        for pair in FORMAT.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
        assert!(is_format('\u{AD}') && is_format('\u{200B}') && is_format('\u{E007F}'));
        assert!(!is_format('a') && !is_format('\u{AC}') && !is_format('\u{2065}'));
    }
}
