//! The table of the agreement test: requests as JSON bodies, each on a
//! deployment, with what both sides are expected to do.

use serde_json::{Value, json};

/// The emulator's default cluster and project.
pub(super) const CLUSTER: &str = "in01-emulator";
const PROJECT: &str = "proj-emulator";
const REGION: &str = "aws-us-west-2";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Deployment {
    Cluster,
    Project,
    Milvus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Create,
    Describe,
    List,
    /// `collections/describe` (Milvus; a cluster endpoint).
    DescribeCollection,
    /// A volume's apply, on the control plane's volume [`VOLUME`].
    ApplyVolume,
}

/// The volume the cloud emulator holds for the apply rows.
pub(super) const VOLUME: &str = "agreement_volume";

/// What a row expects of the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    /// Both send it / take it.
    Accepted,
    /// Both refuse it.
    Refused,
    /// A known gap: the client refuses what the service takes, for this reason.
    ClientOnly(&'static str),
    /// A known gap: the client sends what the service refuses, for this reason.
    EmulatorOnly(&'static str),
}

use Deployment::{Cluster, Milvus, Project};
use Expect::{Accepted, ClientOnly, EmulatorOnly, Refused};

pub(super) struct Row {
    pub(super) name: &'static str,
    pub(super) deployment: Deployment,
    pub(super) op: Op,
    /// The body as sent on the wire.
    pub(super) body: Value,
    /// The `Idempotency-Key` header, if any.
    pub(super) key: Option<String>,
    pub(super) expect: Expect,
}

/// A create on `deployment`: `body` gets the target's ids (a row that
/// names its own keeps them).
fn create(name: &'static str, deployment: Deployment, body: Value, expect: Expect) -> Row {
    let mut body = body;
    let ids = match deployment {
        Cluster => json!({"clusterId": CLUSTER}),
        Project => json!({"projectId": PROJECT, "regionId": REGION}),
        Milvus => json!({}),
    };
    for (k, v) in ids.as_object().expect("object") {
        body.as_object_mut()
            .expect("object")
            .entry(k.clone())
            .or_insert(v.clone());
    }
    Row {
        name,
        deployment,
        op: Op::Create,
        body,
        key: None,
        expect,
    }
}

/// The seed's create, with `key` as its `Idempotency-Key`.
fn keyed(name: &'static str, deployment: Deployment, key: String, expect: Expect) -> Row {
    let body = match deployment {
        Milvus => json!({"collectionName": "c", "files": [["a.parquet"]]}),
        _ => json!({"collectionName": "c", "objectUrl": "s3://b/a.json"}),
    };
    Row {
        key: Some(key),
        ..create(name, deployment, body, expect)
    }
}

/// `n` groups of one file each: object URLs, or (`paths`) plain paths.
fn groups(n: usize, paths: bool) -> Value {
    (0..n)
        .map(|i| match paths {
            true => json!([format!("d/{i}.parquet")]),
            false => json!([format!("s3://b/{i}.parquet")]),
        })
        .collect()
}

/// Why the client and the service differ where they do.
const EMPTY_GROUPS: &str = "the server drops empty groups (as Milvus's proxy does); the client \
                            refuses them as a likely mistake";
const MILVUS_IGNORES: &str = "Milvus reads five fields and ignores the rest; the client refuses \
                              control-plane fields sent to it";
const UNREAD_OPTIONS: &str = "the server ignores option keys it does not read; the client \
                              refuses an empty one";
const GO_DURATIONS: &str = "the server reads `timeout` as Go's time.ParseDuration; the client \
                            takes one positive number and one unit only";
const EMPTY_KEY: &str = "the server reads an empty Idempotency-Key header as none; the client \
                         refuses an empty key";
const AUTO_COMMIT: &str = "the server reads `auto_commit` as Go's strconv.ParseBool and refuses \
                           anything else; the client sends any value";

/// Every row.
pub(super) fn rows() -> Vec<Row> {
    let obj = |url: &str| json!({"collectionName": "c", "objectUrl": url});
    let files = |f: Value| json!({"collectionName": "c", "files": f});
    let with = |mut body: Value, extra: Value| {
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    let seed = obj("s3://b/a.json");
    let mut rows = vec![
        // ---------------------------------------------------- accepted
        create("the seed's create", Cluster, seed.clone(), Accepted),
        create(
            "object URL groups, a NumPy group of two",
            Cluster,
            json!({"collectionName": "c", "objectUrls": [["s3://b/a.json"], ["s3://b/id.npy", "s3://b/vec.npy"]]}),
            Accepted,
        ),
        create(
            "a volume on a project",
            Project,
            json!({"collectionName": "c", "volumeName": "v", "dataPaths": [["a.parquet"]]}),
            Accepted,
        ),
        create(
            "partition, database, options and credentials",
            Cluster,
            with(
                seed.clone(),
                json!({"partitionName": "p", "dbName": "analytics", "accessKey": "AK",
                       "secretKey": "SK", "token": "T",
                       "options": {"timeout": "300s", "auto_commit": "false", "sep": ","}}),
            ),
            Accepted,
        ),
        create(
            "an option the server does not read",
            Cluster,
            with(seed.clone(), json!({"options": {"foo": "bar"}})),
            Accepted,
        ),
        create(
            "1,000 groups",
            Cluster,
            json!({"collectionName": "c", "objectUrls": groups(1000, false)}),
            Accepted,
        ),
        create(
            "Milvus files and options",
            Milvus,
            json!({"collectionName": "c", "dbName": "analytics",
                   "files": [["a.parquet"], ["id.npy", "vec.npy"]],
                   "options": {"timeout": "1.5h", "auto_commit": "true"}}),
            Accepted,
        ),
        create(
            "Milvus, 1,024 groups",
            Milvus,
            files(groups(1024, true)),
            Accepted,
        ),
        // ----------------------------------------------------- refused
        create(
            "no source",
            Cluster,
            json!({"collectionName": "c"}),
            Refused,
        ),
        create(
            "an object URL and a volume",
            Project,
            with(
                obj("s3://b/a.json"),
                json!({"volumeName": "v", "dataPaths": [["a.json"]]}),
            ),
            Refused,
        ),
        create(
            "objectUrl and objectUrls",
            Cluster,
            with(seed.clone(), json!({"objectUrls": [["s3://b/b.json"]]})),
            Refused,
        ),
        create(
            "files on a cluster",
            Cluster,
            files(json!([["a.json"]])),
            Refused,
        ),
        create(
            "1,001 groups",
            Cluster,
            json!({"collectionName": "c", "objectUrls": groups(1001, false)}),
            Refused,
        ),
        create(
            "a blank cluster id",
            Cluster,
            with(seed.clone(), json!({"clusterId": "  "})),
            Refused,
        ),
        create(
            "a blank region",
            Project,
            with(seed.clone(), json!({"regionId": " "})),
            Refused,
        ),
        create(
            "a blank collection name",
            Cluster,
            with(seed.clone(), json!({"collectionName": " "})),
            Refused,
        ),
        create(
            "a blank partition",
            Cluster,
            with(seed.clone(), json!({"partitionName": "  "})),
            Refused,
        ),
        create(
            "two Parquet files in a group",
            Cluster,
            json!({"collectionName": "c", "objectUrls": [["s3://b/1.parquet", "s3://b/2.parquet"]]}),
            Refused,
        ),
        create(
            "a blank path in a group",
            Cluster,
            json!({"collectionName": "c", "objectUrls": [["s3://b/id.npy", " "]]}),
            Refused,
        ),
        create(
            "an object URL that is not a URL",
            Cluster,
            obj("bucket/a.json"),
            Refused,
        ),
        create(
            "an access key without its secret key",
            Cluster,
            with(seed.clone(), json!({"accessKey": "AK"})),
            Refused,
        ),
        create(
            "a token without keys",
            Cluster,
            with(seed.clone(), json!({"token": "T"})),
            Refused,
        ),
        create(
            "credentials with a volume",
            Project,
            json!({"collectionName": "c", "volumeName": "v", "dataPaths": [["a.json"]],
                   "accessKey": "AK", "secretKey": "SK"}),
            Refused,
        ),
        create(
            "a volume without data paths",
            Project,
            json!({"collectionName": "c", "volumeName": "v"}),
            Refused,
        ),
        create(
            "a timeout that is no duration",
            Cluster,
            with(seed.clone(), json!({"options": {"timeout": "soon"}})),
            Refused,
        ),
        create(
            "Milvus without files",
            Milvus,
            json!({"collectionName": "c"}),
            Refused,
        ),
        create(
            "Milvus, 1,025 groups",
            Milvus,
            files(groups(1025, true)),
            Refused,
        ),
        create(
            "Milvus, two CSV files in a group",
            Milvus,
            files(json!([["a.csv", "b.csv"]])),
            Refused,
        ),
        create(
            "Milvus, a blank collection",
            Milvus,
            json!({"collectionName": "", "files": [["a.json"]]}),
            Refused,
        ),
        create(
            "Milvus, a blank database",
            Milvus,
            json!({"collectionName": "c", "dbName": "  ", "files": [["a.json"]]}),
            Refused,
        ),
        create(
            "Milvus, a timeout that is no duration",
            Milvus,
            json!({"collectionName": "c", "files": [["a.json"]], "options": {"timeout": "5 min"}}),
            Refused,
        ),
        // ------------------------------------------------------- gaps
        create(
            "an empty group",
            Cluster,
            json!({"collectionName": "c", "objectUrls": [["s3://b/a.json"], []]}),
            ClientOnly(EMPTY_GROUPS),
        ),
        create(
            "Milvus, an empty group",
            Milvus,
            files(json!([["a.json"], []])),
            ClientOnly(EMPTY_GROUPS),
        ),
        create(
            "Milvus, files and an object URL",
            Milvus,
            json!({"collectionName": "c", "files": [["a.json"]], "objectUrl": "s3://b/a.json"}),
            ClientOnly(MILVUS_IGNORES),
        ),
        create(
            "Milvus, files and storage credentials",
            Milvus,
            json!({"collectionName": "c", "files": [["a.json"]], "accessKey": "AK", "secretKey": "SK"}),
            ClientOnly(MILVUS_IGNORES),
        ),
        create(
            "an empty option key",
            Cluster,
            with(seed.clone(), json!({"options": {"": "x"}})),
            ClientOnly(UNREAD_OPTIONS),
        ),
        create(
            "a zero timeout",
            Cluster,
            with(seed.clone(), json!({"options": {"timeout": "0s"}})),
            ClientOnly(GO_DURATIONS),
        ),
        create(
            "a timeout of two units",
            Cluster,
            with(seed.clone(), json!({"options": {"timeout": "1h30m"}})),
            ClientOnly(GO_DURATIONS),
        ),
        create(
            "an auto_commit that is no bool",
            Cluster,
            with(seed.clone(), json!({"options": {"auto_commit": "maybe"}})),
            EmulatorOnly(AUTO_COMMIT),
        ),
        // ----------------------------------------- other operations
        Row {
            name: "describe, a blank job id",
            deployment: Cluster,
            op: Op::Describe,
            body: json!({"clusterId": CLUSTER, "jobId": "  "}),
            key: None,
            expect: Refused,
        },
        Row {
            name: "Milvus describe, a blank job id",
            deployment: Milvus,
            op: Op::Describe,
            body: json!({"jobId": ""}),
            key: None,
            expect: Refused,
        },
    ];
    for (size, expect) in [(1, Accepted), (100, Accepted), (0, Refused), (101, Refused)] {
        rows.push(Row {
            name: "list, a page size",
            deployment: Cluster,
            op: Op::List,
            body: json!({"clusterId": CLUSTER, "pageSize": size}),
            key: None,
            expect,
        });
    }
    for (name, body, expect) in [
        (
            "describe collection, a known one",
            json!({"collectionName": "medium_articles"}),
            Accepted,
        ),
        (
            "describe collection, in `default` named",
            json!({"dbName": "default", "collectionName": "medium_articles"}),
            Accepted,
        ),
        ("describe collection, no name", json!({}), Refused),
        (
            "describe collection, a blank name",
            json!({"collectionName": "  "}),
            Refused,
        ),
        (
            "describe collection, a blank database",
            json!({"dbName": " ", "collectionName": "medium_articles"}),
            Refused,
        ),
    ] {
        rows.push(Row {
            name,
            deployment: Milvus,
            op: Op::DescribeCollection,
            body,
            key: None,
            expect,
        });
    }
    // A volume's folder, as the SDKs check it. Left out: an unknown
    // volume (only the server knows its volumes).
    for (name, path, expect) in [
        ("apply, a folder", "data/", Accepted),
        ("apply, a nested folder", "bulk_data/run-1/", Accepted),
        ("apply, a leading `/`", "/data/", Refused),
        ("apply, no trailing `/`", "data", Refused),
        ("apply, `..`", "a/../b/", Refused),
        ("apply, an empty part", "a//b/", Refused),
        ("apply, a `.` part", "./a/", Refused),
        ("apply, a backslash", "a\\b/", Refused),
        ("apply, no path", "", Refused),
    ] {
        rows.push(Row {
            name,
            deployment: Cluster,
            op: Op::ApplyVolume,
            body: json!({"volumeName": VOLUME, "path": path}),
            key: None,
            expect,
        });
    }
    for deployment in [Cluster, Milvus] {
        rows.extend([
            keyed("a key of 256 bytes", deployment, "k".repeat(256), Accepted),
            keyed("a key of 257 bytes", deployment, "k".repeat(257), Refused),
            keyed("a key that is not ASCII", deployment, "clé".into(), Refused),
            keyed(
                "an empty key",
                deployment,
                String::new(),
                ClientOnly(EMPTY_KEY),
            ),
        ]);
    }
    rows
}
