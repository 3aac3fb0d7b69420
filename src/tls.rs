//! TLS for the client: rustls with a compiled-in provider (ring, or
//! aws-lc-rs with the feature of that name), the platform's roots plus any
//! private CA, and an optional client identity for mutual TLS. Everything
//! that can be wrong with a PEM is caught when the client is built.

use std::{fmt, sync::Arc};

use rustls::pki_types::{
    CertificateDer, PrivateKeyDer,
    pem::{self, PemObject},
};
use secrecy::{ExposeSecret, SecretSlice};

use crate::{error::BuildError, redact::REDACTED};

/// What [`ClientBuilder::ca_certificate_pem`] and
/// [`ClientBuilder::client_identity_pem`] were given, as given: parsed and
/// checked by [`ClientBuilder::build`].
#[derive(Default)]
pub(crate) struct TlsSettings {
    /// One PEM per call, each holding one or more CA certificates.
    pub(crate) ca_pems: Vec<Vec<u8>>,
    pub(crate) identity: Option<IdentityPem>,
}

/// A client certificate chain and its private key, in PEM. The key is a
/// secret: zeroed when dropped, never printed.
pub(crate) struct IdentityPem {
    pub(crate) certificate_chain: Vec<u8>,
    pub(crate) private_key: SecretSlice<u8>,
}

impl fmt::Debug for IdentityPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field(
                "certificate_chain_pem",
                &format_args!("{} bytes", self.certificate_chain.len()),
            )
            .field("private_key_pem", &REDACTED)
            .finish()
    }
}

/// The TLS settings reqwest makes by default (the platform's certificate
/// verifier, TLS 1.2 and 1.3, ALPN `h2` then `http/1.1`), on the crate's
/// own crypto provider, with the caller's extra CA certificates and client
/// identity, each checked here so a wrong one fails the build, not a request.
pub(crate) fn tls_config(settings: &TlsSettings) -> Result<rustls::ClientConfig, BuildError> {
    // rustls' crypto provider, chosen when the crate is compiled: ring, or
    // aws-lc-rs with the `aws-lc-rs` feature. Never a process-wide default,
    // so there is always one and another library's choice does not change
    // ours.
    #[cfg(feature = "aws-lc-rs")]
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    #[cfg(not(feature = "aws-lc-rs"))]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_error = |e: rustls::Error| BuildError(format!("cannot set up TLS: {e}"));
    let extra_roots = ca_certificates(&settings.ca_pems)?;
    let verifier = if extra_roots.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone()).map_err(tls_error)?
    } else {
        platform_verifier_with(extra_roots, provider.clone())?
    };
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut tls = match &settings.identity {
        None => config.with_no_client_auth(),
        Some(identity) => config.with_client_cert_resolver(Arc::new(
            rustls::sign::SingleCertAndKey::from(certified_key(identity, &provider)?),
        )),
    };
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tls)
}

/// The platform's verifier, also trusting `extra_roots`.
#[cfg(not(target_os = "android"))]
fn platform_verifier_with(
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, BuildError> {
    rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, provider)
        .map_err(|e| BuildError(format!("cannot set up TLS with the CA certificate: {e}")))
}

/// Android's platform verifier takes no extra roots.
#[cfg(target_os = "android")]
fn platform_verifier_with(
    _extra_roots: Vec<CertificateDer<'static>>,
    _provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, BuildError> {
    Err(BuildError(
        "a CA certificate PEM cannot be added to the platform verifier on Android".into(),
    ))
}

/// The certificates of every CA PEM, each PEM holding at least one, each
/// certificate usable as a trust anchor.
fn ca_certificates(pems: &[Vec<u8>]) -> Result<Vec<CertificateDer<'static>>, BuildError> {
    let mut all = Vec::new();
    for (i, pem) in pems.iter().enumerate() {
        let name = if pems.len() == 1 {
            String::from("CA certificate PEM")
        } else {
            format!("CA certificate PEM #{} (of {})", i + 1, pems.len())
        };
        for cert in certificates(pem, &name)? {
            // What the verifier would refuse, refused here with the PEM's name.
            rustls::RootCertStore::empty()
                .add(cert.clone())
                .map_err(|e| {
                    BuildError(format!(
                        "{name}: a certificate in it cannot be a trust anchor: {e}"
                    ))
                })?;
            all.push(cert);
        }
    }
    Ok(all)
}

/// The certificates in a PEM, at least one; `name` says which input it is.
fn certificates(pem: &[u8], name: &str) -> Result<Vec<CertificateDer<'static>>, BuildError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| BuildError(format!("{name}: {}", pem_problem(&e))))?;
    if certs.is_empty() {
        return Err(BuildError(format!(
            "{name} holds no certificate (no `BEGIN CERTIFICATE` section)"
        )));
    }
    Ok(certs)
}

/// The client's certificate chain with its private key, loaded by the
/// provider and checked to belong together. No message quotes the key.
fn certified_key(
    identity: &IdentityPem,
    provider: &rustls::crypto::CryptoProvider,
) -> Result<rustls::sign::CertifiedKey, BuildError> {
    let chain = certificates(&identity.certificate_chain, "client certificate PEM")?;
    let key = PrivateKeyDer::from_pem_slice(identity.private_key.expose_secret()).map_err(|e| {
        BuildError(match e {
            pem::Error::NoItemsFound => String::from(
                "client private key PEM holds no private key (no PKCS#8 `PRIVATE KEY`, \
                 PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY` section)",
            ),
            e => format!("client private key PEM: {}", pem_problem(&e)),
        })
    })?;
    let signing_key = provider.key_provider.load_private_key(key).map_err(|e| {
        BuildError(format!(
            "client private key PEM: the key cannot be used for signing: {e}"
        ))
    })?;
    let certified = rustls::sign::CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // A key that cannot tell its public half is not known to be wrong
        // (rustls' own `with_client_auth_cert` accepts it too).
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(certified)
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(BuildError(
            "client private key PEM: the key does not match the client certificate \
             (the first in the client certificate PEM)"
                .into(),
        )),
        Err(e) => Err(BuildError(format!(
            "client certificate PEM: the first certificate cannot be read: {e}"
        ))),
    }
}

/// What is wrong with a PEM, in words of our own: the parser's errors can
/// quote a line of the input, and a key's input must never be quoted.
fn pem_problem(e: &pem::Error) -> &'static str {
    match e {
        pem::Error::MissingSectionEnd { .. } => "a section has no `END` line",
        pem::Error::IllegalSectionStart { .. } => "a `BEGIN` line is malformed",
        pem::Error::Base64Decode(_) => "a section's body is not valid base64",
        pem::Error::NoItemsFound => "no section of the expected kind",
        pem::Error::SectionTooLarge => "a section is larger than 256 MB",
        _ => "it cannot be read as PEM",
    }
}
