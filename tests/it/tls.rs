//! Self-hosted TLS: a server whose certificate a private CA signed, and a
//! server that requires a client certificate (mutual TLS), both on loopback
//! with certificates made by rcgen for each test; and every wrong TLS input
//! refused by `build()` with a message naming it, never quoting the key.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::{
    RootCertStore, ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer},
    server::WebPkiClientVerifier,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use tokio_rustls::TlsAcceptor;
use zilliz_import::{Client, ClientBuilder, Delivery, ImportState, RetryPolicy};

use crate::common::{API_KEY, CLUSTER, DESCRIBE_PATH};
use zilliz_import::{ErrorKind, Target};

const DESCRIBE_ANSWER: &str =
    r#"{"code":0,"data":{"jobId":"1","state":"Completed","progress":100}}"#;

/// A CA for one test.
fn test_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A certificate `ca` signed, with its key.
struct Leaf {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key: KeyPair,
}

impl Leaf {
    fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }
}

fn leaf(ca: &Issuer<'_, KeyPair>, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    Leaf {
        cert_pem: cert.pem(),
        cert_der: cert.der().clone(),
        key,
    }
}

/// A server certificate for the loopback address the tests connect to.
fn server_leaf(ca: &Issuer<'_, KeyPair>) -> Leaf {
    leaf(
        ca,
        &["127.0.0.1", "localhost"],
        ExtendedKeyUsagePurpose::ServerAuth,
    )
}

fn client_leaf(ca: &Issuer<'_, KeyPair>) -> Leaf {
    leaf(ca, &["client.test"], ExtendedKeyUsagePurpose::ClientAuth)
}

/// What the loopback TLS server saw.
#[derive(Default)]
struct Seen {
    /// TLS handshakes that completed, server side.
    handshakes: AtomicUsize,
    /// TLS handshakes that failed, server side.
    failed_handshakes: AtomicUsize,
    /// Complete HTTP requests: request line and body.
    requests: Mutex<Vec<(String, String)>>,
    /// Told each time a handshake ends, failed or not.
    handshake_ended: tokio::sync::Notify,
}

impl Seen {
    /// Waits until the server has finished `n` handshakes, failed or not: a
    /// client that gives up on one returns before the server's side of it
    /// has ended. Each end is told, so no time is guessed.
    async fn settle(&self, n: usize) {
        loop {
            // Registered before the count is read, so no end is missed.
            let ended = self.handshake_ended.notified();
            if self.handshakes() + self.failed_handshakes() >= n {
                return;
            }
            ended.await;
        }
    }
    fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
    fn failed_handshakes(&self) -> usize {
        self.failed_handshakes.load(Ordering::SeqCst)
    }
    fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().unwrap().clone()
    }
}

/// A TLS server on 127.0.0.1 presenting `server`'s certificate, requiring a
/// client certificate signed by `client_ca` when given. It answers each
/// HTTP/1.1 request with the describe envelope and closes the connection.
async fn tls_server(
    server: &Leaf,
    client_ca: Option<&CertificateDer<'static>>,
) -> (String, Arc<Seen>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(
            vec![server.cert_der.clone()],
            PrivateKeyDer::Pkcs8(server.key.serialize_der().into()),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, seen) = (acceptor.clone(), counts.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    seen.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                    seen.handshake_ended.notify_waiters();
                    return;
                };
                seen.handshakes.fetch_add(1, Ordering::SeqCst);
                seen.handshake_ended.notify_waiters();
                let Some(request) = read_request(&mut tls).await else {
                    return;
                };
                seen.requests.lock().unwrap().push(request);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{DESCRIBE_ANSWER}",
                    DESCRIBE_ANSWER.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, seen)
}

/// One HTTP/1.1 request, head and `Content-Length` body; `None` if the
/// connection ends or fails first.
async fn read_request(stream: &mut (impl AsyncReadExt + Unpin)) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
    Some((request_line, body))
}

/// A builder for `url` with one attempt per call, so counts are exact.
fn builder(url: &str) -> ClientBuilder {
    Client::builder()
        .api_key(API_KEY)
        .base_url(url)
        .retry(RetryPolicy::none())
}

/// The error and all its sources, joined.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(" <- ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn assert_describe_request(seen: &Seen) {
    let requests = seen.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].0, format!("POST {DESCRIBE_PATH} HTTP/1.1"));
    let body: serde_json::Value = serde_json::from_str(&requests[0].1).unwrap();
    assert_eq!(body["clusterId"], CLUSTER);
    assert_eq!(body["jobId"], "1");
}

#[tokio::test]
async fn private_ca_is_refused_until_trusted() {
    let ca = test_ca("zilliz-import test CA");
    let (url, seen) = tls_server(&server_leaf(&ca), None).await;

    // The platform's roots do not include the test CA: the handshake fails,
    // the request never leaves.
    let e = builder(&url)
        .build()
        .unwrap()
        .describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap_err();
    assert!(
        (matches!(e.kind(), ErrorKind::Connect) && e.attempts() == 1),
        "{e:?}"
    );
    assert_eq!(e.delivery(), Delivery::NotSent);
    assert!(!e.may_have_been_sent());
    let text = chain(&e);
    assert!(
        text.starts_with("could not connect (request not sent) after 1 attempt(s)"),
        "{text}"
    );
    assert!(text.contains("UnknownIssuer"), "{text}");
    seen.settle(1).await;
    assert_eq!(seen.requests().len(), 0);
    assert_eq!(seen.handshakes(), 0);
    assert_eq!(seen.failed_handshakes(), 1);

    // Trusted as an extra root, the same server answers.
    let progress = builder(&url)
        .ca_certificate_pem(ca.pem())
        .build()
        .unwrap()
        .describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap();
    assert_eq!(progress.job_id, "1");
    assert_eq!(progress.state, ImportState::Completed);
    assert_eq!(progress.progress, 100);
    assert_describe_request(&seen);
    assert_eq!(seen.handshakes(), 1);
}

#[tokio::test]
async fn ca_certificates_add_up_over_calls_and_within_one_pem() {
    let ca = test_ca("zilliz-import test CA");
    let other = test_ca("another CA");
    let (url, seen) = tls_server(&server_leaf(&ca), None).await;

    // The server's CA second, in a second call.
    let progress = builder(&url)
        .ca_certificate_pem(other.pem())
        .ca_certificate_pem(ca.pem().into_bytes())
        .build()
        .unwrap()
        .describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap();
    assert_eq!(progress.state, ImportState::Completed);

    // Both in one PEM, the server's second.
    let bundle = format!("{}{}", other.pem(), ca.pem());
    let progress = builder(&url)
        .ca_certificate_pem(bundle)
        .build()
        .unwrap()
        .describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap();
    assert_eq!(progress.state, ImportState::Completed);
    assert_eq!(seen.requests().len(), 2);

    // Only the other CA: still refused.
    let e = builder(&url)
        .ca_certificate_pem(other.pem())
        .build()
        .unwrap()
        .describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap_err();
    assert!(
        (matches!(e.kind(), ErrorKind::Connect) && e.attempts() == 1),
        "{e:?}"
    );
    seen.settle(3).await;
    assert_eq!(seen.requests().len(), 2);
    assert_eq!(seen.handshakes(), 2);
    assert_eq!(seen.failed_handshakes(), 1);
}

#[tokio::test]
async fn mutual_tls_needs_the_client_identity() {
    let ca = test_ca("zilliz-import test CA");
    let client = client_leaf(&ca);
    let (url, seen) = tls_server(&server_leaf(&ca), Some(ca.der())).await;

    let e = builder(&url)
        .ca_certificate_pem(ca.pem())
        .build()
        .unwrap()
        .describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap_err();
    // In TLS 1.3 the client's side of the handshake is done before the
    // server checks the (absent) client certificate, so the client writes
    // its request and learns of the refusal only as it reads: it cannot
    // tell that the server did not process it, and says it may have.
    assert!(
        (matches!(e.kind(), ErrorKind::Transport) && e.attempts() == 1),
        "{e:?}"
    );
    assert_eq!(e.delivery(), Delivery::MaybeSent);
    let text = chain(&e);
    assert!(text.contains("CertificateRequired"), "{text}");
    // The server processed nothing.
    seen.settle(1).await;
    assert_eq!(seen.requests().len(), 0);
    assert_eq!(seen.handshakes(), 0);
    assert_eq!(seen.failed_handshakes(), 1);

    let progress = builder(&url)
        .ca_certificate_pem(ca.pem())
        .client_identity_pem(client.cert_pem.clone(), client.key_pem())
        .build()
        .unwrap()
        .describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap();
    assert_eq!(progress.job_id, "1");
    assert_eq!(progress.state, ImportState::Completed);
    assert_eq!(progress.progress, 100);
    assert_describe_request(&seen);
    assert_eq!(seen.handshakes(), 1);
    assert_eq!(seen.failed_handshakes(), 1);
}

#[tokio::test]
async fn mutual_tls_refuses_a_certificate_from_another_ca() {
    let ca = test_ca("zilliz-import test CA");
    let stranger = client_leaf(&test_ca("another CA"));
    let (url, seen) = tls_server(&server_leaf(&ca), Some(ca.der())).await;

    let e = builder(&url)
        .ca_certificate_pem(ca.pem())
        .client_identity_pem(stranger.cert_pem.clone(), stranger.key_pem())
        .build()
        .unwrap()
        .describe_import_job(&Target::cluster(CLUSTER), "1")
        .await
        .unwrap_err();
    assert!(
        (matches!(e.kind(), ErrorKind::Transport) && e.attempts() == 1),
        "{e:?}"
    );
    assert!(chain(&e).contains("UnknownCA"), "{}", chain(&e));
    seen.settle(1).await;
    assert_eq!(seen.requests().len(), 0);
    assert_eq!(seen.failed_handshakes(), 1);
}

/// The lines of a PEM's base64 body.
fn body_lines(pem: &str) -> Vec<&str> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && !l.trim().is_empty())
        .collect()
}

/// `build()`'s error for `b`, checked to quote no part of `key_pem` in its
/// Display or Debug, nor in the builder's Debug.
fn refused(b: ClientBuilder, key_pem: &str) -> String {
    let shown = format!("{b:?}");
    let e = match b.build() {
        Err(e) => e,
        Ok(_) => panic!("build should fail"),
    };
    for text in [e.to_string(), format!("{e:?}"), shown] {
        if !key_pem.is_empty() {
            assert!(!text.contains(key_pem), "{text}");
        }
        for line in body_lines(key_pem) {
            assert!(!text.contains(line), "{text} quotes {line}");
            // Nor a piece of it long enough to matter.
            if line.len() >= 16 {
                assert!(!text.contains(&line[..16]), "{text} quotes {line}");
            }
        }
    }
    e.to_string()
}

#[test]
fn wrong_tls_inputs_are_refused_by_build_naming_the_input() {
    let ca = test_ca("zilliz-import test CA");
    let client = client_leaf(&ca);
    let other = client_leaf(&ca);
    let url = "https://milvus.example:19530";
    let key = client.key_pem();

    assert_eq!(
        refused(builder(url).ca_certificate_pem("not a certificate"), &key),
        "invalid configuration: CA certificate PEM holds no certificate \
         (no `BEGIN CERTIFICATE` section)"
    );
    // A key is not a CA certificate.
    assert_eq!(
        refused(builder(url).ca_certificate_pem(key.clone()), &key),
        "invalid configuration: CA certificate PEM holds no certificate \
         (no `BEGIN CERTIFICATE` section)"
    );
    assert_eq!(
        refused(
            builder(url)
                .ca_certificate_pem(ca.pem())
                .ca_certificate_pem(""),
            &key
        ),
        "invalid configuration: CA certificate PEM #2 (of 2) holds no certificate \
         (no `BEGIN CERTIFICATE` section)"
    );
    assert_eq!(
        refused(
            builder(url).ca_certificate_pem(
                "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n"
            ),
            &key
        ),
        "invalid configuration: CA certificate PEM: a section's body is not valid base64"
    );
    assert_eq!(
        refused(
            builder(url).ca_certificate_pem("-----BEGIN CERTIFICATE-----\nAAAA\n"),
            &key
        ),
        "invalid configuration: CA certificate PEM: a section has no `END` line"
    );
    let not_der = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let msg = refused(builder(url).ca_certificate_pem(not_der), &key);
    assert!(
        msg.starts_with(
            "invalid configuration: CA certificate PEM: a certificate in it cannot be a trust anchor: "
        ),
        "{msg}"
    );

    assert_eq!(
        refused(builder(url).client_identity_pem("", key.clone()), &key),
        "invalid configuration: client certificate PEM holds no certificate \
         (no `BEGIN CERTIFICATE` section)"
    );
    assert_eq!(
        refused(
            builder(url).client_identity_pem(client.cert_pem.clone(), ""),
            ""
        ),
        "invalid configuration: client private key PEM holds no private key (no PKCS#8 \
         `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY` section)"
    );
    // The certificate where the key should be.
    assert_eq!(
        refused(
            builder(url).client_identity_pem(client.cert_pem.clone(), client.cert_pem.clone()),
            ""
        ),
        "invalid configuration: client private key PEM holds no private key (no PKCS#8 \
         `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY` section)"
    );
    // Another key of the same CA's clients.
    assert_eq!(
        refused(
            builder(url).client_identity_pem(client.cert_pem.clone(), other.key_pem()),
            &other.key_pem()
        ),
        "invalid configuration: client private key PEM: the key does not match the client \
         certificate (the first in the client certificate PEM)"
    );
    // A key cut short: PEM and base64 are fine, the key inside is not.
    let der = client.key.serialize_der();
    let cut = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(&der[..der.len() / 2])
    );
    let msg = refused(
        builder(url).client_identity_pem(client.cert_pem.clone(), cut.clone()),
        &cut,
    );
    assert!(
        msg.starts_with(
            "invalid configuration: client private key PEM: the key cannot be used for signing: "
        ),
        "{msg}"
    );
    // A key whose base64 is broken, near the real key's text.
    let broken = key.replacen("-----\n", "-----\n%", 1);
    assert_eq!(
        refused(
            builder(url).client_identity_pem(client.cert_pem.clone(), broken.clone()),
            &broken
        ),
        "invalid configuration: client private key PEM: a section's body is not valid base64"
    );
}

#[test]
fn the_builder_shows_that_tls_is_set_but_not_the_key() {
    let ca = test_ca("zilliz-import test CA");
    let client = client_leaf(&ca);
    let key = client.key_pem();
    let b = builder("https://milvus.example:19530")
        .ca_certificate_pem(ca.pem())
        .ca_certificate_pem(ca.pem())
        .client_identity_pem(client.cert_pem.clone(), key.clone());
    let shown = format!("{b:?}");
    assert!(shown.contains("ca_certificate_pems: 2"), "{shown}");
    assert!(
        shown.contains(&format!(
            "client_identity: Some(ClientIdentity {{ certificate_chain_pem: {} bytes, \
             private_key_pem: \"<redacted>\" }})",
            client.cert_pem.len()
        )),
        "{shown}"
    );
    assert!(!shown.contains(&key));
    for line in body_lines(&key) {
        assert!(!shown.contains(line), "{shown}");
    }
    // And it builds: the inputs are good.
    b.build().unwrap();

    let shown = format!("{:?}", builder("https://milvus.example:19530"));
    assert!(
        shown.contains("ca_certificate_pems: 0, client_identity: None"),
        "{shown}"
    );
}

#[test]
fn tls_settings_need_an_https_base_url() {
    let ca = test_ca("zilliz-import test CA");
    let client = client_leaf(&ca);
    let expected = "invalid configuration: a CA certificate or client identity is set, but base \
                    URL `http://127.0.0.1:19530` is plain http: TLS settings need an https base URL";
    assert_eq!(
        refused(
            builder("http://127.0.0.1:19530").ca_certificate_pem(ca.pem()),
            ""
        ),
        expected
    );
    assert_eq!(
        refused(
            builder("http://127.0.0.1:19530")
                .client_identity_pem(client.cert_pem.clone(), client.key_pem()),
            &client.key_pem()
        ),
        expected
    );
    // Without them, loopback http is fine as before.
    builder("http://127.0.0.1:19530").build().unwrap();
}
