//! Requests the caller builds, checked before anything is sent.
//!
//! [`CreateImportJob`] holds storage credentials, so it keeps them in secret
//! types and prints a placeholder in their place; a presigned URL prints
//! without its query string (the signature).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::{
    Error,
    generated::types,
    redact::{REDACTED, Scrubber, redact_url, url_secrets},
};

/// The most bytes an `Idempotency-Key` may have.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 256;

/// Which `Idempotency-Key` a create carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdempotencyKey {
    /// None: the create is retried only when the server cannot have started it.
    #[default]
    None,
    /// This key, on every attempt.
    Key(String),
    /// A fresh random key, made once per call and sent on every attempt.
    Generate,
}

/// A request to start an import: what to load, into which collection.
///
/// ```
/// use zilliz_import::CreateImportJob;
/// let job = CreateImportJob::new("in01-0123456789abcdef", "medium_articles", "s3://bucket/a.parquet")
///     .partition("p2024")
///     .storage_credentials("AKIAEXAMPLE", "wJalrEXAMPLEKEY")
///     .generate_idempotency_key();
/// assert!(format!("{job:?}").contains("secret_key: Some(\"<redacted>\")"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct CreateImportJob {
    cluster_id: String,
    collection_name: String,
    partition_name: Option<String>,
    db_name: Option<String>,
    object_url: Option<String>,
    object_urls: Option<Vec<Vec<String>>>,
    access_key: Option<String>,
    secret_key: Option<SecretString>,
    token: Option<SecretString>,
    idempotency_key: IdempotencyKey,
}

impl CreateImportJob {
    /// Import the file (or folder) at `object_url` into `collection_name`.
    pub fn new(
        cluster_id: impl Into<String>,
        collection_name: impl Into<String>,
        object_url: impl Into<String>,
    ) -> Self {
        CreateImportJob {
            object_url: Some(object_url.into()),
            ..Self::empty(cluster_id.into(), collection_name.into())
        }
    }

    /// Import groups of files (`objectUrls`: one inner list per file group),
    /// which later docs prefer over a single `objectUrl`.
    pub fn with_object_urls<G, U>(
        cluster_id: impl Into<String>,
        collection_name: impl Into<String>,
        groups: G,
    ) -> Self
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = U>,
        U: Into<String>,
    {
        Self::empty(cluster_id.into(), collection_name.into()).object_urls(groups)
    }

    fn empty(cluster_id: String, collection_name: String) -> Self {
        CreateImportJob {
            cluster_id,
            collection_name,
            partition_name: None,
            db_name: None,
            object_url: None,
            object_urls: None,
            access_key: None,
            secret_key: None,
            token: None,
            idempotency_key: IdempotencyKey::None,
        }
    }

    /// The target partition.
    pub fn partition(mut self, name: impl Into<String>) -> Self {
        self.partition_name = Some(name.into());
        self
    }

    /// The database of the target collection (`dbName`).
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.db_name = Some(name.into());
        self
    }

    /// Sets `objectUrl`. Exactly one of `objectUrl` and `objectUrls` must be set.
    pub fn object_url(mut self, url: impl Into<String>) -> Self {
        self.object_url = Some(url.into());
        self
    }

    /// Sets `objectUrls`. Exactly one of `objectUrl` and `objectUrls` must be set.
    pub fn object_urls<G, U>(mut self, groups: G) -> Self
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = U>,
        U: Into<String>,
    {
        self.object_urls = Some(
            groups
                .into_iter()
                .map(|g| g.into_iter().map(Into::into).collect())
                .collect(),
        );
        self
    }

    /// The object store's access key and secret key; they go together.
    pub fn storage_credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.access_key = Some(access_key.into());
        self.secret_key = Some(SecretString::from(secret_key.into()));
        self
    }

    /// Only the access key. Prefer [`storage_credentials`](Self::storage_credentials);
    /// this exists for callers that read the two from different places.
    pub fn access_key(mut self, access_key: impl Into<String>) -> Self {
        self.access_key = Some(access_key.into());
        self
    }

    /// Only the secret key; see [`access_key`](Self::access_key).
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(SecretString::from(secret_key.into()));
        self
    }

    /// The session token of temporary storage credentials (`token`).
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// Send this `Idempotency-Key` on every attempt, which makes the create
    /// safe to retry after a timeout or a 5xx, **if the server honours the
    /// header** (open-source Milvus 2.6.24+ does; a server that does not know
    /// it ignores it, and a retry could then start a second import).
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = IdempotencyKey::Key(key.into());
        self
    }

    /// Like [`idempotency_key`](Self::idempotency_key) with a random key made
    /// once for this call; read it back from [`crate::CreatedImportJob::idempotency_key`].
    pub fn generate_idempotency_key(mut self) -> Self {
        self.idempotency_key = IdempotencyKey::Generate;
        self
    }

    /// The target cluster.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// The target collection.
    pub fn collection_name(&self) -> &str {
        &self.collection_name
    }

    /// Checks every rule the API states, so a bad request is refused with a
    /// message naming the field instead of being sent.
    pub fn validate(&self) -> Result<(), Error> {
        not_blank("clusterId", &self.cluster_id)?;
        not_blank("collectionName", &self.collection_name)?;
        if let Some(p) = &self.partition_name {
            not_blank("partitionName", p)?;
        }
        if let Some(d) = &self.db_name {
            not_blank("dbName", d)?;
        }
        match (&self.object_url, &self.object_urls) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "objectUrl",
                    "objectUrl and objectUrls are both set; send exactly one",
                ));
            }
            (None, None) => {
                return Err(Error::invalid(
                    "objectUrl",
                    "no data source: set objectUrl or objectUrls",
                ));
            }
            (Some(url), None) => check_object_url("objectUrl", url)?,
            (None, Some(groups)) => {
                if groups.is_empty() || groups.iter().any(Vec::is_empty) {
                    return Err(Error::invalid(
                        "objectUrls",
                        "needs at least one group, and every group at least one URL",
                    ));
                }
                for url in groups.iter().flatten() {
                    check_object_url("objectUrls", url)?;
                }
            }
        }
        let has_secret = self
            .secret_key
            .as_ref()
            .is_some_and(|s| !s.expose_secret().is_empty());
        match (
            self.access_key.as_deref().filter(|a| !a.is_empty()),
            has_secret,
        ) {
            (Some(_), false) => {
                return Err(Error::invalid(
                    "secretKey",
                    "an access key was given without a secret key; they go together",
                ));
            }
            (None, true) => {
                return Err(Error::invalid(
                    "accessKey",
                    "a secret key was given without an access key; they go together",
                ));
            }
            _ => {}
        }
        if self.session_token_value().is_some() && !has_secret {
            return Err(Error::invalid(
                "token",
                "a session token needs the access key and secret key it belongs to",
            ));
        }
        if let IdempotencyKey::Key(key) = &self.idempotency_key {
            check_idempotency_key(key)?;
        }
        Ok(())
    }

    /// The session token, when one is set and not empty (empty means unset,
    /// as for every optional string of this API).
    fn session_token_value(&self) -> Option<&str> {
        self.token
            .as_ref()
            .map(|t| t.expose_secret())
            .filter(|t| !t.is_empty())
    }

    /// The key to send on every attempt of this call, made now if asked for.
    pub(crate) fn resolve_idempotency_key(&self) -> Option<String> {
        match &self.idempotency_key {
            IdempotencyKey::None => None,
            IdempotencyKey::Key(k) => Some(k.clone()),
            IdempotencyKey::Generate => Some(uuid::Uuid::new_v4().to_string()),
        }
    }

    /// The secrets this request carries, for scrubbing server text.
    pub(crate) fn scrubber(&self, base: Scrubber) -> Scrubber {
        let urls = self
            .object_url
            .iter()
            .chain(self.object_urls.iter().flatten().flatten());
        let mut s = base;
        for secret in urls.flat_map(|u| url_secrets(u)) {
            s = s.with(secret);
        }
        for secret in self.secret_key.iter().chain(&self.token) {
            s = s.with(secret.expose_secret());
        }
        s
    }

    /// The generated body. Built through the generated builder, so a field
    /// added to `openapi.yaml` does not break this code.
    pub(crate) fn to_body(&self) -> Result<types::CreateImportJobRequest, Error> {
        let mut b = types::CreateImportJobRequest::builder()
            .cluster_id(self.cluster_id.clone())
            .collection_name(self.collection_name.clone())
            .partition_name(self.partition_name.clone())
            .db_name(self.db_name.clone())
            .object_url(self.object_url.clone())
            .object_urls(self.object_urls.clone().unwrap_or_default());
        if let (Some(ak), Some(sk)) = (&self.access_key, &self.secret_key)
            && !ak.is_empty()
        {
            b = b
                .access_key(Some(ak.clone()))
                .secret_key(Some(sk.expose_secret().to_owned()));
        }
        if let Some(token) = self.session_token_value() {
            b = b.token(Some(token.to_owned()));
        }
        b.try_into()
            .map_err(|e: types::error::ConversionError| Error::invalid("body", e.to_string()))
    }
}

impl fmt::Debug for CreateImportJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<SecretString>| s.as_ref().map(|_| REDACTED);
        f.debug_struct("CreateImportJob")
            .field("cluster_id", &self.cluster_id)
            .field("collection_name", &self.collection_name)
            .field("partition_name", &self.partition_name)
            .field("db_name", &self.db_name)
            .field("object_url", &self.object_url.as_deref().map(redact_url))
            .field(
                "object_urls",
                &self.object_urls.as_ref().map(|groups| {
                    groups
                        .iter()
                        .map(|g| g.iter().map(|u| redact_url(u)).collect::<Vec<_>>())
                        .collect::<Vec<_>>()
                }),
            )
            .field("access_key", &self.access_key)
            .field("secret_key", &redacted(&self.secret_key))
            .field("token", &redacted(&self.token))
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

/// The most pages [`crate::Client::list_all_import_jobs`] walks unless told
/// otherwise: 1,000 pages (100,000 jobs at 100 a page).
pub const DEFAULT_MAX_PAGES: u32 = 1000;

/// Which page of a cluster's import jobs to list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ListImportJobs {
    pub(crate) cluster_id: String,
    pub(crate) db_name: Option<String>,
    pub(crate) page_size: u32,
    pub(crate) page: u32,
    pub(crate) max_pages: u32,
}

impl ListImportJobs {
    /// The first page of 10 jobs.
    pub fn new(cluster_id: impl Into<String>) -> Self {
        ListImportJobs {
            cluster_id: cluster_id.into(),
            db_name: None,
            page_size: 10,
            page: 1,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// Jobs per page, 1 to 100.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The page, from 1.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// The most pages a walk ([`crate::Client::list_all_import_jobs`]) may
    /// take (default [`DEFAULT_MAX_PAGES`], at least 1); past it the walk
    /// ends with [`crate::WalkError::PageLimitReached`].
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Only jobs in this database.
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.db_name = Some(name.into());
        self
    }

    /// Checks the ranges the API enforces (codes 96008 and 96009).
    pub fn validate(&self) -> Result<(), Error> {
        not_blank("clusterId", &self.cluster_id)?;
        if !(1..=100).contains(&self.page_size) {
            return Err(Error::invalid(
                "pageSize",
                format!("{} is outside 1..=100", self.page_size),
            ));
        }
        if self.page < 1 {
            return Err(Error::invalid("currentPage", "pages count from 1"));
        }
        Ok(())
    }

    pub(crate) fn to_body(&self) -> Result<types::ListImportJobsRequest, Error> {
        types::ListImportJobsRequest::builder()
            .cluster_id(self.cluster_id.clone())
            .db_name(self.db_name.clone())
            .page_size(std::num::NonZeroU32::new(self.page_size))
            .current_page(std::num::NonZeroU32::new(self.page))
            .try_into()
            .map_err(|e: types::error::ConversionError| Error::invalid("body", e.to_string()))
    }
}

pub(crate) fn not_blank(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        Err(Error::invalid(field, "must not be empty"))
    } else {
        Ok(())
    }
}

fn check_object_url(field: &'static str, raw: &str) -> Result<(), Error> {
    let url = url::Url::parse(raw)
        .map_err(|e| Error::invalid(field, format!("`{}` is not a URL: {e}", redact_url(raw))))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid(
            field,
            format!("`{}` names no bucket or host", redact_url(raw)),
        ));
    }
    Ok(())
}

fn check_idempotency_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(Error::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} bytes"),
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(Error::invalid("Idempotency-Key", "must be printable ASCII"));
    }
    if key.trim() != key {
        // HTTP trims header values: the server would see another key.
        return Err(Error::invalid(
            "Idempotency-Key",
            "must not start or end with a space",
        ));
    }
    Ok(())
}
