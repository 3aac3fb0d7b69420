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

use serde::de::DeserializeSeed;

use super::vector_text::{self, Parsed, skip_ws};
use super::{EntrySeed, Key, RowReader};
use crate::columns::Column;
use crate::schema::DataType;

/// Reads the row into the columns; `false` if it must be read again by
/// the general path (the caller rolls the columns back).
pub(super) fn scan(reader: &mut RowReader, text: &[u8]) -> bool {
    scan_object(reader, text).is_some()
}

fn scan_object(reader: &mut RowReader, text: &[u8]) -> Option<()> {
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
            i = match reader.lookup.get(key).copied() {
                Some(f) => scan_field(reader, text, i, f)?,
                None => scan_entry(reader, text, i, Key::Other(key.into()))?,
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

/// A declared field's value; float vectors parsed in place.
fn scan_field(reader: &mut RowReader, text: &[u8], i: usize, f: usize) -> Option<usize> {
    let schema = reader.schema.clone();
    let field = &schema.fields()[f];
    if let (DataType::FloatVector { dim }, Some(c)) = (field.data_type(), reader.column_of[f])
        && text.get(i) == Some(&b'[')
        && reader.seen[f] != reader.stamp
    {
        let Column::ListF32(list) = &mut reader.columns.columns[c] else {
            return None;
        };
        match vector_text::parse_f32_list(&text[i..], &mut list.values) {
            Ok(Parsed::List { count, used }) if count == dim.get() => {
                list.close().ok()?;
                reader.seen[f] = reader.stamp;
                Some(i + used)
            }
            _ => None,
        }
    } else {
        scan_entry(reader, text, i, Key::Field(f))
    }
}

/// Any other value: delimited here, read by serde_json through the same
/// seed as the general path.
fn scan_entry(reader: &mut RowReader, text: &[u8], i: usize, key: Key<'_>) -> Option<usize> {
    let end = value_end(text, i)?;
    let mut de = serde_json::Deserializer::from_slice(&text[i..end]);
    let (mut fault, mut at) = (None, None);
    let read = EntrySeed {
        reader,
        key,
        fault: &mut fault,
        at: &mut at,
        raw: true,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    (read.is_ok() && fault.is_none()).then_some(end)
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
