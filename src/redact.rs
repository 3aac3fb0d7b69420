//! Keeping secrets out of everything a person or a log can read.
//!
//! Debug output shows [`REDACTED`] in place of a secret. Text that comes back
//! from the server (messages, body excerpts, every string of a describe or
//! list answer, the request id header) goes through a [`Scrubber`] before it
//! is stored anywhere a person or a log can read it, because a server may
//! echo a request back: the scrubber removes the secrets the call carried in
//! the encodings an echo is likely to use (as they are, in any ASCII case,
//! split by white space or invisible format characters, in fullwidth
//! letters, percent-, JSON-, `\x`- or octal-escaped, and in base64, base32,
//! hex and UTF-16 hex: see `forms`), redacts the user-info and query of any
//! URL (see `urls`), and escapes control and format characters so server
//! text can neither drive a terminal nor hide what it says.
//!
//! What the crate decides on server text (a state, an abort) is read from
//! the text as the server sent it, before any of this: scrubbing is for
//! display only.
//!
//! Nothing here slices text at a byte offset that was not found on a
//! character boundary: server text is arbitrary Unicode.

mod credential_keys;
mod format_chars;
mod forms;
mod urls;

use std::sync::Arc;

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
            out.extend(c.escape_unicode());
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
    /// The bytes of `raw` as [`Scrubber::is_clean_token`] hashes them
    /// (bit `b % 64`); `None` when one is no byte of a plain id.
    plain_bits: Option<u64>,
}

impl Pattern {
    fn new(secret: &str) -> Option<Pattern> {
        // Read as text is read, so that what the skeleton leaves out of
        // text (white space, format characters) is left out of the secret.
        let raw = Skeleton::new(secret, false).bytes;
        if raw.is_empty() {
            return None;
        }
        let whole_word = raw.len() < SHORT_SECRET_BYTES;
        let mut forms = vec![raw.clone()];
        if !whole_word {
            forms.extend(forms::encoded_forms(secret, SHORT_SECRET_BYTES));
        }
        forms.sort();
        forms.dedup();
        Some(Pattern {
            finders: forms
                .iter()
                .map(|f| Finder::new(f.as_slice()).into_owned())
                .collect(),
            plain_bits: raw.iter().try_fold(0u64, |bits, &b| {
                (PLAIN[usize::from(b)] == b).then(|| bits | 1 << (b % 64))
            }),
            raw,
            whole_word,
        })
    }
}

/// Text reduced for matching, with where each byte came from: ASCII
/// lower-cased, fullwidth letters and digits read as ASCII, white space,
/// format characters (a zero-width space, a soft hyphen) and the escapes
/// `\n`, `\r`, `\t` left out, so a secret split over lines or broken up by
/// invisible characters still matches; with `decode`, also the escapes that
/// stand for one byte or character read as what they stand for: `%XX`,
/// JSON's `\/`, `\"`, `\\` and `\uXXXX`, and `\xXX` and octal `\NNN`.
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
                sk.push_char(c, (i, i + len));
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
            if decode && let Some(used) = sk.push_escape(src, i) {
                i += used;
                continue;
            }
            sk.push(b.to_ascii_lowercase(), (i, i + 1));
            i += 1;
        }
        sk
    }

    /// The escape at `src[i]` that stands for one byte or character, pushed
    /// as what it stands for; how many bytes it takes, or `None` where there
    /// is none (nothing is pushed then).
    fn push_escape(&mut self, src: &[u8], i: usize) -> Option<usize> {
        let digits = |at: usize, n: usize, radix: u32| -> Option<u32> {
            let text = std::str::from_utf8(src.get(at..at + n)?).ok()?;
            if !text.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            u32::from_str_radix(text, radix).ok()
        };
        let (byte, used) = match (src[i], src.get(i + 1).copied()?) {
            (b'%', _) => (digits(i + 1, 2, 16)?, 3),
            (b'\\', c @ (b'/' | b'"' | b'\\')) => (u32::from(c), 2),
            (b'\\', b'u') => {
                self.push_char(char::from_u32(digits(i + 2, 4, 16)?)?, (i, i + 6));
                return Some(6);
            }
            (b'\\', b'x') => (digits(i + 2, 2, 16)?, 4),
            // `\NNN` up to `\377`: one byte, as C and Python write it.
            (b'\\', b'0'..=b'3') => (digits(i + 1, 3, 8)?, 4),
            _ => return None,
        };
        let byte = u8::try_from(byte).ok()?;
        if !byte.is_ascii_whitespace() {
            self.push(byte.to_ascii_lowercase(), (i, i + used));
        }
        Some(used)
    }

    fn push(&mut self, byte: u8, span: (usize, usize)) {
        self.bytes.push(byte);
        self.spans.push(span);
    }

    /// A character as matching reads it: nothing for white space and format
    /// characters, the ASCII twin of a fullwidth form (U+FF01 to U+FF5E),
    /// ASCII lower-cased.
    fn push_char(&mut self, c: char, span: (usize, usize)) {
        if c.is_whitespace() || format_chars::is_format(c) {
            return;
        }
        let c = match u32::from(c) {
            fullwidth @ 0xFF01..=0xFF5E => char::from_u32(fullwidth - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        let mut buf = [0u8; 4];
        for &b in c.to_ascii_lowercase().encode_utf8(&mut buf).as_bytes() {
            self.push(b, span);
        }
    }
}

/// Removes known secret values from text that comes from elsewhere, along
/// with URL queries and control characters (see the module's docs).
/// Cheap to clone: patterns are shared.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    patterns: Vec<Arc<Pattern>>,
    /// Secrets learned from answers (a volume's temporary credentials),
    /// the newest last, at most [`MAX_LEARNED`].
    learned: Vec<Arc<Pattern>>,
}

/// The most learned secrets a scrubber keeps: the credentials of the last
/// eight applies. Older ones have expired; the bound keeps a long upload,
/// which applies again every hour, from slowing every scrub.
const MAX_LEARNED: usize = 24;

/// The bytes of a plain id (ASCII letters and digits, `-`, `_`, `.`, `:`),
/// each as its lower case; 0 for any other byte.
const PLAIN: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':') {
            table[i] = b.to_ascii_lowercase();
        }
        i += 1;
    }
    table
};

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

    /// Adds a secret an answer handed out (see [`MAX_LEARNED`]); the
    /// secrets the scrubber was built with stay whatever it learns.
    pub(crate) fn learn(mut self, secret: &str) -> Self {
        if let Some(p) = Pattern::new(secret.trim())
            && !self
                .patterns
                .iter()
                .chain(&self.learned)
                .any(|q| q.raw == p.raw)
        {
            if self.learned.len() == MAX_LEARNED {
                self.learned.remove(0);
            }
            self.learned.push(Arc::new(p));
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
        // Up to where `text` is copied or redacted, and whether by a redaction.
        let (mut pos, mut redacted) = (0, false);
        for (start, end) in ranges {
            if start >= safe_end {
                break;
            }
            // A range that overlaps or touches the last one extends it.
            if start > pos || !redacted {
                out.push_str(&text[pos..start]);
                out.push_str(REDACTED);
                redacted = true;
            }
            pos = pos.max(end);
        }
        if pos < safe_end {
            out.push_str(&text[pos..safe_end]);
        }
        escape_controls(&out)
    }

    /// Whether `text` holds a known secret, in any form the scrubber reads.
    pub(crate) fn finds_secret(&self, text: &str) -> bool {
        !self.find(text, false).0.is_empty()
    }

    /// An id from a successful answer, fit to keep: a plain token (see
    /// [`is_clean_token`](Self::is_clean_token)) that holds no secret as given is kept as sent, at the
    /// cost of a few comparisons; anything else is scrubbed. Scrubbing every
    /// id cost about 10,000 instructions per create (a tenth of the call),
    /// spent against an echo that a plain token cannot hide in: it has no
    /// query, no escapes, no control or invisible characters.
    pub(crate) fn id(&self, id: &str) -> String {
        if self.is_clean_token(id) {
            id.to_owned()
        } else {
            self.scrub(id)
        }
    }

    /// Whether `id` is a plain token that holds no secret as given: a few
    /// comparisons on the stack, no scrub. Plain: at most 128 ASCII letters,
    /// digits, `-`, `_`, `.` and `:`, the shape of every id the services
    /// hand out.
    pub(crate) fn is_clean_token(&self, id: &str) -> bool {
        let mut lower = [0u8; 128];
        let Some(lower) = lower.get_mut(..id.len()) else {
            return false;
        };
        // The id lower-cased, and which bytes it holds (hashed to 64 bits):
        // a secret longer than the id, or with a byte it lacks, cannot be in
        // it, and is not searched for.
        let mut held = 0u64;
        for (to, &b) in lower.iter_mut().zip(id.as_bytes()) {
            let l = PLAIN[usize::from(b)];
            if l == 0 {
                return false;
            }
            *to = l;
            held |= 1 << (l % 64);
        }
        let holds = |p: &Arc<Pattern>| {
            p.raw.len() <= lower.len()
                && p.plain_bits.is_some_and(|bits| bits & !held == 0)
                && memchr::memmem::find(lower, &p.raw).is_some()
        };
        !self.patterns.iter().chain(&self.learned).any(holds)
    }

    /// The byte ranges of `text` that hold a secret, sorted, and
    /// where the text stops being provably free of a secret's start.
    fn find(&self, text: &str, cut: bool) -> (Vec<(usize, usize)>, usize) {
        // A temporary credential by its key, whether or not it is known.
        let mut ranges = credential_keys::credential_values(text);
        let mut safe_end = text.len();
        let patterns = || self.patterns.iter().chain(&self.learned);
        if patterns().next().is_none() {
            ranges.sort_unstable();
            return (ranges, safe_end);
        }
        // The longest form, in normalised bytes.
        let longest = patterns().flat_map(|p| &p.finders);
        let longest = longest.map(|f| f.needle().len()).max().unwrap_or(0);
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
            for pattern in patterns() {
                for finder in &pattern.finders {
                    let len = finder.needle().len();
                    // Most server strings (ids, states, times) are shorter
                    // than most forms: those cost nothing then.
                    if len > sk.bytes.len() {
                        continue;
                    }
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
        (ranges, safe_end)
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

#[cfg(test)]
mod tests;
