//! The control plane's volumes: create, list, describe, delete and apply
//! (`bulk-writer-reference.md` §3.1-3.2, `import-api-deployments.md`
//! "Volumes (control plane)"), kept in memory, their files in the local
//! S3 endpoint of `volume_storage.rs`.
//!
//! The rules the emulator applies, with where each comes from:
//!
//! - create takes `projectId`, `regionId` and `volumeName` (§3.1); the
//!   project must be one the emulator serves in that region, as for an
//!   import (80000 otherwise);
//! - `type` is MANAGED unless given (§3.1: "optionally `type`");
//!   EXTERNAL needs `storageIntegrationId` (§3.1: "(EXTERNAL)"), which a
//!   MANAGED volume does not take; `path` must end with `/` (§3.1);
//! - names are unique: describe, delete and apply name a volume alone, with
//!   no project, so one name is one volume. Their form (1 to 64 letters,
//!   digits, `_` and `-`) is the emulator's assumption, as is the bound of
//!   [`MAX_VOLUMES`];
//! - apply's `path` is a normalized folder: relative, ending with `/`, with
//!   no `..` and no empty or `.` part (§3.1, as the SDKs check it);
//! - list pages as the import job list does (96008, 96009), in name order;
//! - every refusal is code 80000 `invalid parameter: …`: the docs name no
//!   volume codes.
//!
//! Apply answers the local endpoint (`http://127.0.0.1:PORT`), the bucket
//! [`BUCKET`], region `us-east-1`, cloud `aws`, the prefix `<volume>/`, the
//! builder's `condition`, and fresh keys valid for the builder's lifetime
//! on the emulator's clock. The emulator does not enforce `condition`
//! itself: the client checks it before sending (§3.2).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::call::{Call, Endpoint, Handled, Page};
use crate::codes;
use crate::reply::Reply;
use crate::rules;
use crate::shared::lock;
use crate::spec::types;
use crate::volume_storage::{BUCKET, Grant, REGION};

/// The most volumes the emulator holds, so that no client can make it grow
/// without bound.
pub(crate) const MAX_VOLUMES: usize = 10_000;

/// A volume as created.
#[derive(Debug, Clone)]
pub(crate) struct VolumeRecord {
    project_id: String,
    region_id: String,
    kind: &'static str,
    storage_integration_id: Option<String>,
    path: Option<String>,
    created_at: Duration,
}

/// The volumes, by name.
#[derive(Debug, Default)]
pub(crate) struct Volumes(BTreeMap<String, VolumeRecord>);

impl Volumes {
    /// The prefix in [`BUCKET`] of a volume the emulator holds.
    pub(crate) fn prefix(&self, name: &str) -> Option<String> {
        self.0.contains_key(name).then(|| format!("{name}/"))
    }
}

/// What the limits of one upload and the credentials' lifetime are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VolumeSettings {
    pub(crate) credentials_lifetime: Duration,
    pub(crate) max_content_length: i64,
    pub(crate) max_file_number: Option<i64>,
}

pub(crate) fn handle(call: &Call<'_>, endpoint: Endpoint) -> Handled {
    match endpoint {
        Endpoint::CreateVolume => create(call),
        Endpoint::ListVolumes => list(call),
        Endpoint::DescribeVolume => describe(call),
        Endpoint::DeleteVolume => delete(call),
        Endpoint::ApplyVolume => apply(call),
        _ => Err(Reply::http(StatusCode::NOT_FOUND, "no such endpoint")),
    }
}

fn bad(message: impl AsRef<str>) -> Reply {
    Reply::err(
        codes::BAD_PARAMETER,
        format!("invalid parameter: {}", message.as_ref()),
    )
}

/// A string field (a number is taken as its text); `""` and `null` are unset.
fn text(body: &Map<String, Value>, field: &str) -> Result<Option<String>, Reply> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(bad(format!("{field} must be a string"))),
    }
}

fn required(body: &Map<String, Value>, field: &str) -> Result<String, Reply> {
    text(body, field)?.ok_or_else(|| bad(format!("{field} is required")))
}

fn name_problem(name: &str) -> Option<&'static str> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    (name.is_empty() || name.len() > 64 || !name.chars().all(allowed))
        .then_some("volumeName is 1 to 64 letters, digits, `_` and `-`")
}

fn not_found(name: &str) -> Reply {
    bad(format!("volume '{name}' does not exist"))
}

fn known_project(call: &Call<'_>, project: &str, region: &str) -> Result<(), Reply> {
    let key = (project.to_owned(), region.to_owned());
    if call.shared.config.projects.contains(&key) {
        return Ok(());
    }
    Err(bad(format!(
        "project '{project}' in region '{region}' does not exist"
    )))
}

fn create(call: &Call<'_>) -> Handled {
    let body = call.body;
    let project = required(body, "projectId")?;
    let region = required(body, "regionId")?;
    let name = required(body, "volumeName")?;
    if let Some(problem) = name_problem(&name) {
        return Err(bad(problem));
    }
    known_project(call, &project, &region)?;
    let kind = match text(body, "type")?.as_deref() {
        None | Some("MANAGED") => "MANAGED",
        Some("EXTERNAL") => "EXTERNAL",
        Some(other) => return Err(bad(format!("type is MANAGED or EXTERNAL, not '{other}'"))),
    };
    let integration = text(body, "storageIntegrationId")?;
    match (kind, &integration) {
        ("EXTERNAL", None) => return Err(bad("an EXTERNAL volume needs storageIntegrationId")),
        ("MANAGED", Some(_)) => {
            return Err(bad("storageIntegrationId is for EXTERNAL volumes"));
        }
        _ => {}
    }
    let path = text(body, "path")?;
    if path.as_ref().is_some_and(|p| !p.ends_with('/')) {
        return Err(bad("path must end with `/`"));
    }
    let mut volumes = lock(&call.shared.volumes);
    if volumes.0.contains_key(&name) {
        return Err(bad(format!("volume '{name}' already exists")));
    }
    if volumes.0.len() >= MAX_VOLUMES {
        return Err(bad(format!("at most {MAX_VOLUMES} volumes")));
    }
    let record = VolumeRecord {
        project_id: project,
        region_id: region,
        kind,
        storage_integration_id: integration,
        path,
        created_at: call.shared.clock.now(),
    };
    volumes.0.insert(name.clone(), record);
    Ok(Reply::ok(&types::VolumeNameResponseData {
        volume_name: Some(name),
        extra: Map::new(),
    }))
}

fn view(call: &Call<'_>, name: &str, v: &VolumeRecord) -> types::Volume {
    types::Volume {
        volume_name: Some(name.to_owned()),
        type_: Some(v.kind.to_owned()),
        region_id: Some(v.region_id.clone()),
        storage_integration_id: v.storage_integration_id.clone(),
        path: v.path.clone(),
        status: Some("RUNNING".to_owned()),
        create_time: Some(call.shared.clock.rfc3339(v.created_at)),
        extra: Map::new(),
    }
}

/// The query's parameters, decoded (the last of a repeated one wins).
fn query(call: &Call<'_>) -> BTreeMap<String, String> {
    let query = call.uri.query().unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn number(query: &BTreeMap<String, String>, field: &str, default: i64) -> Result<i64, Reply> {
    match query.get(field).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| bad(format!("{field} must be an integer"))),
    }
}

fn list(call: &Call<'_>) -> Handled {
    let query = query(call);
    let project = query
        .get("projectId")
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| bad("projectId is required"))?;
    if !call
        .shared
        .config
        .projects
        .iter()
        .any(|(p, _)| p == project)
    {
        return Err(bad(format!("project '{project}' does not exist")));
    }
    let page = Page::checked(
        number(&query, "pageSize", rules::DEFAULT_PAGE_SIZE)?,
        number(&query, "currentPage", 1)?,
    )?;
    let kind = query.get("type").filter(|t| !t.is_empty());
    if let Some(kind) = kind.filter(|k| !["MANAGED", "EXTERNAL"].contains(&k.as_str())) {
        return Err(bad(format!("type is MANAGED or EXTERNAL, not '{kind}'")));
    }
    let volumes = lock(&call.shared.volumes);
    let matching = (volumes.0.iter())
        .filter(|(_, v)| &v.project_id == project && kind.is_none_or(|k| k == v.kind));
    let count = matching.clone().count();
    let volumes_page = page.of(matching);
    let listed = volumes_page.map(|(name, v)| view(call, name, v)).collect();
    Ok(Reply::ok(&types::VolumeListData {
        count: Some(i64::try_from(count).unwrap_or(i64::MAX)),
        current_page: Some(page.number),
        page_size: Some(page.size),
        volumes: Some(listed),
        extra: Map::new(),
    }))
}

/// The volume the path names (`/v2/volumes/{volumeName}`), its `%XX`
/// escapes decoded; one that does not decode to UTF-8 names no volume.
fn path_name(call: &Call<'_>) -> String {
    let raw = call.uri.path().rsplit('/').next().unwrap_or_default();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut rest = raw.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        let hex = (tail.get(..2))
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(decoded) if b == b'%' => {
                bytes.push(decoded);
                rest = &tail[2..];
            }
            _ => {
                bytes.push(b);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

fn describe(call: &Call<'_>) -> Handled {
    let name = path_name(call);
    let volumes = lock(&call.shared.volumes);
    let v = volumes.0.get(&name).ok_or_else(|| not_found(&name))?;
    Ok(Reply::ok(&view(call, &name, v)))
}

fn delete(call: &Call<'_>) -> Handled {
    let name = path_name(call);
    let shared = call.shared;
    if lock(&shared.volumes).0.remove(&name).is_none() {
        return Err(not_found(&name));
    }
    shared.grants.revoke(&name);
    shared.storage.remove(&name);
    Ok(Reply::ok(&types::VolumeNameResponseData {
        volume_name: Some(name),
        extra: Map::new(),
    }))
}

/// Why `path` is no folder of a volume, as the SDKs check it.
pub(crate) fn folder_problem(path: &str) -> Option<&'static str> {
    let body = path.strip_suffix('/')?;
    if path.starts_with('/') {
        return Some("path must be relative, without a leading `/`");
    }
    if body.split('/').any(|part| part == "..") {
        return Some("path must not hold `..`");
    }
    if body.split('/').any(|part| part.is_empty() || part == ".") || path.contains('\\') {
        return Some("path must be normalized: no empty or `.` part, no `\\`");
    }
    None
}

fn apply(call: &Call<'_>) -> Handled {
    let body = call.body;
    let name = required(body, "volumeName")?;
    let path = required(body, "path")?;
    if !path.ends_with('/') {
        return Err(bad("path must end with `/`"));
    }
    if let Some(problem) = folder_problem(&path) {
        return Err(bad(problem));
    }
    let shared = call.shared;
    let prefix = lock(&shared.volumes)
        .prefix(&name)
        .ok_or_else(|| not_found(&name))?;
    let settings = shared.config.volumes;
    let condition = types::VolumeUploadCondition {
        max_content_length: Some(settings.max_content_length),
        max_file_number: settings.max_file_number,
        extra: Map::new(),
    };
    if let (Some(store), Some(issued)) = (&shared.config.external, &call.issued) {
        return Ok(Reply::ok(&types::VolumeUpload {
            volume_name: name,
            endpoint: store.endpoint.clone(),
            bucket_name: store.bucket.clone(),
            region: store.region.clone(),
            cloud: "aws".to_owned(),
            upload_path: Some(format!("{prefix}{path}")),
            volume_prefix: prefix,
            condition,
            credentials: types::TemporaryCredentials {
                tmp_ak: types::TemporarySecret(issued.access_key.clone()),
                tmp_sk: types::TemporarySecret(issued.secret_key.clone()),
                session_token: types::TemporarySecret(issued.session_token.clone()),
                expire_time: issued.expire_time.clone(),
                extra: Map::new(),
            },
            extra: Map::new(),
        }));
    }
    let now = shared.clock.now();
    let expires_at = now.saturating_add(settings.credentials_lifetime);
    let access_key = format!("ASIA{}", random_text(16).to_uppercase());
    let grant = Grant {
        secret_key: random_text(40),
        session_token: random_text(96),
        volume: name.clone(),
        prefix: format!("{prefix}{path}"),
        expires_at,
    };
    let credentials = types::TemporaryCredentials {
        tmp_ak: types::TemporarySecret(access_key.clone()),
        tmp_sk: types::TemporarySecret(grant.secret_key.clone()),
        session_token: types::TemporarySecret(grant.session_token.clone()),
        expire_time: shared.clock.rfc3339(expires_at),
        extra: Map::new(),
    };
    let upload_path = grant.prefix.clone();
    shared.grants.add(access_key, grant, now);
    Ok(Reply::ok(&types::VolumeUpload {
        volume_name: name,
        volume_prefix: prefix,
        endpoint: shared.config.storage_url.clone(),
        bucket_name: BUCKET.to_owned(),
        region: REGION.to_owned(),
        cloud: "aws".to_owned(),
        upload_path: Some(upload_path),
        condition,
        credentials,
        extra: Map::new(),
    }))
}

/// `n` random letters and digits.
fn random_text(n: usize) -> String {
    (0..n).map(|_| fastrand::alphanumeric()).collect()
}
