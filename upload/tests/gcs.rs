//! The uploader's requests to Google Cloud Storage, on a fake GCS in the
//! test (no GCS emulator is at hand): object_store speaks GCS's XML API
//! for multipart uploads (`POST ?uploads`, `PUT ?partNumber&uploadId`,
//! `POST ?uploadId`) with `Authorization: Bearer`. The fake records every
//! request and keeps the parts, so the test checks both the wire and the
//! bytes the completion names. Two ways to the bearer token: a `gs://`
//! bucket's `GOOGLE_BEARER_TOKEN`, and a volume whose grant says
//! `cloud: gcp` (its session token).
#![cfg(feature = "gcp")]

#[path = "common/test_data.rs"]
mod test_data;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use test_data::data;
use zilliz_import_upload::{
    BucketDestination, Destination, GrantError, GrantSource, StorageGrant, Uploader,
};

const MIB: usize = 1 << 20;

/// One request the fake was sent.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    /// Decoded: object_store sends the bucket and the key each as one
    /// encoded segment (`/my%2Dbucket/in%2Frun%2Fa%2Ebin`), as GCS takes it.
    path: String,
    query: String,
    authorization: String,
}

#[derive(Default)]
struct Fake {
    seen: Mutex<Vec<Seen>>,
    /// Parts by (upload id, part number).
    parts: Mutex<HashMap<(String, u32), Bytes>>,
    /// Objects by path, once put or completed.
    objects: Mutex<HashMap<String, Vec<u8>>>,
}

fn query_map(query: &str) -> HashMap<&str, &str> {
    (query.split('&').filter(|kv| !kv.is_empty()))
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
        .collect()
}

/// Answers as GCS's XML API does, for what the uploader sends.
async fn gcs(State(fake): State<Arc<Fake>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 * MIB).await.unwrap();
    let raw = parts.uri.path();
    assert_eq!(
        raw.matches('/').count(),
        2,
        "bucket and key, one segment each: {raw}"
    );
    let path = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .unwrap()
        .into_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let authorization = (parts.headers.get("authorization"))
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    fake.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        query: query.clone(),
        authorization,
    });
    let q = query_map(&query);
    let etag = |tag: String| [("ETag", format!("\"{tag}\""))];
    match (parts.method, q.get("uploadId"), q.get("partNumber")) {
        (Method::HEAD, ..) => StatusCode::NOT_FOUND.into_response(),
        (Method::POST, None, _) if q.contains_key("uploads") => (
            StatusCode::OK,
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>\
             <UploadId>up-1</UploadId></InitiateMultipartUploadResult>",
        )
            .into_response(),
        (Method::PUT, Some(id), Some(n)) => {
            let n: u32 = n.parse().unwrap();
            fake.parts.lock().unwrap().insert((id.to_string(), n), body);
            (StatusCode::OK, etag(format!("part-{n}")), "").into_response()
        }
        (Method::POST, Some(id), None) => {
            // The completion lists `<PartNumber>N</PartNumber>` in order.
            let text = String::from_utf8(body.to_vec()).unwrap();
            let mut whole = Vec::new();
            for n in text.split("<PartNumber>").skip(1) {
                let n: u32 = n.split('<').next().unwrap().parse().unwrap();
                whole.extend_from_slice(&fake.parts.lock().unwrap()[&(id.to_string(), n)]);
            }
            fake.objects.lock().unwrap().insert(path, whole);
            (
                StatusCode::OK,
                "<CompleteMultipartUploadResult><ETag>\"whole\"</ETag>\
                 </CompleteMultipartUploadResult>",
            )
                .into_response()
        }
        (Method::PUT, None, None) => {
            fake.objects.lock().unwrap().insert(path, body.to_vec());
            (StatusCode::OK, etag("put".into()), "").into_response()
        }
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// The fake on a free port of 127.0.0.1, and its base URL.
async fn fake_gcs() -> (Arc<Fake>, String) {
    let fake = Arc::new(Fake::default());
    let app = axum::Router::new().fallback(gcs).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, url)
}

/// What a file of 12 MiB + 3 in parts of 5 MiB and a small file send,
/// `key` the big one's path at the fake.
fn expected(key: &str, small: &str, token: &str) -> Vec<Seen> {
    let seen = |method: &str, path: &str, query: &str| Seen {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        authorization: format!("Bearer {token}"),
    };
    vec![
        seen("HEAD", key, ""),
        seen("HEAD", small, ""),
        seen("PUT", small, ""),
        seen("POST", key, "uploads="),
        seen("PUT", key, "partNumber=1&uploadId=up-1"),
        seen("PUT", key, "partNumber=2&uploadId=up-1"),
        seen("PUT", key, "partNumber=3&uploadId=up-1"),
        seen("POST", key, "uploadId=up-1"),
    ]
}

/// The requests in a fixed order (the uploader sends some side by side).
fn sorted(fake: &Fake) -> Vec<Seen> {
    let mut seen = fake.seen.lock().unwrap().clone();
    let rank = |s: &Seen| match (s.method.as_str(), s.query.as_str()) {
        ("HEAD", _) => 0,
        ("PUT", "") => 1,
        ("POST", "uploads=") => 2,
        ("PUT", _) => 3,
        _ => 4,
    };
    seen.sort_by(|a, b| (rank(a), &a.path, &a.query).cmp(&(rank(b), &b.path, &b.query)));
    seen
}

async fn upload_two(dest: &Destination) -> (Vec<u8>, zilliz_import_upload::UploadReport) {
    let dir = tempfile::tempdir().unwrap();
    let big = data(12 * MIB + 3, 5);
    let a = dir.path().join("a.bin");
    std::fs::write(&a, &big).unwrap();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, b"small").unwrap();
    let report = Uploader::builder()
        .concurrency(1)
        .part_size(5 * MIB as u64)
        .build()
        .upload(&[a, small], dest, |_| {})
        .await
        .unwrap();
    (big, report)
}

#[tokio::test]
async fn a_gs_bucket_sends_the_xml_multipart_api_with_the_bearer_token() {
    let (fake, url) = fake_gcs().await;
    let mut bucket = BucketDestination::parse("gs://my-bucket/in/run").unwrap();
    bucket.endpoint = Some(url);
    let bucket = bucket.with_setting("GOOGLE_BEARER_TOKEN", "ya29.bucket-token");
    let (big, report) = upload_two(&Destination::Bucket(bucket)).await;

    assert_eq!((report.parts_sent, report.parts_skipped), (4, 0));
    let key = "/my-bucket/in/run/a.bin";
    let small = "/my-bucket/in/run/small.txt";
    assert_eq!(sorted(&fake), expected(key, small, "ya29.bucket-token"));
    let objects = fake.objects.lock().unwrap();
    assert_eq!(objects[key], big);
    assert_eq!(objects[small], b"small");
}

/// A volume on GCS: its apply answers `cloud: gcp`, the grant's endpoint
/// and its session token, sent as the bearer token.
struct GcpGrants(String);

#[async_trait::async_trait]
impl GrantSource for GcpGrants {
    async fn apply(&self, _path: &str) -> Result<StorageGrant, GrantError> {
        Ok(StorageGrant {
            endpoint: self.0.clone(),
            bucket: "volume-bucket".into(),
            region: "us-west1".into(),
            cloud: "gcp".into(),
            prefix: "vol-prefix/".into(),
            access_key_id: String::new(),
            secret_access_key: String::new().into(),
            session_token: Some("ya29.session-token".to_owned().into()),
            expire_time: None,
            max_content_length: None,
            max_file_number: None,
        })
    }
}

#[tokio::test]
async fn a_gcp_volume_sends_its_session_token_as_the_bearer_token() {
    let (fake, url) = fake_gcs().await;
    let dest = Destination::Volume {
        grants: Arc::new(GcpGrants(url)),
        path: "folder/".into(),
    };
    let (big, report) = upload_two(&dest).await;

    assert_eq!((report.parts_sent, report.parts_skipped), (4, 0));
    let key = "/volume-bucket/vol-prefix/folder/a.bin";
    let small = "/volume-bucket/vol-prefix/folder/small.txt";
    assert_eq!(sorted(&fake), expected(key, small, "ya29.session-token"));
    assert_eq!(fake.objects.lock().unwrap()[key], big);
}
