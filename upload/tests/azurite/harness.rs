//! The Azurite server the tests run against (started by `ci.sh`), its
//! containers, and how the recording connector (`common/recording.rs`)
//! names the uploader's requests: by Blob operation.

use std::collections::HashMap;
use std::process::Command;

use crate::recording::{self, Protocol};
use crate::server_tests::{self, fresh_name, run_helper, server_url};
use zilliz_import_upload::BucketDestination;
use zilliz_import_upload::object_store::ObjectStore;
use zilliz_import_upload::object_store::azure::MicrosoftAzureBuilder;
use zilliz_import_upload::object_store::client::HttpRequest;

/// Azurite's well-known development account (public, in its docs).
pub const ACCOUNT: &str = "devstoreaccount1";
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Azurite, as `ci.sh` started it.
pub struct Azurite {
    /// The account's endpoint, `http://127.0.0.1:PORT/devstoreaccount1`.
    pub url: String,
    node: String,
    container_js: String,
}

/// The running Azurite, or `None` (with a message) when there is none
/// and this is not CI. Under `CI=true` a missing Azurite fails the test:
/// no quiet skip.
pub fn azurite() -> Option<Azurite> {
    let url = server_url("ZI_AZURITE_URL", "Azurite", "upload/tests/azurite/ci.sh")?;
    Some(Azurite {
        url,
        node: std::env::var("ZI_AZURITE_NODE").expect("ZI_AZURITE_NODE"),
        container_js: std::env::var("ZI_AZURITE_CONTAINER_JS").expect("ZI_AZURITE_CONTAINER_JS"),
    })
}

impl Azurite {
    /// A new container of its own (tests run side by side on one Azurite;
    /// object_store makes no containers, container.js does).
    pub fn container(&self, test: &str) -> String {
        let name = fresh_name(test);
        run_helper(
            Command::new(&self.node).args([&self.container_js, &self.url, &name]),
            &format!("container.js {name}"),
        );
        name
    }

    /// `az://CONTAINER/PREFIX` at Azurite, with the account's key as the
    /// CLI would take it from `AZURE_STORAGE_ACCOUNT_*`.
    pub fn destination(&self, container: &str, prefix: &str) -> BucketDestination {
        let mut b = BucketDestination::parse(&format!("az://{container}/{prefix}")).unwrap();
        b.endpoint = Some(self.url.clone());
        b.with_setting("AZURE_STORAGE_ACCOUNT_NAME", ACCOUNT)
            .with_setting("AZURE_STORAGE_ACCOUNT_KEY", ACCOUNT_KEY)
    }

    fn store(&self, container: &str) -> impl ObjectStore {
        MicrosoftAzureBuilder::new()
            .with_account(ACCOUNT)
            .with_access_key(ACCOUNT_KEY)
            .with_endpoint(self.url.clone())
            .with_allow_http(true)
            .with_container_name(container)
            .build()
            .unwrap()
    }

    pub async fn read(&self, container: &str, key: &str) -> Vec<u8> {
        server_tests::read(&self.store(container), key).await
    }

    pub async fn keys(&self, container: &str) -> Vec<String> {
        server_tests::keys(&self.store(container)).await
    }
}

/// One request the uploader sent: its Blob operation and the blob's path.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `HEAD`, `PutBlob`, `PutBlock`, `PutBlockList`, `GET`, `DELETE`.
    pub op: &'static str,
    pub path: String,
    /// The block id of a `PutBlock`, decoded (as object_store names it,
    /// and the journal keeps it).
    pub block: Option<String>,
}

/// Azure Blob's requests, by the `comp` of the query; all go on to
/// Azurite.
#[derive(Clone, Default)]
pub struct Blob;

/// Counts the requests by Blob operation, then sends them on to Azurite.
pub type Recorder = recording::Recorder<Blob>;

impl Protocol for Blob {
    type Seen = Seen;

    fn seen(req: &HttpRequest) -> Seen {
        let query: HashMap<String, String> = (req.uri().query().unwrap_or_default().split('&'))
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let comp = query.get("comp").map(String::as_str);
        let op = match (req.method().as_str(), comp) {
            ("HEAD", _) => "HEAD",
            ("PUT", Some("block")) => "PutBlock",
            ("PUT", Some("blocklist")) => "PutBlockList",
            ("PUT", _) => "PutBlob",
            ("DELETE", _) => "DELETE",
            _ => "GET",
        };
        Seen {
            op,
            path: req.uri().path().to_owned(),
            block: query.get("blockid").map(|id| block_id(id)),
        }
    }

    fn op(seen: &Seen) -> &'static str {
        seen.op
    }
}

/// `blockid=...`: the URL-encoded base64 of object_store's id.
fn block_id(query_value: &str) -> String {
    use base64::Engine;
    let text = percent_encoding::percent_decode_str(query_value).decode_utf8_lossy();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .expect("a base64 block id");
    String::from_utf8(raw).expect("a text block id")
}
