//! Volumes kept in an external S3-compatible store: moto (`moto_server` on
//! PATH, with STS), started here on a free port. Apply answers moto's
//! endpoint and bucket and credentials from its STS, which a real S3
//! client uploads with. Without `moto_server` the test says so and passes,
//! except under CI=true, where it fails.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use serde_json::json;

use crate::support::*;

/// moto, stopped when dropped.
struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// moto on a free port, once it answers; `None` when it is not installed.
async fn moto() -> Option<(Moto, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "moto_server is needed under CI"
        );
        eprintln!("moto_server is not on PATH: the external store is not tried");
        return None;
    };
    let moto = Moto(child);
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..300 {
        if client()
            .get(format!("{url}/moto-api/"))
            .send()
            .await
            .is_ok()
        {
            return Some((moto, url));
        }
        // Real time: moto is another process (no emulator clock here).
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("moto_server did not answer within 15 s");
}

#[tokio::test]
async fn apply_hands_out_the_external_stores_sts_credentials() {
    let Some((_moto, url)) = moto().await else {
        return;
    };
    // The bucket (moto takes unsigned requests unless told otherwise).
    let made = client().put(format!("{url}/vols")).send().await.unwrap();
    assert!(made.status().is_success(), "{made:?}");
    let h = manual_builder()
        .projects([(PROJECT, REGION)])
        .volume_object_store(format!("{url}/vols"), "testing", "testing-secret")
        .start()
        .await
        .unwrap();
    let body = json!({"projectId": PROJECT, "regionId": REGION, "volumeName": "vol"});
    assert_eq!(post(&h, "/v2/volumes/create", body).await.1["code"], 0);
    let (_, answer) = post(
        &h,
        "/v2/volumes/apply",
        json!({"volumeName": "vol", "path": "data/"}),
    )
    .await;
    let up = &answer["data"];
    assert_eq!(
        (
            &up["endpoint"],
            &up["bucketName"],
            &up["region"],
            &up["volumePrefix"]
        ),
        (
            &json!(url),
            &json!("vols"),
            &json!("us-east-1"),
            &json!("vol/")
        ),
        "{answer}"
    );
    let creds = &up["credentials"];
    // STS's, not the store's own.
    assert_ne!(creds["tmpAK"], "testing");
    assert!(
        !creds["sessionToken"].as_str().unwrap().is_empty(),
        "{creds}"
    );
    let store = AmazonS3Builder::new()
        .with_endpoint(&url)
        .with_allow_http(true)
        .with_bucket_name("vols")
        .with_region("us-east-1")
        .with_access_key_id(creds["tmpAK"].as_str().unwrap())
        .with_secret_access_key(creds["tmpSK"].as_str().unwrap())
        .with_token(creds["sessionToken"].as_str().unwrap())
        .build()
        .unwrap();
    let key = ObjectPath::from("vol/data/a.json");
    store
        .put(&key, PutPayload::from_static(b"[]"))
        .await
        .unwrap();
    assert_eq!(store.head(&key).await.unwrap().size, 2);
}
