//! The values of the keys that name a temporary credential (`tmpAK`,
//! `tmpSK`, `sessionToken`), wherever server text holds them: the answer
//! of a volume's apply carries the credentials in clear, and a body that
//! fails to decode is quoted in its error before the client could learn
//! what to scrub. Read by key, not by value, so what has never been seen
//! is hidden too, quoted or escaped (`\"tmpSK\": \"…\"`) alike.

use memchr::memmem;

/// The keys whose value is a credential.
const KEYS: [&str; 3] = ["\"tmpAK", "\"tmpSK", "\"sessionToken"];

/// The byte ranges of `text` holding a credential keyed by one of
/// [`KEYS`]: from after the key's separators (quotes, escapes, white space
/// and `:`) to the end of its value (a quote, backslash, `,`, `}`, `]` or
/// white space). Every bound is at an ASCII byte: a character boundary.
pub(super) fn credential_values(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    for key in KEYS {
        for at in memmem::find_iter(bytes, key.as_bytes()) {
            let mut start = at + key.len();
            // `"tmpSK":`, `\"tmpSK\": \"`, `"tmpSK" : "`.
            let mut colon = false;
            while let Some(&b) = bytes.get(start) {
                match b {
                    b':' if !colon => colon = true,
                    b'"' | b'\\' | b' ' | b'\t' | b'\r' | b'\n' => {}
                    _ => break,
                }
                start += 1;
            }
            if !colon {
                continue;
            }
            let value = bytes[start..]
                .iter()
                .position(|b| b"\"\\,}] \t\r\n".contains(b))
                .map_or(bytes.len(), |n| start + n);
            if value > start {
                ranges.push((start, value));
            }
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_credential_keys_are_found_quoted_or_escaped() {
        let text = r#"{"tmpAK":"AK1","tmpSK" : "S/K+2=","sessionToken":"T3"} \"tmpSK\":\"E4\" tmpSK=no "tmpSK":5}"#;
        let found: Vec<&str> = credential_values(text)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect();
        assert_eq!(found, ["AK1", "S/K+2=", "E4", "5", "T3"]);
        assert!(credential_values(r#""tmpSK""#).is_empty());
        assert!(credential_values(r#""tmpSK":"#).is_empty());
    }
}
