//! `openapi.yaml` is the single source of truth: it must be valid OpenAPI
//! 3.0 and carry the documented create operation exactly as the seed page
//! (`create-import-jobs-v2.md`) writes it.

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::json;

use crate::common::{
    ABORT_PATH, CLUSTER, COLLECTION, COMMIT_PATH, CONTROL_PLANE, CONTROL_PLANE_CHINA, CREATE_PATH,
    DESCRIBE_PATH, GET_PROGRESS_PATH, JOB_ID, LIST_PATH, SEED_URL,
};

const SPEC: &str = include_str!("../../openapi.yaml");

/// The seed page's request-body table: name and description, verbatim.
const SEED_FIELDS: [(&str, &str); 6] = [
    (
        "clusterId",
        "ID of a cluster to which this operation applies.",
    ),
    (
        "collectionName",
        "Name of the target collection.Setting this to a non-existing collection results in an error.",
    ),
    (
        "partitionName",
        "Name of the partition to which this operation applies.",
    ),
    (
        "objectUrl",
        "URL of the object that stores the data to be imported.",
    ),
    (
        "accessKey",
        "Access key used to access the specified object.",
    ),
    (
        "secretKey",
        "Access secret key used to access the specified object.",
    ),
];

/// Fields documented later for the same body, then those of the other
/// deployments (serverless projects, volumes, open-source Milvus).
const LATER_FIELDS: [&str; 9] = [
    "dbName",
    "objectUrls",
    "token",
    "projectId",
    "regionId",
    "volumeName",
    "dataPaths",
    "files",
    "options",
];

fn spec() -> OpenAPI {
    serde_yaml_ng::from_str(SPEC).expect("openapi.yaml is a valid OpenAPI 3.0 document")
}

fn schema<'a>(spec: &'a OpenAPI, name: &str) -> &'a Schema {
    match &spec.components.as_ref().unwrap().schemas[name] {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { .. } => panic!("{name} is a reference"),
    }
}

fn object(schema: &Schema) -> &openapiv3::ObjectType {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => o,
        other => panic!("not an object: {other:?}"),
    }
}

fn ref_name(r: &ReferenceOr<Schema>) -> &str {
    match r {
        ReferenceOr::Reference { reference } => reference.rsplit('/').next().unwrap(),
        ReferenceOr::Item(_) => panic!("inline schema where a $ref is expected"),
    }
}

#[test]
fn spec_is_openapi_3_0_with_both_servers_and_bearer_auth() {
    let spec = spec();
    assert!(spec.openapi.starts_with("3.0."), "{}", spec.openapi);
    let servers: Vec<_> = spec.servers.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(servers, [CONTROL_PLANE, CONTROL_PLANE_CHINA]);
    let schemes = &spec.components.as_ref().unwrap().security_schemes;
    match &schemes["bearerAuth"] {
        ReferenceOr::Item(openapiv3::SecurityScheme::HTTP { scheme, .. }) => {
            assert_eq!(scheme, "bearer")
        }
        other => panic!("bearerAuth: {other:?}"),
    }
    let ops: Vec<_> = spec
        .operations()
        .map(|(path, method, op)| (path, method, op.operation_id.as_deref().unwrap()))
        .collect();
    assert_eq!(
        ops,
        [
            (CREATE_PATH, "post", "createImportJob"),
            (DESCRIBE_PATH, "post", "describeImportJob"),
            (GET_PROGRESS_PATH, "post", "getImportJobProgress"),
            (LIST_PATH, "post", "listImportJobs"),
            (COMMIT_PATH, "post", "commitImportJob"),
            (ABORT_PATH, "post", "abortImportJob"),
            (
                "/v2/vectordb/collections/describe",
                "post",
                "describeCollection"
            ),
            ("/v2/volumes/create", "post", "createVolume"),
            ("/v2/volumes", "get", "listVolumes"),
            ("/v2/volumes/{volumeName}", "get", "describeVolume"),
            ("/v2/volumes/{volumeName}", "delete", "deleteVolume"),
            ("/v2/volumes/apply", "post", "applyVolume"),
        ]
    );
}

/// Commit and abort name a job as describe does (its id, the optional
/// control-plane target, `dbName`) and answer the envelope with empty `data`.
#[test]
fn commit_and_abort_take_a_job_reference_and_answer_an_empty_envelope() {
    let spec = spec();
    for id in ["commitImportJob", "abortImportJob"] {
        let (_, _, op) = spec
            .operations()
            .find(|(_, _, op)| op.operation_id.as_deref() == Some(id))
            .unwrap();
        let ReferenceOr::Item(body) = op.request_body.as_ref().unwrap() else {
            panic!("{id}: request body is a reference")
        };
        let media = &body.content["application/json"];
        assert_eq!(
            ref_name(media.schema.as_ref().unwrap()),
            "DescribeImportJobRequest",
            "{id}"
        );
        let ReferenceOr::Item(ok) = &op.responses.responses[&openapiv3::StatusCode::Code(200)]
        else {
            panic!("{id}: 200 is a reference")
        };
        let answer = ok.content["application/json"].schema.as_ref().unwrap();
        assert_eq!(ref_name(answer), "ImportJobActionResponse", "{id}");
        assert!(
            op.parameters.iter().any(|p| matches!(p, ReferenceOr::Reference { reference } if reference.ends_with("/DbNameHeader"))),
            "{id} sends DB-Name"
        );
    }
    let request = object(schema(&spec, "DescribeImportJobRequest"));
    let names: Vec<&str> = request.properties.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["clusterId", "jobId", "projectId", "regionId", "dbName"]
    );
    assert_eq!(request.required, ["jobId"]);
    let answer = object(schema(&spec, "ImportJobActionResponse"));
    let names: Vec<&str> = answer.properties.keys().map(String::as_str).collect();
    assert_eq!(names, ["code", "message", "data"]);
    assert_eq!(answer.required, ["code"]);
}

#[test]
fn create_carries_exactly_the_seed_fields_with_the_seed_names() {
    let spec = spec();
    let (_, _, op) = spec
        .operations()
        .find(|(_, _, op)| op.operation_id.as_deref() == Some("createImportJob"))
        .unwrap();
    let ReferenceOr::Item(body) = op.request_body.as_ref().unwrap() else {
        panic!("request body is a reference")
    };
    let media = &body.content["application/json"];
    assert_eq!(
        ref_name(media.schema.as_ref().unwrap()),
        "CreateImportJobRequest"
    );

    let request = object(schema(&spec, "CreateImportJobRequest"));
    let names: Vec<&str> = request.properties.keys().map(String::as_str).collect();
    let expected: Vec<&str> = SEED_FIELDS
        .iter()
        .map(|(n, _)| *n)
        .chain(LATER_FIELDS)
        .collect();
    assert_eq!(
        names, expected,
        "exactly the seed's fields, then the later ones"
    );
    // The seed marks clusterId required; the union of the deployments
    // makes it one target among three, so the typed layer requires it of a
    // cluster target (`CreateImportJob::new` always sends it).
    assert_eq!(request.required, ["collectionName"]);
    for (name, description) in SEED_FIELDS {
        let ReferenceOr::Item(field) = &request.properties[name] else {
            panic!("{name} is a reference")
        };
        assert_eq!(
            field.schema_data.description.as_deref(),
            Some(description),
            "{name}"
        );
        assert!(
            matches!(field.schema_kind, SchemaKind::Type(Type::String(_))),
            "{name} is a string"
        );
    }

    // The seed's example request, verbatim.
    assert_eq!(
        serde_json::to_value(media.example.as_ref().unwrap()).unwrap(),
        json!({
            "clusterId": CLUSTER,
            "collectionName": COLLECTION,
            "partitionName": "",
            "objectUrl": SEED_URL,
            "accessKey": "",
            "secretKey": ""
        })
    );

    // The seed's example response, and the envelope as a $ref with code required.
    let ReferenceOr::Item(ok) = &op.responses.responses[&openapiv3::StatusCode::Code(200)] else {
        panic!("200 is a reference")
    };
    let ok = &ok.content["application/json"];
    assert_eq!(
        ref_name(ok.schema.as_ref().unwrap()),
        "CreateImportJobResponse"
    );
    let ReferenceOr::Item(success) = &ok.examples["success"] else {
        panic!()
    };
    assert_eq!(
        serde_json::to_value(success.value.as_ref().unwrap()).unwrap(),
        json!({"code": 0, "data": {"jobId": JOB_ID}})
    );
    // A create's success envelope requires its `data` (and that its
    // `jobId`): an answer that decodes as it is complete, so the client
    // reads it once (src/hooks.rs). An error decodes as `ErrorEnvelope`.
    for (envelope, required) in [
        ("CreateImportJobResponse", &["code", "data"][..]),
        ("DescribeImportJobResponse", &["code"]),
        ("ListImportJobsResponse", &["code"]),
    ] {
        let o = object(schema(&spec, envelope));
        assert_eq!(o.required, required, "{envelope}");
        let keys: Vec<_> = o.properties.keys().map(String::as_str).collect();
        assert_eq!(keys, ["code", "message", "data"], "{envelope}");
    }
}

#[test]
fn row_and_byte_counts_are_64_bit_and_state_is_an_open_string() {
    let spec = spec();
    for (schema_name, field) in [
        ("ImportJobProgressData", "totalRows"),
        ("ImportJobProgressData", "fileSize"),
        ("ImportJobFileDetail", "totalRows"),
        ("ImportJobFileDetail", "fileSize"),
    ] {
        let ReferenceOr::Item(f) = &object(schema(&spec, schema_name)).properties[field] else {
            panic!()
        };
        let SchemaKind::Type(Type::Integer(i)) = &f.schema_kind else {
            panic!("{schema_name}.{field} is not an integer")
        };
        assert_eq!(
            i.format,
            openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int64),
            "{schema_name}.{field}"
        );
    }
    let ReferenceOr::Item(state) =
        &object(schema(&spec, "ImportJobProgressData")).properties["state"]
    else {
        panic!()
    };
    let SchemaKind::Type(Type::String(s)) = &state.schema_kind else {
        panic!("state is not a string")
    };
    assert!(s.enumeration.is_empty(), "state must stay an open string");
}

#[test]
fn the_generated_types_publish_a_json_schema_with_the_seed_names() {
    let schema = schemars::schema_for!(zilliz_import::generated::types::CreateImportJobRequest);
    let value = serde_json::to_value(&schema).unwrap();
    let properties = value["properties"].as_object().unwrap();
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = SEED_FIELDS
        .iter()
        .map(|(n, _)| *n)
        .chain(LATER_FIELDS)
        .collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert_eq!(value["required"], json!(["collectionName"]));
    assert_eq!(properties["objectUrls"]["items"]["items"]["type"], "string");
}
