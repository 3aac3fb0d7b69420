//! Strategies for what a caller puts in a `CreateImportJob`, and what the
//! documented rules make of it: the fields they refuse (any of which a
//! refusal may name, since the rules set no order among them), or the exact
//! JSON body on the wire. Each idempotency key is made with its verdict;
//! URLs are judged by a URL parser (a bucket is a host), names by Unicode's
//! white space.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use zilliz_import::CreateImportJob;

/// The formats whose files take a group each (the reference: "A file group
/// holds one file for JSON, JSONL, Parquet and CSV"); only a NumPy group
/// holds several files.
const ONE_FILE_FORMATS: [&str; 4] = ["json", "jsonl", "parquet", "csv"];

/// A string from the kinds of text a caller might pass, blank ones included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => prop_oneof![Just(" "), Just("\t\n"), Just("\u{3000}")].prop_map(str::to_owned),
        4 => "[a-zA-Z0-9_-]{1,16}",
        2 => "\\PC{0,16}",
        1 => "[ ]{1,2}[a-z]{1,4}[ ]{1,2}",
    ]
}

/// The documented rule for an object URL: it parses and names a host (the
/// bucket).
fn url_is_valid(s: &str) -> bool {
    url::Url::parse(s)
        .ok()
        .and_then(|u| u.host_str().map(|h| !h.is_empty()))
        .unwrap_or(false)
}

/// Whether `url` names a file of a format that takes a group of its own:
/// the last segment of its path is a name with one of
/// [`ONE_FILE_FORMATS`] as its extension, in any case.
fn names_a_one_file_format(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    let name = url.path().rsplit('/').next().unwrap_or_default();
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && ONE_FILE_FORMATS.iter().any(|f| ext.eq_ignore_ascii_case(f))
    })
}

fn object_url() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "s3://[a-z][a-z0-9-]{2,10}/[a-z]{1,8}\\.(json|parquet|npy)",
        1 => "https://[a-z]{1,8}\\.example\\.com/[a-z]{1,8}\\.parquet\\?X-Amz-Signature=[a-f0-9]{8}",
        1 => prop_oneof![
            Just(""),
            Just("not a url"),
            Just("s3:///no-bucket"),
            Just("file:///etc/passwd"),
            Just("/relative/k.json"),
            Just("http://"),
            Just("s3:bucket/key"),
        ]
        .prop_map(str::to_owned),
        1 => "\\PC{0,24}",
    ]
}

#[derive(Debug, Clone)]
pub enum Source {
    Url(String),
    Urls(Vec<Vec<String>>),
    Neither,
}

fn groups() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(prop::collection::vec(object_url(), 0..3), 0..3)
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        4 => object_url().prop_map(Source::Url),
        3 => groups().prop_map(Source::Urls),
        1 => Just(Source::Neither),
    ]
}

/// Whether groups of object URLs break a rule: none at all, an empty
/// group, a one-file format in a group of several, or a URL that is not one.
fn groups_broken(groups: &[Vec<String>]) -> bool {
    groups.is_empty()
        || groups.iter().any(Vec::is_empty)
        || groups
            .iter()
            .any(|g| g.len() > 1 && g.iter().any(|u| names_a_one_file_format(u)))
        || !groups.iter().flatten().all(|u| url_is_valid(u))
}

#[derive(Debug, Clone)]
pub enum Key {
    None,
    Generate,
    /// A key, and whether the rules take it: printable ASCII, at most 256
    /// bytes (the reference), and no space at either end, which HTTP would
    /// trim off, so the server would see another key.
    Fixed {
        key: String,
        valid: bool,
    },
}

fn key() -> impl Strategy<Value = Key> {
    let valid = |key| Key::Fixed { key, valid: true };
    let refused = |key| Key::Fixed { key, valid: false };
    prop_oneof![
        2 => Just(Key::None),
        1 => Just(Key::Generate),
        3 => prop_oneof![
            3 => "[!-~]{1,40}".prop_map(valid),
            2 => "[!-~][ -~]{0,60}[!-~]".prop_map(valid),
            1 => "[!-~]{256}".prop_map(valid),
            1 => "[!-~]{257,300}".prop_map(refused),
            1 => Just(String::new()).prop_map(refused),
            1 => "[!-~]{0,5}[\\t\\x7f\\u{e9}\\u{20ac}][!-~]{0,5}".prop_map(refused),
            1 => "[ ]{1,3}[!-~]{0,8}".prop_map(refused),
            1 => "[!-~]{0,8}[ ]{1,3}".prop_map(refused),
        ],
    ]
}

#[derive(Debug, Clone)]
pub struct Input {
    cluster_id: String,
    collection: String,
    source: Source,
    partition: Option<String>,
    db: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    token: Option<String>,
    pub key: Key,
}

/// A non-blank name, now and then padded or outside ASCII.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9_-]{1,16}",
        1 => "[ ]?[a-z]{1,4}[ ]?",
        1 => "\\PC{1,16}".prop_filter("not blank", |s| !s.trim().is_empty()),
    ]
}

fn valid_url() -> impl Strategy<Value = String> {
    prop_oneof![
        "s3://[a-z][a-z0-9-]{2,10}/[a-z]{1,8}\\.(json|parquet|npy)",
        "https://[a-z]{1,8}\\.example\\.com/[a-z]{1,8}\\.parquet\\?X-Amz-Signature=[a-f0-9]{8}",
    ]
}

type Credentials = (Option<String>, Option<String>, Option<String>);

fn wild_credentials() -> impl Strategy<Value = Credentials> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
}

fn credentials() -> impl Strategy<Value = Credentials> {
    prop_oneof![
        3 => Just((None, None, None)),
        2 => (name(), "\\PC{1,24}").prop_map(|(a, s)| (Some(a), Some(s), None)),
        1 => (name(), "\\PC{1,24}", "\\PC{0,24}").prop_map(|(a, s, t)| (Some(a), Some(s), Some(t))),
        2 => wild_credentials(),
    ]
}

fn wild_input() -> impl Strategy<Value = Input> {
    (
        text(),
        text(),
        source(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        wild_credentials(),
        key(),
    )
        .prop_map(Input::from_parts)
}

/// Inputs a caller would plausibly write, so that most pass validation and
/// the wire body gets checked often.
fn plausible_input() -> impl Strategy<Value = Input> {
    (
        name(),
        name(),
        prop_oneof![
            3 => valid_url().prop_map(Source::Url),
            2 => prop::collection::vec(prop::collection::vec(valid_url(), 1..3), 1..3)
                .prop_map(Source::Urls),
            1 => source(),
        ],
        proptest::option::of(name()),
        proptest::option::of(name()),
        credentials(),
        key(),
    )
        .prop_map(Input::from_parts)
}

pub fn input() -> impl Strategy<Value = Input> {
    prop_oneof![1 => wild_input(), 2 => plausible_input()]
}

impl Input {
    fn from_parts(
        (cluster_id, collection, source, partition, db, (access_key, secret_key, token), key): (
            String,
            String,
            Source,
            Option<String>,
            Option<String>,
            Credentials,
            Key,
        ),
    ) -> Input {
        Input {
            cluster_id,
            collection,
            source,
            partition,
            db,
            access_key,
            secret_key,
            token,
            key,
        }
    }

    pub fn build(&self) -> CreateImportJob {
        let mut job = match &self.source {
            Source::Url(u) => CreateImportJob::new(&self.cluster_id, &self.collection, u),
            Source::Urls(g) => {
                CreateImportJob::with_object_urls(&self.cluster_id, &self.collection, g.clone())
            }
            Source::Neither => CreateImportJob::with_object_urls(
                &self.cluster_id,
                &self.collection,
                Vec::<Vec<String>>::new(),
            ),
        };
        if let Some(p) = &self.partition {
            job = job.partition(p);
        }
        if let Some(d) = &self.db {
            job = job.database(d);
        }
        if let Some(a) = &self.access_key {
            job = job.access_key(a);
        }
        if let Some(s) = &self.secret_key {
            job = job.secret_key(s);
        }
        if let Some(t) = &self.token {
            job = job.session_token(t);
        }
        match &self.key {
            Key::None => job,
            Key::Generate => job.generate_idempotency_key(),
            Key::Fixed { key, .. } => job.idempotency_key(key),
        }
    }

    /// Every field a documented rule refuses; a refusal names one of them,
    /// and none means the request is sent. Blank names are refused, a
    /// source must be one of a URL or URL groups and sound, storage
    /// credentials go in pairs (an empty string counts as none) and a
    /// session token with them.
    pub fn refused_fields(&self) -> Vec<&'static str> {
        let blank = |s: &str| s.trim().is_empty();
        let set = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
        let mut refused = vec![];
        let mut refuse = |broken: bool, field| {
            if broken {
                refused.push(field);
            }
        };
        refuse(blank(&self.cluster_id), "clusterId");
        refuse(blank(&self.collection), "collectionName");
        refuse(
            self.partition.as_deref().is_some_and(blank),
            "partitionName",
        );
        refuse(self.db.as_deref().is_some_and(blank), "dbName");
        match &self.source {
            // `with_object_urls` with no groups: nothing to import from.
            Source::Neither => refuse(true, "objectUrls"),
            Source::Url(u) => refuse(!url_is_valid(u), "objectUrl"),
            Source::Urls(g) => refuse(groups_broken(g), "objectUrls"),
        }
        let (access, secret) = (set(&self.access_key), set(&self.secret_key));
        refuse(access && !secret, "secretKey");
        refuse(secret && !access, "accessKey");
        refuse(set(&self.token) && !secret, "token");
        if let Key::Fixed { valid, .. } = self.key {
            refuse(!valid, "Idempotency-Key");
        }
        refused
    }

    /// The JSON body a valid request must put on the wire: exactly the
    /// fields that were set.
    pub fn expected_body(&self) -> Value {
        let mut o = Map::new();
        o.insert("clusterId".into(), self.cluster_id.clone().into());
        o.insert("collectionName".into(), self.collection.clone().into());
        if let Some(p) = &self.partition {
            o.insert("partitionName".into(), p.clone().into());
        }
        if let Some(d) = &self.db {
            o.insert("dbName".into(), d.clone().into());
        }
        match &self.source {
            Source::Url(u) => {
                o.insert("objectUrl".into(), u.clone().into());
            }
            Source::Urls(g) => {
                o.insert("objectUrls".into(), json!(g));
            }
            _ => unreachable!("refused by validate"),
        }
        // Credentials go together; an empty access key (with an empty or no
        // secret) counts as none.
        if let Some(a) = self.access_key.as_deref().filter(|a| !a.is_empty()) {
            o.insert("accessKey".into(), a.into());
            o.insert("secretKey".into(), self.secret_key.clone().unwrap().into());
        }
        // An empty token counts as none.
        if let Some(t) = self.token.as_deref().filter(|t| !t.is_empty()) {
            o.insert("token".into(), t.into());
        }
        Value::Object(o)
    }

    /// Secrets distinctive enough to look for in printed text.
    pub fn secrets(&self) -> Vec<&str> {
        let others = [
            self.cluster_id.as_str(),
            self.collection.as_str(),
            self.partition.as_deref().unwrap_or(""),
            self.db.as_deref().unwrap_or(""),
            self.access_key.as_deref().unwrap_or(""),
        ];
        let urls = match &self.source {
            Source::Url(u) => vec![u.clone()],
            Source::Urls(g) => g.iter().flatten().cloned().collect(),
            Source::Neither => vec![],
        };
        [self.secret_key.as_deref(), self.token.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| s.len() >= 6)
            .filter(|s| !others.iter().any(|o| o.contains(s)))
            .filter(|s| !urls.iter().any(|u| u.contains(s)))
            .filter(|s| !"CreateImportJob <redacted> Some None".contains(s))
            .collect()
    }
}
