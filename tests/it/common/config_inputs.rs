//! The inputs the configuration is fuzzed with (`fuzz_config`, in the
//! library's tests and the CLI's): base URLs and TLS PEMs carrying a canary
//! password where a password or a token goes, surrounded by arbitrary
//! Unicode and the characters that break URL and PEM parsers, each with the
//! outcome its shape calls for.

use proptest::prelude::*;

/// Made of characters valid in a URL's user-info and in base64, so a
/// message that quoted an input line would show it whole.
pub const CANARY: &str = "CANARYxPASSWORDx7e2b";

/// Up to `max` characters: any Unicode scalar, or one of those that break
/// parsers, with the characters in `without` left out.
pub fn junk(max: usize, without: &'static str) -> BoxedStrategy<String> {
    const BREAKERS: &[char] = &[
        '#', '?', '/', '\\', '@', ':', '%', '[', ']', ' ', '\t', '\n', '\r', '\u{0}', '\u{1b}',
        '\u{200B}', '\u{AD}', '\u{202E}', '＠', 'é', '界',
    ];
    prop::collection::vec(
        prop_oneof![any::<char>(), prop::sample::select(BREAKERS)],
        0..=max,
    )
    .prop_map(move |chars| {
        chars
            .into_iter()
            .filter(|c| !without.contains(*c))
            .collect()
    })
    .boxed()
}

/// What may stand before the user-info: a scheme as typed, right or wrong,
/// or none (`user:password@host`, the slip with Milvus tokens).
fn scheme() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        "https://",
        "http://",
        "HTTPS://",
        "https:/",
        "https:",
        "http:\\\\",
        "ftp://",
        "s3://",
        "https:///",
    ])
}

/// A base URL and whether it must be refused.
#[derive(Debug, Clone)]
pub struct BaseUrl {
    pub text: String,
    pub refused: bool,
}

/// Base URLs carrying the canary where a secret goes.
pub fn secret_base_url() -> impl Strategy<Value = BaseUrl> {
    let no_slash = || junk(8, "/\\@");
    let anything = || junk(12, "");
    prop_oneof![
        // A password, possibly holding `#`, `?`, `:`, white space.
        (
            scheme(),
            no_slash(),
            no_slash(),
            no_slash(),
            anything(),
            anything()
        )
            .prop_map(|(s, user, before, after, host, tail)| BaseUrl {
                text: format!("{s}{user}:{before}{CANARY}{after}@{host}{tail}"),
                refused: true,
            }),
        // A token as the user name.
        (scheme(), no_slash(), no_slash(), anything(), anything()).prop_map(
            |(s, before, after, host, tail)| BaseUrl {
                text: format!("{s}{before}{CANARY}{after}@{host}{tail}"),
                refused: true,
            }
        ),
        // A query or a fragment.
        (
            scheme(),
            junk(12, "?#"),
            prop::sample::select(vec!['?', '#']),
            anything(),
            anything(),
        )
            .prop_map(|(s, location, mark, before, after)| BaseUrl {
                text: format!("{s}{location}{mark}{before}{CANARY}{after}"),
                refused: true,
            }),
        // User-info with a `/` or `\` in it: a parser may read a path
        // there, and take the URL; if it refuses it, the canary is hidden.
        (scheme(), junk(8, "@"), junk(8, "@"), anything()).prop_map(|(s, before, after, rest)| {
            BaseUrl {
                text: format!("{s}{before}{CANARY}{after}@{rest}"),
                refused: false,
            }
        }),
    ]
}

pub fn leaks(text: &str) -> bool {
    text.contains(CANARY)
}

/// A self-signed certificate and its key, made once.
pub fn identity() -> &'static (String, String) {
    static IDENTITY: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    IDENTITY.get_or_init(|| {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        (made.cert.pem(), made.signing_key.serialize_pem())
    })
}

/// A PEM with the canary in it, and whether it must be refused. `valid`
/// is a good PEM of the kind asked for; `label` its section's name.
pub fn pem_with_canary(valid: &'static str, label: &'static str) -> BoxedStrategy<(Vec<u8>, bool)> {
    let base64 = || "[A-Za-z0-9+/=\n]{0,80}";
    prop_oneof![
        // Arbitrary bytes around the canary.
        (
            prop::collection::vec(any::<u8>(), 0..120),
            prop::collection::vec(any::<u8>(), 0..120)
        )
            .prop_map(|(a, b)| ([a, CANARY.into(), b].concat(), true)),
        // A section of the right kind whose body holds the canary.
        (base64(), base64()).prop_map(move |(a, b)| (
            format!("-----BEGIN {label}-----\n{a}{CANARY}{b}\n-----END {label}-----\n").into(),
            true
        )),
        // The canary as a section's label, or a section without its end.
        (base64(), junk(40, "")).prop_map(move |(body, rest)| (
            format!(
                "-----BEGIN {CANARY}-----\n{body}\n-----END {CANARY}-----\n\
                 -----BEGIN {label}-----\n{CANARY}{rest}"
            )
            .into(),
            true
        )),
        // The good PEM with a line of the canary inside its body.
        (1usize..20).prop_map(move |line| {
            let mut lines: Vec<&str> = valid.lines().collect();
            let at = line.min(lines.len() - 2).max(1);
            lines.insert(at, CANARY);
            (lines.join("\n").into(), true)
        }),
        // The good PEM with the canary outside any section: taken.
        junk(40, "-").prop_map(move |around| (
            format!("{around} {CANARY}\n{valid}{CANARY} {around}\n").into(),
            false
        )),
    ]
    .boxed()
}
