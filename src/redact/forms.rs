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
//! character: one encoder, [`encode`], serves them all.

/// Base64's alphabets: standard, then URL-safe.
const BASE64: [&[u8; 64]; 2] = [
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
];
/// RFC 4648 base32.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8; 16] = b"0123456789abcdef";

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
    for alphabet in BASE64 {
        forms.extend(aligned(bytes, alphabet, 6, min));
    }
    forms.extend(aligned(bytes, BASE32, 5, min));
    for text in [bytes, &big, &little] {
        forms.extend(aligned(text, HEX, 4, min));
    }
    forms
}

/// The parts of `bytes`' encoding that do not depend on what stands
/// around it, for each alignment it can have inside a longer encoded text:
/// as many as there are bit offsets, modulo `bits`, a byte can start at
/// (base64: 3; base32: 5; hex: 1).
fn aligned(bytes: &[u8], alphabet: &[u8], bits: usize, min: usize) -> Vec<Vec<u8>> {
    // The fewest bytes whose bits end on a character's edge.
    let alignments = (1..=bits).find(|k| 8 * k % bits == 0).unwrap_or(bits);
    let mut forms = Vec::new();
    for shift in 0..alignments {
        let mut shifted = vec![0u8; shift];
        shifted.extend_from_slice(bytes);
        let encoded = encode(&shifted, alphabet, bits);
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

/// `bytes` written `bits` at a time, most significant first, as characters
/// of `alphabet` (which holds 2^`bits`); the bits left over at the end
/// make no character (the forms never use it).
fn encode(bytes: &[u8], alphabet: &[u8], bits: usize) -> Vec<u8> {
    let mask = (1u32 << bits) - 1;
    let mut out = Vec::with_capacity(bytes.len() * 8 / bits);
    let (mut acc, mut held) = (0u32, 0usize);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        held += 8;
        while held >= bits {
            held -= bits;
            out.push(alphabet[((acc >> held) & mask) as usize]);
        }
        acc &= (1 << held) - 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    /// The encoder against the base64 crate and RFC 4648's vectors.
    #[test]
    fn the_encoder_writes_base64_base32_and_hex() {
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
        for text in [
            "",
            "f",
            "fo",
            "foo",
            "foob",
            "fooba",
            "foobar",
            "\u{ff}\u{fe}~?>",
        ] {
            let b = text.as_bytes();
            // The encoder leaves out the last, partial character.
            let whole = 8 * b.len() / 6;
            let std = STANDARD_NO_PAD.encode(b);
            assert_eq!(encode(b, BASE64[0], 6), std.as_bytes()[..whole]);
            let url = URL_SAFE_NO_PAD.encode(b);
            assert_eq!(encode(b, BASE64[1], 6), url.as_bytes()[..whole]);
        }
        assert_eq!(encode(b"foobar", BASE32, 5), b"MZXW6YTBO");
        assert_eq!(encode(b"fooba", BASE32, 5), b"MZXW6YTB");
        assert_eq!(encode(b"\x00\xffA", HEX, 4), b"00ff41");
    }

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
