//! The client's volume calls against the emulator: what one creates the
//! other lists, describes, applies for and deletes, with the same rules on
//! both sides; and an import from a volume whose file is missing ends
//! Failed, with the service's reason; and (the secrets audit's part) the
//! temporary credentials apply hands out show nowhere.

use std::time::Duration;

use zilliz_import::{
    CloudTarget, CreateImportJob, ErrorKind, ImportState, ListVolumes, NewVolume, Target,
    VolumeType,
};
use zilliz_import_emulator::Emulator;

use crate::{
    common::emulator_client,
    secrets_audit::{describe_result, traced},
};

const PROJECT: &str = "proj-emulator";
const REGION: &str = "aws-us-west-2";

#[tokio::test]
async fn a_volume_made_by_the_client_is_listed_applied_for_and_deleted() {
    let h = Emulator::builder().manual_clock().start().await.unwrap();
    let c = emulator_client(&h);
    c.create_volume(&NewVolume::managed(PROJECT, REGION, "v1"))
        .await
        .unwrap();
    let external = NewVolume::external(PROJECT, REGION, "v2", "integ-1").path("data/");
    c.create_volume(&external).await.unwrap();
    let again = c
        .create_volume(&NewVolume::managed(PROJECT, REGION, "v1"))
        .await;
    let e = again.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Api { code: 80000, message, .. } if message.contains("already exists")),
        "{e:?}"
    );
    let page = c
        .list_volumes(&ListVolumes::new(PROJECT).kind(VolumeType::External))
        .await
        .unwrap();
    assert_eq!(page.count, Some(1));
    let volumes = page.volumes.unwrap();
    assert_eq!(volumes[0].volume_name.as_deref(), Some("v2"));
    assert_eq!(
        volumes[0].storage_integration_id.as_deref(),
        Some("integ-1")
    );
    let v1 = c.describe_volume("v1").await.unwrap();
    assert_eq!(
        (v1.type_.as_deref(), v1.status.as_deref()),
        (Some("MANAGED"), Some("RUNNING"))
    );
    let up = c.apply_volume("v1", "run/").await.unwrap();
    assert_eq!(up.endpoint, h.volume_storage_url());
    assert_eq!(
        (up.volume_prefix.as_str(), up.upload_path.as_deref()),
        ("v1/", Some("v1/run/"))
    );
    assert!(up.credentials.tmp_ak.expose_secret().starts_with("ASIA"));
    c.delete_volume("v1").await.unwrap();
    let gone = c.describe_volume("v1").await.unwrap_err();
    assert!(
        matches!(gone.kind(), ErrorKind::Api { code: 80000, .. }),
        "{gone:?}"
    );
}

#[tokio::test]
async fn an_import_from_a_volume_missing_its_file_ends_failed_with_the_reason() {
    let h = Emulator::builder()
        .manual_clock()
        .job_duration(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let c = emulator_client(&h);
    c.create_volume(&NewVolume::managed(PROJECT, REGION, "vol"))
        .await
        .unwrap();
    let target = CloudTarget::project(PROJECT, REGION);
    let paths = vec![vec!["data/1.parquet".to_owned()]];
    let job = CreateImportJob::from_volume(target, "medium_articles", "vol", paths);
    let created = c.create_import_job(job).await.unwrap();
    h.advance(Duration::from_secs(10));
    let progress = c
        .describe_import_job(&Target::project(PROJECT, REGION), &created.job_id)
        .await
        .unwrap();
    assert_eq!(progress.state, ImportState::Failed);
    assert_eq!(
        progress.reason.as_deref(),
        Some(
            "failed to get file size of data/1.parquet: NoSuchKey: The specified key does not exist."
        )
    );
}

/// A volume's temporary credentials, handed out by the emulator's apply,
/// appear nowhere at trace level: not in the answer's Debug or JSON, nor
/// in a later error whose server text echoes them (the client learned
/// them), nor in the emulator's request log of create and apply.
#[test]
fn a_volumes_temporary_credentials_leak_nothing_at_trace_level() {
    let ((credentials, texts, recorded), trace) = traced(async || {
        let h = Emulator::builder().manual_clock().start().await.unwrap();
        let c = emulator_client(&h);
        let volume = NewVolume::managed(PROJECT, REGION, "vol");
        c.create_volume(&volume).await.unwrap();
        let up = c.apply_volume("vol", "data/").await;
        let mut texts = vec![describe_result(&up)];
        let up = up.unwrap();
        texts.push(serde_json::to_string(&up).unwrap());
        let creds = &up.credentials;
        let credentials = [
            creds.tmp_ak.expose_secret().to_owned(),
            creds.tmp_sk.expose_secret().to_owned(),
            creds.session_token.expose_secret().to_owned(),
        ];
        // What the emulator recorded of create and apply (not the answer).
        let recorded = format!("{:?}", h.requests());
        // A name holding them: refused by the server, which quotes it.
        let echoed = format!("x{}", credentials.join("-"));
        texts.push(describe_result(&c.describe_volume(&echoed).await));
        (credentials, texts, recorded)
    });
    for secret in &credentials {
        assert!(
            !trace.contains(secret.as_str()),
            "trace leaks {secret}: {trace}"
        );
        assert!(
            !recorded.contains(secret.as_str()),
            "the log leaks {secret}"
        );
        for text in &texts {
            assert!(!text.contains(secret.as_str()), "{secret} in {text}");
        }
    }
    assert!(trace.contains("apply_volume"), "{trace}");
}
