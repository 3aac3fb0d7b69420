//! The encodings a server may echo a secret in, beyond the secret itself:
//! base64 (standard and URL-safe, as in `Basic base64(user:key)`), base32,
//! hex (as Go's `%x` prints bytes; either case, as the scrubber ignores
//! ASCII case) and the hex of its UTF-16 code units (either byte order).
//!
//! Escapes that stand for one character or byte each (`%XX`, `\uXXXX`,
//! `\xXX`, octal `\NNN`), fullwidth letters and format characters inside
//! the secret are read back by the scrubber's skeleton instead, so they need
//! no form here.
//!
//! All of these write the bytes' bits most significant first, `bits` to a
//! character; `data-encoding` writes them.

use data_encoding::{BASE32_NOPAD, BASE64_NOPAD, BASE64URL_NOPAD, Encoding, HEXLOWER};

/// The encoded forms of `secret`, each cut to the characters that carry
/// only the secret's bits and so read the same wherever it stands in a
/// longer encoded text; a form shorter than `min` characters is left out,
/// as too likely to occur by chance.
pub(super) fn encoded_forms(secret: &str, min: usize) -> Vec<Vec<u8>> {
    let bytes = secret.as_bytes();
    let utf16: Vec<u16> = secret.encode_utf16().collect();
    let big: Vec<u8> = utf16.iter().flat_map(|u| u.to_be_bytes()).collect();
    let little: Vec<u8> = utf16.iter().flat_map(|u| u.to_le_bytes()).collect();
    let mut forms = Vec::new();
    for (encoding, bits) in [
        (&BASE64_NOPAD, 6),
        (&BASE64URL_NOPAD, 6),
        (&BASE32_NOPAD, 5),
    ] {
        forms.extend(aligned(bytes, encoding, bits, min));
    }
    for text in [bytes, &big, &little] {
        forms.extend(aligned(text, &HEXLOWER, 4, min));
    }
    forms
}

/// The parts of `bytes`' encoding that do not depend on what stands
/// around it, for each alignment it can have inside a longer encoded text:
/// as many as there are bit offsets, modulo `bits`, a byte can start at
/// (base64: 3; base32: 5; hex: 1).
fn aligned(bytes: &[u8], encoding: &Encoding, bits: usize, min: usize) -> Vec<Vec<u8>> {
    // The fewest bytes whose bits end on a character's edge.
    let alignments = (1..=bits).find(|k| 8 * k % bits == 0).unwrap_or(bits);
    let mut forms = Vec::new();
    for shift in 0..alignments {
        let mut shifted = vec![0u8; shift];
        shifted.extend_from_slice(bytes);
        let encoded = encoding.encode(&shifted).into_bytes();
        // Characters that carry a bit of the zero prefix, or of whatever
        // follows the secret, differ from echo to echo.
        let first = (8 * shift).div_ceil(bits);
        let last = (8 * shifted.len()) / bits;
        if last >= first + min {
            forms.push(encoded[first..last].to_ascii_lowercase());
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_cover_every_alignment_and_byte_order() {
        let forms = encoded_forms("ABCDEFGHIJ", 8);
        let has = |f: &str| forms.iter().any(|g| g == f.as_bytes());
        // Python's bytes.hex(), base64.b32encode, str.encode('utf-16-be').hex().
        assert!(has("4142434445464748494a"), "hex");
        assert!(
            has("004100420043004400450046004700480049004a"),
            "UTF-16BE hex"
        );
        assert!(
            has("4100420043004400450046004700480049004a00"),
            "UTF-16LE hex"
        );
        assert!(has("ifbegrcfizduqskk"), "base32, aligned");
        // Every alignment: 3 for each base64 alphabet, 5 for base32, 1 for
        // each hex text.
        assert_eq!(forms.len(), 3 + 3 + 5 + 3);
        assert!(encoded_forms("short", 8).len() < forms.len());
    }
}
