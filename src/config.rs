//! Building a [`Client`]: where it talks to, with which key, and how patiently.
//!
//! Everything that can be wrong with a configuration is caught here, before a
//! request exists: a missing key, a base URL that would send the bearer token
//! in clear over a network, a header that would override the auth.

use std::{fmt, num::NonZeroU32, sync::Arc, time::Duration};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretSlice, SecretString};

use crate::{
    Client,
    error::BuildError,
    generated,
    hooks::Pipeline,
    redact::{REDACTED, redact_url},
    retry::RetryPolicy,
    tls::{IdentityPem, TlsSettings, tls_config},
};

/// The global control plane.
pub const GLOBAL_BASE_URL: &str = "https://api.cloud.zilliz.com";
/// The control plane of the China regions (`ali-*`, `tc-*` clusters).
pub const CHINA_BASE_URL: &str = "https://api.cloud.zilliz.com.cn";

/// The environment variable [`Client::from_env`] reads the API key from.
pub const ENV_API_KEY: &str = "ZILLIZ_API_KEY";
/// The environment variable [`Client::from_env`] reads an optional base URL from.
pub const ENV_BASE_URL: &str = "ZILLIZ_BASE_URL";

/// How much of a response the client reads before giving up on it, so a
/// broken or hostile server cannot make it hold unbounded memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Which Zilliz Cloud control plane to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Region {
    /// `https://api.cloud.zilliz.com`.
    #[default]
    Global,
    /// `https://api.cloud.zilliz.com.cn`, for Alibaba Cloud and Tencent Cloud clusters.
    China,
}

impl Region {
    /// The region's base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Global => GLOBAL_BASE_URL,
            Region::China => CHINA_BASE_URL,
        }
    }
}

/// Configures and builds a [`Client`]. Obtain one with [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    api_key: Option<SecretString>,
    base_url: Option<String>,
    region: Region,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    user_agent: String,
    headers: Vec<(String, String)>,
    retry: RetryPolicy,
    rate_limit: Option<NonZeroU32>,
    max_response_bytes: usize,
    operation_timeout: Option<Duration>,
    tls: TlsSettings,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: None,
            region: Region::Global,
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            user_agent: concat!("zilliz-import/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            retry: RetryPolicy::default(),
            rate_limit: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            operation_timeout: None,
            tls: TlsSettings::default(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<_> = self.headers.iter().map(|(n, _)| (n, REDACTED)).collect();
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("region", &self.region)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("user_agent", &self.user_agent)
            .field("headers", &headers)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("operation_timeout", &self.operation_timeout)
            .field("ca_certificate_pems", &self.tls.ca_pems.len())
            .field("client_identity", &self.tls.identity)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder with the API key and base URL from `ZILLIZ_API_KEY` and
    /// `ZILLIZ_BASE_URL`, when they are set.
    pub fn from_env() -> Self {
        let mut b = ClientBuilder::default();
        if let Ok(key) = std::env::var(ENV_API_KEY) {
            b = b.api_key(key);
        }
        if let Ok(url) = std::env::var(ENV_BASE_URL).map(|u| u.trim().to_owned())
            && !url.is_empty()
        {
            b = b.base_url(url);
        }
        b
    }

    /// The API key, sent as `Authorization: Bearer <key>` (a header marked
    /// sensitive, so it never shows in Debug output). Surrounding white space
    /// is trimmed, as the service trims it: a key pasted with a trailing
    /// newline works, and is scrubbed from server text as the server sees it.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// Talk to this base URL instead of the region's: an emulator, a proxy.
    /// `https` is required unless the host is loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Pick a control plane; ignored when [`base_url`](Self::base_url) is set.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// How long establishing a connection may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take from sending to the last byte of the
    /// answer (default 30 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The old name of [`attempt_timeout`](Self::attempt_timeout).
    #[deprecated(since = "0.2.0", note = "renamed `attempt_timeout`")]
    pub fn timeout(self, timeout: Duration) -> Self {
        self.attempt_timeout(timeout)
    }

    /// How long one call may take in all: every attempt, backoff and wait
    /// for the rate limiter (default: no bound but the attempts'). Each
    /// attempt is cut to the time left, and no retry starts that could not
    /// end in time. A wait's own deadline bounds its polls the same way.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` (default `zilliz-import/<version>`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// A header sent on every request, such as a tracing id for a proxy.
    /// Values are treated as sensitive and never printed.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// When and how often to retry (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Send at most this many requests per second for each operation
    /// (create, describe, list, commit, abort), strictly: never more than
    /// `per_second` sent in any one-second window, bursts included. Each
    /// attempt (retries too) holds one of `per_second` slots while it is in
    /// flight and for one second after its answer, so the server does not
    /// receive more in one second either (unless an attempt given up on a
    /// timeout reaches it late).
    /// A call waits for a free slot, within its operation timeout. The
    /// service documents a limit of 20 per second per user per endpoint.
    pub fn rate_limit(mut self, per_second: NonZeroU32) -> Self {
        self.rate_limit = Some(per_second);
        self
    }

    /// The most bytes of a response body the client reads (default 16 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Also trust the CA certificate(s) in this PEM, for a self-hosted
    /// Milvus whose certificate is signed by a private CA. They are added to
    /// the platform's roots, not put in their place (as reqwest's
    /// `add_root_certificate` does), so public endpoints keep working. Call again to add more. Needs an `https`
    /// base URL; [`build`](Self::build) refuses a PEM that holds no
    /// certificate.
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.ca_pems.push(pem.into());
        self
    }

    /// Present this client certificate chain (PEM, the client's own
    /// certificate first) and its private key (PEM: PKCS#8, PKCS#1 or SEC1)
    /// to a server that requires mutual TLS. The key is kept as a secret:
    /// zeroed when dropped and never shown in Debug output or errors.
    /// [`build`](Self::build) checks that both parse and that the key is the
    /// certificate's. Needs an `https` base URL; a second call replaces the
    /// first.
    pub fn client_identity_pem(
        mut self,
        certificate_chain_pem: impl Into<Vec<u8>>,
        private_key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.identity = Some(IdentityPem {
            certificate_chain: certificate_chain_pem.into(),
            private_key: SecretSlice::from(private_key_pem.into()),
        });
        self
    }

    /// Checks the configuration and builds the client. Sends nothing.
    pub fn build(self) -> Result<Client, BuildError> {
        let key = self
            .api_key
            .map(|k| SecretString::from(k.expose_secret().trim()))
            .filter(|k| !k.expose_secret().is_empty())
            .ok_or_else(|| {
                BuildError(format!(
                    "no API key: call .api_key(..) or set {ENV_API_KEY}"
                ))
            })?;
        let base_url = check_base_url(self.base_url.as_deref().unwrap_or(self.region.base_url()))?;
        let tls_set = !self.tls.ca_pems.is_empty() || self.tls.identity.is_some();
        if tls_set && !base_url.starts_with("https:") {
            // Plain http would silently ignore them: say so instead.
            return Err(BuildError(format!(
                "a CA certificate or client identity is set, but base URL `{base_url}` is \
                 plain http: TLS settings need an https base URL"
            )));
        }
        let tls = tls_config(&self.tls)?;

        let mut headers = HeaderMap::new();
        let mut auth = HeaderValue::try_from(format!("Bearer {}", key.expose_secret()))
            .map_err(|_| BuildError("the API key holds characters a header cannot carry".into()))?;
        auth.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, auth);
        for (name, value) in &self.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| BuildError(format!("`{name}` is not a valid header name")))?;
            if name == header::AUTHORIZATION || name == header::CONTENT_TYPE {
                return Err(BuildError(format!(
                    "header `{name}` is set by the client and cannot be overridden"
                )));
            }
            let mut value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                BuildError(format!(
                    "the value of header `{name}` is not a valid header value"
                ))
            })?;
            value.set_sensitive(true);
            headers.append(name, value);
        }

        let mut http = reqwest::Client::builder();
        if base_url.starts_with("http:") {
            // Plain http is allowed only to loopback, and a proxy (from
            // HTTP_PROXY, ALL_PROXY) would carry the bearer token off the
            // machine in clear. An https base URL may use a proxy.
            http = http.no_proxy();
        }
        let http = http
            .tls_backend_preconfigured(tls)
            .default_headers(headers)
            .user_agent(self.user_agent)
            .connect_timeout(self.connect_timeout)
            .timeout(self.attempt_timeout)
            // A redirect could carry the bearer token elsewhere; the API never redirects.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BuildError(format!("cannot build the HTTP client: {e}")))?;

        let pipeline = Pipeline {
            retry: self.retry,
            limiters: Pipeline::limiters(self.rate_limit),
            max_bytes: self.max_response_bytes,
            attempt_timeout: self.attempt_timeout,
            operation_timeout: self.operation_timeout,
        };
        let control_plane = [GLOBAL_BASE_URL, CHINA_BASE_URL].contains(&base_url.as_str());
        let generated = generated::Client::new_with_client(&base_url, http, Arc::new(pipeline));
        Ok(Client::new(generated, &key, control_plane))
    }
}

/// A normalised base URL (no trailing slash), or why it cannot be used.
fn check_base_url(raw: &str) -> Result<String, BuildError> {
    // Echoed without what is or may be its user-info or query, whether or
    // not it parses: `user:password@host` parses with the scheme `user`.
    let shown = redact_url(raw);
    let bad = |why: &str| BuildError(format!("base URL `{shown}`: {why}"));
    let url = url::Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "plain http is only allowed to a loopback host (127.0.0.0/8, ::1, localhost): \
                 the bearer token must not cross a network in clear; use https",
            ));
        }
        // Named only where it is shown: the "scheme" may be the user name.
        other
            if shown
                .get(..=other.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(&format!("{other}:"))) =>
        {
            return Err(bad(&format!("scheme `{other}` is not http or https")));
        }
        _ => return Err(bad("the scheme is not http or https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials belong in .api_key(..), not in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a base URL takes no query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        // The parser lower-cases the host names of http and https URLs.
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl Client {
    /// Configure a client: at least an API key.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `ZILLIZ_API_KEY` and, if set, `ZILLIZ_BASE_URL`.
    pub fn from_env() -> Result<Client, BuildError> {
        ClientBuilder::from_env().build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://api.cloud.zilliz.com/").unwrap(),
            GLOBAL_BASE_URL
        );
        assert_eq!(
            check_base_url("http://127.0.0.9:8080").unwrap(),
            "http://127.0.0.9:8080"
        );
        assert_eq!(
            check_base_url("http://[::1]:1/stem/").unwrap(),
            "http://[::1]:1/stem"
        );
        assert_eq!(
            check_base_url("http://LOCALHOST:1").unwrap(),
            "http://localhost:1"
        );
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "ftp://localhost",
            "https://user:pw@h",
            "https://h/?x=1",
            "nonsense",
        ] {
            assert!(
                matches!(check_base_url(bad), Err(BuildError(_))),
                "{bad} should be refused"
            );
        }
        let refused = |raw: &str| check_base_url(raw).unwrap_err().to_string();
        assert_eq!(
            refused("FTP://localhost"),
            "invalid configuration: base URL `FTP://localhost`: scheme `ftp` is not http or https"
        );
        assert_eq!(
            refused("root:Milvus@localhost:19530"),
            "invalid configuration: base URL `<redacted>@localhost:19530`: the scheme is not \
             http or https"
        );
        assert_eq!(
            refused("https://TOKEN@h/"),
            "invalid configuration: base URL `https://<redacted>@h/`: credentials belong in \
             .api_key(..), not in the URL"
        );
        let msg = check_base_url("http://example.com")
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "invalid configuration: base URL `http://example.com`: plain http is only allowed to a \
             loopback host (127.0.0.0/8, ::1, localhost): the bearer token must not cross a network \
             in clear; use https"
        );
    }

    #[test]
    fn tls_is_set_up_with_the_crates_own_provider() {
        let tls = tls_config(&TlsSettings::default()).unwrap();
        assert_eq!(tls.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        #[cfg(not(feature = "aws-lc-rs"))]
        let expected = rustls::crypto::ring::default_provider();
        #[cfg(feature = "aws-lc-rs")]
        let expected = rustls::crypto::aws_lc_rs::default_provider();
        // The key-exchange groups tell the providers apart (aws-lc-rs has ML-KEM).
        let groups = |p: &rustls::crypto::CryptoProvider| {
            p.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>()
        };
        assert_eq!(groups(tls.crypto_provider()), groups(&expected));
        // No process-wide provider is installed, and none is needed.
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        Client::builder()
            .api_key("k")
            .base_url(GLOBAL_BASE_URL)
            .build()
            .unwrap();
    }
}
