//! The format characters (Unicode general category Cf): invisible, yet
//! they change how text reads or compares. A zero-width space or a soft
//! hyphen inside a secret hides it from a plain search while the screen
//! shows the secret; inside a job state (`Com\u{200B}pleted`) it reads as
//! a state the text is not. The scrubber skips them when it looks for
//! secrets, and escapes them in what it shows, like control characters.
//!
//! One predicate serves both. It reads the Unicode tables of
//! `icu_properties`, which the `url` crate compiles in for its host names
//! anyway (a test compares them with the `regex` crate's `\p{Cf}`).

/// Whether `c` is a format character (general category Cf).
pub(crate) fn is_format(c: char) -> bool {
    use icu_properties::{CodePointMapData, props::GeneralCategory};
    // No ASCII character is one: the common case costs one comparison.
    !c.is_ascii() && CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Format
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
    fn known_format_characters_and_others() {
        assert!(is_format('\u{AD}') && is_format('\u{200B}') && is_format('\u{E007F}'));
        assert!(!is_format('a') && !is_format('\u{AC}') && !is_format('\u{2065}'));
    }
}
