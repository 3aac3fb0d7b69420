//! The fast path for a row of JSON text: the row object is walked here,
//! float vectors are parsed in place (one pass over their digits, where
//! going through serde_json would scan them once to delimit them and again
//! to parse them), and every other value is handed to serde_json by the
//! same seeds as the general path.
//!
//! It is optimistic: at the first thing it does not expect (a bad value, a
//! syntax error, an escaped key, a repeated key) it gives up, and the
//! caller reads the row again through serde_json alone, whose verdict is
//! the one reported. So the two paths cannot disagree on a refusal.

use super::vector_text::skip_ws;

/// What a float vector read in place came to.
pub(super) enum InPlace {
    /// The field is not a float vector: read its value the usual way.
    NotAVector,
    /// Read, in this many bytes.
    Used(usize),
    /// Something unusual: leave the row to the general path.
    GiveUp,
}

/// The row reader, as the scanner sees it.
pub(super) trait Row {
    /// The declared field of this name.
    fn lookup(&self, key: &str) -> Option<usize>;
    /// Reads a float vector from the start of `text`.
    fn vector_in_place(&mut self, field: usize, text: &[u8]) -> InPlace;
    /// Reads one value (exactly `value`) for a declared field or another
    /// key; `false` to leave the row to the general path.
    fn entry(&mut self, field: Option<usize>, key: &str, value: &[u8]) -> bool;
}

/// Reads the row into the reader's columns; `false` if it must be read
/// again by the general path (the caller rolls the columns back).
pub(super) fn scan(row: &mut impl Row, text: &[u8]) -> bool {
    scan_object(row, text).is_some()
}

fn scan_object(row: &mut impl Row, text: &[u8]) -> Option<()> {
    let mut i = skip_ws(text, 0);
    expect(text, &mut i, b'{')?;
    i = skip_ws(text, i);
    if text.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            i = skip_ws(text, i);
            let key_end = string_end(text, i)?;
            let key = std::str::from_utf8(text.get(i + 1..key_end - 1)?).ok()?;
            if key.contains('\\') {
                return None;
            }
            i = skip_ws(text, key_end);
            expect(text, &mut i, b':')?;
            i = skip_ws(text, i);
            let field = row.lookup(key);
            let in_place = match (field, text.get(i)) {
                (Some(f), Some(b'[')) => row.vector_in_place(f, &text[i..]),
                _ => InPlace::NotAVector,
            };
            i = match in_place {
                InPlace::Used(used) => i + used,
                InPlace::GiveUp => return None,
                InPlace::NotAVector => {
                    let end = value_end(text, i)?;
                    if !row.entry(field, key, &text[i..end]) {
                        return None;
                    }
                    end
                }
            };
            i = skip_ws(text, i);
            match text.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (skip_ws(text, i) == text.len()).then_some(())
}

fn expect(text: &[u8], i: &mut usize, byte: u8) -> Option<()> {
    (text.get(*i) == Some(&byte)).then(|| *i += 1)
}

/// End (exclusive) of the string starting at `i` (its opening quote).
fn string_end(text: &[u8], i: usize) -> Option<usize> {
    if text.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        j += memchr::memchr2(b'"', b'\\', text.get(j..)?)?;
        match text[j] {
            b'"' => return Some(j + 1),
            _ => j += 2,
        }
    }
}

/// End (exclusive) of the value starting at `i`, found by matching
/// brackets and skipping strings; serde_json checks what is inside.
fn value_end(text: &[u8], i: usize) -> Option<usize> {
    match text.get(i)? {
        b'"' => string_end(text, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match text.get(j)? {
                    b'"' => {
                        j = string_end(text, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let rest = &text[i..];
            let len = rest
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(rest.len());
            Some(i + len)
        }
    }
}
