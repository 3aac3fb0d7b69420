//! One upload of the files in a folder to an S3-compatible server, for
//! `benches/vs_minio_py.sh` (which times it against the Python SDK's
//! algorithm and starts the server). Without its variables it says so and
//! does nothing, so `cargo bench --workspace` passes by.
//!
//! Env: ZI_BENCH_ENDPOINT, ZI_BENCH_BUCKET, ZI_BENCH_PREFIX, ZI_BENCH_DIR,
//! AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; ZI_BENCH_CONCURRENCY (default:
//! the uploader's).

use std::path::PathBuf;

use zilliz_import_upload::{BucketDestination, Destination, Uploader};

fn main() {
    let Ok(endpoint) = std::env::var("ZI_BENCH_ENDPOINT") else {
        eprintln!("upload_throughput: run upload/benches/vs_minio_py.sh");
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name}"));
    let mut dest = BucketDestination::parse(&format!(
        "s3://{}/{}",
        var("ZI_BENCH_BUCKET"),
        var("ZI_BENCH_PREFIX")
    ))
    .unwrap()
    .with_env();
    dest.endpoint = Some(endpoint);
    let mut builder = Uploader::builder();
    if let Ok(n) = std::env::var("ZI_BENCH_CONCURRENCY") {
        builder = builder.concurrency(n.parse().unwrap());
    }
    let uploader = builder.build();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime
        .block_on(uploader.upload(
            &[PathBuf::from(var("ZI_BENCH_DIR"))],
            &Destination::Bucket(dest),
            |_| {},
        ))
        .unwrap();
    println!("{}", serde_json::to_string(&report).unwrap());
}
