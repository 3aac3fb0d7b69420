//! A local S3 endpoint that is never the limit, for
//! `benches/vs_minio_py.sh`: it reads every byte of every request and
//! keeps none, answering just enough of the S3 API for a multipart upload
//! (create, upload part, complete, abort) and single PUTs, HEAD always 404.
//! s3s-fs, the other server the script runs, spends most of its CPU on
//! MD5 (6-7 CPU s per GiB here), so on a small machine it sets the pace of
//! any client; this one shows the clients' own limits.
//!
//! Serves on 127.0.0.1:$ZI_NULL_S3_PORT until killed; without that
//! variable it does nothing (so `cargo bench --workspace` passes by).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::collections::HashMap;

static UPLOADS: AtomicU64 = AtomicU64::new(0);

async fn handle(Query(query): Query<HashMap<String, String>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut body = request.into_body().into_data_stream();
    let mut bytes = 0u64;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => bytes += chunk.len() as u64,
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        }
    }
    let etag = format!("\"{bytes:032x}\"");
    let xml = |body: String| {
        Response::builder()
            .header(header::CONTENT_TYPE, "application/xml")
            .body(Body::from(body))
            .unwrap()
    };
    match method {
        Method::HEAD | Method::GET => StatusCode::NOT_FOUND.into_response(),
        Method::POST if query.contains_key("uploads") => {
            let id = UPLOADS.fetch_add(1, Ordering::Relaxed);
            xml(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InitiateMultipartUploadResult>\
                 <Bucket>b</Bucket><Key>{path}</Key><UploadId>upload-{id}</UploadId>\
                 </InitiateMultipartUploadResult>"
            ))
        }
        Method::POST => xml(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUploadResult>\
             <Location>{path}</Location><Bucket>b</Bucket><Key>{path}</Key><ETag>{etag}</ETag>\
             </CompleteMultipartUploadResult>"
        )),
        Method::PUT => Response::builder()
            .header(header::ETAG, etag)
            .body(Body::empty())
            .unwrap(),
        Method::DELETE => StatusCode::NO_CONTENT.into_response(),
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

fn main() {
    let Ok(port) = std::env::var("ZI_NULL_S3_PORT") else {
        eprintln!("null_s3: run upload/benches/vs_minio_py.sh");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        let app = Router::new().fallback(handle);
        axum::serve(listener, app).await.unwrap();
    });
}
