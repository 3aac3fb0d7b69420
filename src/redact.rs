//! Keeping secrets out of everything a person or a log can read.
//!
//! Debug output shows [`REDACTED`] in place of a secret. Text that comes back
//! from the server (messages, body excerpts, every string of a describe or
//! list answer, the request id header) goes through a [`Scrubber`] before it
//! is stored anywhere a person or a log can read it, because a server may
//! echo a request back: the scrubber removes the secrets the call carried in
//! the encodings an echo is likely to use, redacts the query of any URL, and
//! escapes control characters so server text cannot drive a terminal.
//!
//! Nothing here slices text at a byte offset that was not found on a
//! character boundary: server text is arbitrary Unicode.

mod format_chars;
mod urls;

use std::sync::Arc;

use base64::Engine as _;
use memchr::memmem::Finder;

pub(crate) use urls::{redact_url, redact_urls_in_text, url_secrets};

/// What Debug and error messages show in place of a secret.
pub const REDACTED: &str = "<redacted>";

/// The most characters of a response body an error keeps.
pub(crate) const EXCERPT_CHARS: usize = 256;

/// The most bytes of one server string the scrubber reads; the rest is cut
/// (with `…`). No field of this API is legitimately longer, and the bound
/// keeps the scrubber's work and memory proportional to what is shown.
pub(crate) const MAX_SERVER_TEXT_BYTES: usize = 1 << 20;

/// Secrets shorter than this are scrubbed only where they stand as a whole
/// word, so that a short secret does not blank every word that contains it.
const SHORT_SECRET_BYTES: usize = 8;

/// Control characters (C0, DEL, C1) and format characters (Unicode Cf:
/// zero-width spaces, soft hyphens, bidi controls and the like) written as
/// `\u{..}`, so server text can neither move a terminal's cursor nor hide
/// or reorder what it says.
pub(crate) fn escape_controls(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || format_chars::is_format(c)
}

/// One secret in the forms an echo of it may take, each normalised as
/// [`Skeleton`] normalises text (ASCII lower-cased, white space removed).
struct Pattern {
    /// The secret itself, normalised: what tells two patterns apart.
    raw: Vec<u8>,
    finders: Vec<Finder<'static>>,
    /// Short secrets count only as a whole word.
    whole_word: bool,
    /// The longest form, in normalised bytes.
    longest: usize,
}

impl Pattern {
    fn new(secret: &str) -> Option<Pattern> {
        let raw = normalise(secret.as_bytes());
        if raw.is_empty() {
            return None;
        }
        let whole_word = raw.len() < SHORT_SECRET_BYTES;
        let mut forms = vec![raw.clone()];
        if !whole_word {
            forms.extend(base64_forms(secret.as_bytes()));
        }
        forms.sort();
        forms.dedup();
        Some(Pattern {
            longest: forms.iter().map(Vec::len).max().unwrap_or(0),
            finders: forms
                .iter()
                .map(|f| Finder::new(f.as_slice()).into_owned())
                .collect(),
            raw,
            whole_word,
        })
    }
}

/// The parts of the base64 encodings (standard and URL-safe alphabets) of
/// `secret` that do not depend on what stands around it, for each of the
/// three alignments it can have inside a longer encoded text
/// (`Basic base64(user:key)`, a token that embeds it).
fn base64_forms(secret: &[u8]) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut forms = Vec::new();
    for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
        for shift in 0..3usize {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(secret);
            let encoded = engine.encode(&bytes);
            // Characters that carry a bit of the zero prefix, or of
            // whatever follows the secret, differ from echo to echo.
            let first = (8 * shift).div_ceil(6);
            let last = (8 * bytes.len()) / 6;
            if last >= first + SHORT_SECRET_BYTES {
                forms.push(normalise(&encoded.as_bytes()[first..last]));
            }
        }
    }
    forms
}

/// ASCII lower-cased, ASCII white space removed: a pattern's form.
fn normalise(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// Text reduced for matching, with where each byte came from: ASCII
/// lower-cased, white space (and the escapes `\n`, `\r`, `\t`) left out so
/// a secret split over lines still matches; with `decode`, also
/// percent-escapes and JSON escapes (`\/`, `\"`, `\\`, `\uXXXX`) read as
/// what they stand for.
struct Skeleton {
    bytes: Vec<u8>,
    /// The byte range of `text` each byte of `bytes` stands for.
    spans: Vec<(usize, usize)>,
}

impl Skeleton {
    fn new(text: &str, decode: bool) -> Skeleton {
        let src = text.as_bytes();
        let mut sk = Skeleton {
            bytes: Vec::with_capacity(src.len()),
            spans: Vec::with_capacity(src.len()),
        };
        let mut i = 0;
        while i < src.len() {
            let b = src[i];
            if b >= 0x80 {
                // `i` is always on a character boundary: every step below
                // moves over whole ASCII bytes or whole characters.
                let Some(c) = text[i..].chars().next() else {
                    break;
                };
                let len = c.len_utf8();
                if !c.is_whitespace() {
                    sk.push_all(&src[i..i + len], (i, i + len));
                }
                i += len;
                continue;
            }
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let next = src.get(i + 1).copied();
            if b == b'\\' && matches!(next, Some(b'n' | b'r' | b't')) {
                i += 2;
                continue;
            }
            if decode && let Some((decoded, used)) = decode_escape(src, i) {
                let span = (i, i + used);
                match decoded {
                    Decoded::Byte(d) if d.is_ascii_whitespace() => {}
                    Decoded::Byte(d) => sk.push(d.to_ascii_lowercase(), span),
                    Decoded::Char(c) if c.is_whitespace() => {}
                    Decoded::Char(c) => {
                        let mut buf = [0u8; 4];
                        let bytes = c.encode_utf8(&mut buf).as_bytes();
                        let lowered = normalise(bytes);
                        sk.push_all(&lowered, span);
                    }
                }
                i += used;
                continue;
            }
            sk.push(b.to_ascii_lowercase(), (i, i + 1));
            i += 1;
        }
        sk
    }

    fn push(&mut self, byte: u8, span: (usize, usize)) {
        self.bytes.push(byte);
        self.spans.push(span);
    }

    fn push_all(&mut self, bytes: &[u8], span: (usize, usize)) {
        for &b in bytes {
            self.push(b, span);
        }
    }
}

enum Decoded {
    Byte(u8),
    Char(char),
}

/// The percent-escape or JSON escape at `src[i]`, with how many bytes it
/// takes; `None` where there is none.
fn decode_escape(src: &[u8], i: usize) -> Option<(Decoded, usize)> {
    let hex = |at: usize, n: usize| -> Option<u32> {
        let digits = src.get(at..at + n)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(text, 16).ok()
    };
    match (src[i], src.get(i + 1).copied()?) {
        (b'%', _) => Some((Decoded::Byte(u8::try_from(hex(i + 1, 2)?).ok()?), 3)),
        (b'\\', c @ (b'/' | b'"' | b'\\')) => Some((Decoded::Byte(c), 2)),
        (b'\\', b'u') => Some((Decoded::Char(char::from_u32(hex(i + 2, 4)?)?), 6)),
        _ => None,
    }
}

/// Removes known secret values from text that comes from elsewhere, along
/// with URL queries and control characters (see the module's docs).
/// Cheap to clone: patterns are shared.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    patterns: Vec<Arc<Pattern>>,
}

impl Scrubber {
    /// Adds a secret (trimmed, as a server trims it); an empty one is ignored.
    pub(crate) fn with(mut self, secret: impl AsRef<str>) -> Self {
        if let Some(p) = Pattern::new(secret.as_ref().trim())
            && !self.patterns.iter().any(|q| q.raw == p.raw)
        {
            self.patterns.push(Arc::new(p));
        }
        self
    }

    /// Server text fit to show: URL queries and known secrets redacted,
    /// control characters escaped, at most [`MAX_SERVER_TEXT_BYTES`] read.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let (head, cut) = prefix(text, MAX_SERVER_TEXT_BYTES);
        let mut out = self.scrub_cut(head, cut);
        if cut {
            out.push('…');
        }
        out
    }

    /// The start of a body, as lossy UTF-8, bounded and scrubbed.
    pub(crate) fn excerpt(&self, body: &[u8]) -> String {
        // Enough to fill an excerpt after any redaction shrinks the text.
        const WINDOW: usize = 64 * 1024;
        let window = &body[..body.len().min(WINDOW)];
        let text = String::from_utf8_lossy(window);
        let scrubbed = self.scrub_cut(&text, body.len() > WINDOW);
        let mut cut: String = scrubbed.chars().take(EXCERPT_CHARS).collect();
        if body.len() > WINDOW || scrubbed.chars().nth(EXCERPT_CHARS).is_some() {
            cut.push('…');
        }
        cut
    }

    /// `text` scrubbed. `cut`: it is the start of something longer, so a
    /// secret that begins near its end cannot be told from harmless text;
    /// that tail is dropped.
    fn scrub_cut(&self, text: &str, cut: bool) -> String {
        let text = redact_urls_in_text(text);
        let (ranges, safe_end) = self.find(&text, cut);
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (start, end) in ranges {
            if start >= safe_end {
                break;
            }
            out.push_str(&text[pos..start]);
            out.push_str(REDACTED);
            pos = end;
        }
        if pos < safe_end {
            out.push_str(&text[pos..safe_end]);
        }
        escape_controls(&out)
    }

    /// The byte ranges of `text` that hold a secret, sorted and merged, and
    /// where the text stops being provably free of a secret's start.
    fn find(&self, text: &str, cut: bool) -> (Vec<(usize, usize)>, usize) {
        let mut ranges = Vec::new();
        let mut safe_end = text.len();
        if self.patterns.is_empty() {
            return (ranges, safe_end);
        }
        let longest = self.patterns.iter().map(|p| p.longest).max().unwrap_or(0);
        let needs_decoding = text.contains(['%', '\\']);
        for decode in [false, true] {
            if decode && !needs_decoding {
                continue;
            }
            let sk = Skeleton::new(text, decode);
            if cut {
                let from = sk.bytes.len().saturating_sub(longest.saturating_sub(1));
                if let Some(&(start, _)) = sk.spans.get(from) {
                    safe_end = safe_end.min(start);
                }
            }
            for pattern in &self.patterns {
                for finder in &pattern.finders {
                    let len = finder.needle().len();
                    for at in finder.find_iter(&sk.bytes) {
                        let start = sk.spans[at].0;
                        let end = sk.spans[at + len - 1].1;
                        if !pattern.whole_word || stands_alone(text, start, end) {
                            ranges.push((start, end));
                        }
                    }
                }
            }
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        (merged, safe_end)
    }
}

/// Whether `text[start..end]` is a word of its own: no letter or digit
/// touches it on either side.
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// At most `max` bytes of `text`, cut on a character boundary, and whether
/// anything was cut.
pub(crate) fn prefix(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.patterns.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubber_removes_secrets_and_bounds_excerpts() {
        let s = Scrubber::default().with("SECRETKEY123").with("ab");
        assert_eq!(
            s.scrub("bad key SECRETKEY123 and ab, not abc"),
            "bad key <redacted> and <redacted>, not abc"
        );
        let long = "x".repeat(1000);
        let e = s.excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn echoes_in_common_encodings_are_scrubbed() {
        let key = "wJalr/XUtnFEMI+K7MDENG";
        let s = Scrubber::default().with(format!("{key} "));
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("user:{key}"));
        let cases = [
            format!("raw {key} end"),
            format!("json {} end", key.replace('/', "\\/")),
            format!(
                "pct {} end",
                url::form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>()
            ),
            format!("upper {} end", key.to_uppercase()),
            format!("basic {b64} end"),
            format!("split {}\n{} end", &key[..9], &key[9..]),
            format!("json-split {}\\n{} end", &key[..5], &key[5..]),
            format!("unicode-escaped {}\\u002F{} end", &key[..5], &key[6..]),
        ];
        for text in &cases {
            let out = s.scrub(text);
            assert!(out.contains(REDACTED), "{text:?} -> {out:?}");
            assert!(
                !out.contains("XUtnFEMI") && !out.to_lowercase().contains("xutnfemi"),
                "{text:?} -> {out:?}"
            );
            assert!(out.ends_with(" end"), "{text:?} -> {out:?}");
        }
        assert_eq!(s.scrub(&cases[0]), "raw <redacted> end");
    }

    #[test]
    fn control_characters_are_escaped() {
        let s = Scrubber::default();
        assert_eq!(s.scrub("red \u{1b}[31mX\u{7}"), "red \\u{1b}[31mX\\u{7}");
        assert_eq!(s.scrub("a\u{202E}b"), "a\\u{202e}b");
        assert_eq!(s.scrub("行\n"), "行\\u{a}");
        // Format characters (Cf): invisible, so escaped too.
        assert_eq!(
            s.scrub("Com\u{200B}pleted dis\u{AD}k \u{FEFF}\u{E0041}"),
            "Com\\u{200b}pleted dis\\u{ad}k \\u{feff}\\u{e0041}"
        );
    }

    #[test]
    fn a_cut_text_drops_a_secret_it_may_have_cut() {
        let secret = "ABCDEFGHIJKLMNOP";
        let s = Scrubber::default().with(secret);
        let mut body = "y".repeat(64 * 1024 - 8).into_bytes();
        body.extend_from_slice(secret.as_bytes());
        let (head, cut) = prefix(std::str::from_utf8(&body).unwrap(), 64 * 1024);
        assert!(cut);
        let out = s.scrub_cut(head, true);
        assert!(!out.contains("ABCDEFGH"), "{}", &out[out.len() - 40..]);
        assert!(out.len() < head.len());
    }

    #[test]
    fn prefix_cuts_on_char_boundaries() {
        assert_eq!(prefix("ééé", 3), ("é", true));
        assert_eq!(prefix("ééé", 6), ("ééé", false));
    }

    mod fuzz {
        //! Arbitrary Unicode (every plane, controls, invalid UTF-8 bodies)
        //! through everything that takes server text. Run longer with
        //! `PROPTEST_CASES=100000 cargo test --lib redact::tests::fuzz`.

        use super::super::*;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                prop::collection::vec(any::<char>(), 0..200).prop_map(String::from_iter),
                "(?s).{0,100}(://|%|\\\\u|\\\\/|[?@#]).{0,100}",
            ]
        }

        proptest! {
            #[test]
            fn server_text_never_panics_and_never_keeps_a_control(
                text in text(),
                secret in prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter),
            ) {
                let s = Scrubber::default().with(&secret);
                let _ = redact_urls_in_text(&text);
                let out = s.scrub(&text);
                prop_assert!(!out.chars().any(needs_escape), "{:?}", out);
                let excerpt = s.excerpt(text.as_bytes());
                prop_assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
            }

            #[test]
            fn bodies_of_any_bytes_give_bounded_excerpts(
                body in prop::collection::vec(any::<u8>(), 0..2000),
            ) {
                let s = Scrubber::default().with("secret-of-some-length");
                let excerpt = s.excerpt(&body);
                prop_assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
                prop_assert!(!excerpt.chars().any(needs_escape));
            }

            #[test]
            fn a_secret_anywhere_in_any_text_is_gone(
                before in text(),
                after in text(),
                secret in "[A-Za-z0-9/+=_-]{8,40}",
                upper in any::<bool>(),
            ) {
                let echo = if upper { secret.to_uppercase() } else { secret.clone() };
                let text = format!("{before} {echo} {after}");
                let out = Scrubber::default().with(&secret).scrub(&text);
                prop_assert!(
                    !out.to_lowercase().contains(&secret.to_lowercase()),
                    "{:?} -> {:?}", text, out
                );
            }
        }
    }
}
