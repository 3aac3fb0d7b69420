//! The fast path for float vectors in JSON text: the raw text of the array
//! (`[0.12, -3.5e-2, ...]`) is parsed straight into the column by
//! [`json_f32`], which rounds each literal to the nearest `f32` at once.
//! Going through serde's `f64` and then casting would cost more and round
//! twice.
//!
//! The text is either serde_json's `RawValue` (known to be one well-formed
//! JSON value) or the rest of a JSONL line read by [`super::text`]; numbers
//! are held to JSON's grammar either way, and the bytes used are returned.

use super::json_f32;
use crate::error::Reason;

/// What the raw text held.
#[derive(Debug, PartialEq)]
pub(crate) enum Parsed {
    /// A list of this many numbers, appended to `out`, in this many bytes.
    List { count: usize, used: usize },
    /// `null`.
    Null,
}

/// Parses the raw JSON text of a float vector, appending to `out`. On an
/// error, `out` may hold part of the list: the caller drops it.
pub(crate) fn parse_f32_list(text: &[u8], out: &mut Vec<f32>) -> Result<Parsed, Reason> {
    let mut i = skip_ws(text, 0);
    match text.get(i) {
        Some(b'[') => i += 1,
        Some(b'n') => return Ok(Parsed::Null),
        other => {
            return Err(Reason::WrongType {
                expected: "an array of numbers",
                got: kind_of(other.copied()),
            });
        }
    }
    let mut count = 0usize;
    i = skip_ws(text, i);
    if text.get(i) == Some(&b']') {
        return Ok(Parsed::List {
            count: 0,
            used: i + 1,
        });
    }
    loop {
        i = skip_ws(text, i);
        match text.get(i) {
            Some(b'-' | b'0'..=b'9') => {
                let (value, used) = json_f32::parse(&text[i..]).ok_or_else(not_a_number)?;
                if !value.is_finite() {
                    let literal = &text[i..i + used];
                    let wide = fast_float2::parse::<f64, _>(literal).unwrap_or(f64::INFINITY);
                    return Err(Reason::OutOfRange {
                        value: super::fault::show(wide),
                        data_type: "Float",
                    });
                }
                out.push(value);
                count += 1;
                i += used;
            }
            Some(b'n') => return Err(Reason::NullElement { index: count }),
            other => {
                return Err(Reason::WrongType {
                    expected: "a number",
                    got: kind_of(other.copied()),
                });
            }
        }
        i = skip_ws(text, i);
        match text.get(i) {
            Some(b',') => i += 1,
            Some(b']') => return Ok(Parsed::List { count, used: i + 1 }),
            // Unreachable for text serde_json accepted as one value.
            _ => {
                return Err(Reason::WrongType {
                    expected: "an array of numbers",
                    got: "malformed text",
                });
            }
        }
    }
}

fn not_a_number() -> Reason {
    Reason::WrongType {
        expected: "a number",
        got: "text that is not a number",
    }
}

pub(crate) fn skip_ws(text: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = text.get(i) {
        i += 1;
    }
    i
}

/// The JSON kind a value starting with this byte has.
pub(crate) fn kind_of(first: Option<u8>) -> &'static str {
    match first {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        _ => "nothing",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Result<Parsed, Reason>, Vec<f32>) {
        let mut out = Vec::new();
        let r = parse_f32_list(text.as_bytes(), &mut out);
        (r, out)
    }

    #[test]
    fn parses_numbers_to_nearest_f32() {
        let (r, out) = parse(" [ 0.1, -2 ,3e-2,1E2 ] ");
        assert_eq!(r, Ok(Parsed::List { count: 4, used: 22 }));
        assert_eq!(out, vec![0.1f32, -2.0, 0.03, 100.0]);
    }

    #[test]
    fn empty_and_null() {
        assert_eq!(parse("[]  ").0, Ok(Parsed::List { count: 0, used: 2 }));
        assert_eq!(parse("null").0, Ok(Parsed::Null));
    }

    #[test]
    fn numbers_follow_json_grammar() {
        for bad in ["[01]", "[1.]", "[.5]", "[1e]", "[-]", "[1e+]", "[+1]"] {
            assert!(parse(bad).0.is_err(), "{bad} accepted");
        }
        let (r, out) = parse("[0, -0.5, 1e+2, 2E-1, 10]");
        assert!(r.is_ok());
        assert_eq!(out, vec![0.0, -0.5, 100.0, 0.2, 10.0]);
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        assert_eq!(
            parse("[1, \"2\"]").0.err(),
            Some(Reason::WrongType {
                expected: "a number",
                got: "a string"
            })
        );
        assert_eq!(
            parse("[1, null]").0.err(),
            Some(Reason::NullElement { index: 1 })
        );
        assert_eq!(
            parse("{\"a\": 1}").0.err(),
            Some(Reason::WrongType {
                expected: "an array of numbers",
                got: "an object"
            })
        );
        assert_eq!(
            parse("[1e39]").0.err(),
            Some(Reason::OutOfRange {
                value: "1e39".into(),
                data_type: "Float"
            })
        );
    }
}
