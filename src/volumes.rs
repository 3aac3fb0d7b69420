//! Volumes: storage on the Zilliz Cloud control plane to upload data files
//! into before an import names them (`volumeName` + `dataPaths`).
//!
//! Create, list, describe and delete manage them; apply hands out where
//! and how to upload under a folder of one: the storage's endpoint and
//! bucket, the limits of one upload, and temporary credentials, which are
//! secrets ([`crate::TemporarySecret`]) that the client's scrubber learns
//! at once, so no later error or log of it shows them.
//!
//! Only the control plane serves volumes. A client whose token is
//! `user:password` (open-source Milvus, or a cluster endpoint; the control
//! plane takes API keys) is refused before sending. Reads (list, describe,
//! apply) are retried as describe is; create and delete only when they
//! cannot have been delivered, since a repeat would answer that the name is
//! taken or the volume gone where the first attempt succeeded.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::{
    Client, Error,
    checks::{check_page, not_blank, not_blank_if_set},
    generated::types::{self, Volume, VolumeListData, VolumeType, VolumeUpload},
    limits,
    redact::Scrubber,
};

/// A volume to create: MANAGED (storage Zilliz Cloud keeps) or EXTERNAL (a
/// path in the user's bucket, through a storage integration).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct NewVolume {
    project_id: String,
    region_id: String,
    name: String,
    kind: VolumeType,
    storage_integration_id: Option<String>,
    path: Option<String>,
}

impl NewVolume {
    /// A MANAGED volume in a project's region (such as `aws-us-west-2`).
    pub fn managed(project_id: &str, region_id: &str, name: &str) -> Self {
        NewVolume {
            project_id: project_id.to_owned(),
            region_id: region_id.to_owned(),
            name: name.to_owned(),
            kind: VolumeType::Managed,
            storage_integration_id: None,
            path: None,
        }
    }

    /// An EXTERNAL volume: the user's bucket, reached through the storage
    /// integration `storage_integration_id`, which such a volume needs.
    pub fn external(
        project_id: &str,
        region_id: &str,
        name: &str,
        storage_integration_id: &str,
    ) -> Self {
        NewVolume {
            kind: VolumeType::External,
            storage_integration_id: Some(storage_integration_id.to_owned()),
            ..NewVolume::managed(project_id, region_id, name)
        }
    }

    /// An EXTERNAL volume's folder in the bucket, ending with `/`.
    pub fn path(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }
}

/// Which volumes to list: a project's, optionally of one type, a page at a
/// time (the first page of 10 unless told).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ListVolumes {
    project_id: String,
    kind: Option<VolumeType>,
    page: u32,
    page_size: u32,
}

impl ListVolumes {
    /// A project's volumes, the first page of 10.
    pub fn new(project_id: &str) -> Self {
        ListVolumes {
            project_id: project_id.to_owned(),
            kind: None,
            page: 1,
            page_size: limits::DEFAULT_PAGE_SIZE,
        }
    }

    /// Only volumes of this type.
    pub fn kind(mut self, kind: VolumeType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// The page, from 1.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// Volumes per page, 1 to 100.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }
}

impl Client {
    /// Creates a volume. Refused before sending: blank ids or name, an
    /// EXTERNAL volume's blank integration, a path that does not end with
    /// `/`. A write: retried only when it cannot have been delivered.
    pub async fn create_volume(&self, volume: &NewVolume) -> Result<(), Error> {
        self.check_volumes()?;
        not_blank("projectId", &volume.project_id)?;
        not_blank("regionId", &volume.region_id)?;
        not_blank("volumeName", &volume.name)?;
        let integration = volume.storage_integration_id.as_deref();
        not_blank_if_set("storageIntegrationId", integration)?;
        if let Some(path) = &volume.path {
            check_folder("path", path)?;
        }
        let body = types::CreateVolumeRequest::builder()
            .project_id(volume.project_id.clone())
            .region_id(volume.region_id.clone())
            .volume_name(volume.name.clone())
            .type_(Some(volume.kind))
            .storage_integration_id(volume.storage_integration_id.clone())
            .path(volume.path.clone());
        let send = self.raw().create_volume().body(body).send();
        self.send(None, &|| self.scrubber(), Box::pin(send)).await?;
        Ok(())
    }

    /// One page of a project's volumes; the page and its size are checked
    /// before sending. Every string of the answer is scrubbed, as a job
    /// list's is.
    pub async fn list_volumes(&self, request: &ListVolumes) -> Result<VolumeListData, Error> {
        self.check_volumes()?;
        not_blank("projectId", &request.project_id)?;
        check_page(request.page, request.page_size)?;
        let mut send = (self.raw().list_volumes())
            .project_id(request.project_id.clone())
            .current_page(request.page)
            .page_size(request.page_size);
        if let Some(kind) = request.kind {
            send = send.type_(kind);
        }
        let send = send.send();
        let (page, _) = self.send(None, &|| self.scrubber(), Box::pin(send)).await?;
        Ok(scrubbed(page, &self.scrubber()))
    }

    /// One volume; its strings scrubbed, as a job's are.
    pub async fn describe_volume(&self, name: &str) -> Result<Volume, Error> {
        self.check_volumes()?;
        not_blank("volumeName", name)?;
        let send = self.raw().describe_volume().volume_name(name).send();
        let (volume, _) = self.send(None, &|| self.scrubber(), Box::pin(send)).await?;
        Ok(scrubbed(volume, &self.scrubber()))
    }

    /// Deletes a volume and what it holds. A write: retried only when it
    /// cannot have been delivered.
    pub async fn delete_volume(&self, name: &str) -> Result<(), Error> {
        self.check_volumes()?;
        not_blank("volumeName", name)?;
        let send = self.raw().delete_volume().volume_name(name).send();
        self.send(None, &|| self.scrubber(), Box::pin(send)).await?;
        Ok(())
    }

    /// Where and how to upload under the folder `path` of a volume, with
    /// temporary credentials. `path` is checked as the SDKs check it: a
    /// normalized folder, relative, ending with `/`, without `..`; a wrong
    /// one sends nothing. The answer is kept as sent (its endpoint and
    /// bucket are to connect to); the credentials are learned by this
    /// client's scrubber.
    pub async fn apply_volume(&self, name: &str, path: &str) -> Result<VolumeUpload, Error> {
        self.check_volumes()?;
        not_blank("volumeName", name)?;
        check_folder("path", path)?;
        let body = types::ApplyVolumeRequest::builder()
            .volume_name(name)
            .path(path);
        let send = self.raw().apply_volume().body(body).send();
        let (upload, _) = self.send(None, &|| self.scrubber(), Box::pin(send)).await?;
        let credentials = &upload.credentials;
        self.learn_secrets(&[
            credentials.tmp_ak.expose_secret(),
            credentials.tmp_sk.expose_secret(),
            credentials.session_token.expose_secret(),
        ]);
        Ok(upload)
    }

    /// Volumes are the control plane's: a `user:password` token is Milvus's
    /// or a cluster endpoint's, so nothing is sent with it.
    fn check_volumes(&self) -> Result<(), Error> {
        if self.has_user_password() {
            return Err(Error::invalid(
                "baseUrl",
                "volumes are served by the Zilliz Cloud control plane only, with an API key; \
                 a `user:password` token is for open-source Milvus or a cluster endpoint",
            ));
        }
        Ok(())
    }
}

/// A folder in a volume as the SDKs take it: `data/2024/`, not `/data/`,
/// `data`, `a//b/`, `./a/` or `a/../b/`. Named by what is wrong with it.
fn check_folder(field: &'static str, path: &str) -> Result<(), Error> {
    let wrong = |reason: &str| Err(Error::invalid(field, format!("`{path}`: {reason}")));
    if path.trim().is_empty() {
        return wrong("give a folder of the volume, such as `data/`");
    }
    if path.starts_with('/') {
        return wrong("a folder of the volume is relative: drop the leading `/`");
    }
    if !path.ends_with('/') {
        return wrong("a folder ends with `/`");
    }
    if path.chars().any(|c| c.is_control() || c == '\\') {
        return wrong("control characters and `\\` are refused");
    }
    let segments = path[..path.len() - 1].split('/');
    for segment in segments {
        match segment {
            ".." => return wrong("`..` is refused"),
            "" | "." => return wrong("not normalized: no empty or `.` part"),
            _ => {}
        }
    }
    Ok(())
}

/// `value` with every string in it scrubbed, as describe and list answers
/// of jobs are: what the server sends may echo a secret.
fn scrubbed<T: Serialize + DeserializeOwned>(value: T, scrubber: &Scrubber) -> T {
    fn walk(value: &mut Value, scrubber: &Scrubber) {
        match value {
            Value::String(s) => *s = scrubber.scrub(s),
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, scrubber)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, scrubber)),
            _ => {}
        }
    }
    let Ok(mut json) = serde_json::to_value(&value) else {
        return value;
    };
    walk(&mut json, scrubber);
    serde_json::from_value(json).unwrap_or(value)
}
