//! Reads the API's spec, `../openapi.yaml`, the one the client is generated
//! from, and writes two files to `$OUT_DIR` for `src/spec.rs`:
//!
//! - `types.rs`: the wire types progenitor generates from the spec (its
//!   `types` module only; the emulator has no use for the client), so a body
//!   is decoded into, and an answer built from, what the spec says;
//! - `limits.rs`: the numbers the spec's request schemas state (`maxItems`
//!   of file groups, the page sizes, the idempotency key's length) and the
//!   fields they require, so the emulator takes each rule the spec can state
//!   from the spec, not from a copy.
//!
//! Nothing here imports the client crate: both read the same file, and
//! neither reads the other's reading of it.

use std::{env, fmt::Write as _, fs, path::Path, process::ExitCode};

use openapiv3::{
    OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, Type,
};

const SPEC: &str = "../openapi.yaml";

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    match generate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {SPEC}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read: {e}"))?;
    let spec: OpenAPI = serde_yaml_ng::from_str(&text)
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
    let out_dir = env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    let out = Path::new(&out_dir);
    write(&out.join("types.rs"), &types_module(&spec)?)?;
    write(&out.join("limits.rs"), &limits(&spec)?)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// progenitor's output, kept down to its `types` module.
fn types_module(spec: &OpenAPI) -> Result<String, String> {
    let settings = progenitor::GenerationSettings::default();
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(spec)
        .map_err(|e| format!("progenitor cannot generate from it: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let mut file = file;
    file.items
        .retain(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    if file.items.is_empty() {
        return Err("progenitor generated no `types` module".to_owned());
    }
    Ok(prettyplease::unparse(&file))
}

/// The request schemas' constraints, as Rust constants.
fn limits(spec: &OpenAPI) -> Result<String, String> {
    let create = object(spec, "CreateImportJobRequest")?;
    let max_items = |field: &str| -> Result<usize, String> {
        match &property(create, field)?.schema_kind {
            SchemaKind::Type(Type::Array(a)) => a
                .max_items
                .ok_or(format!("CreateImportJobRequest.{field} states no maxItems")),
            _ => Err(format!("CreateImportJobRequest.{field} is not an array")),
        }
    };
    let cloud = max_items("objectUrls")?;
    if max_items("dataPaths")? != cloud {
        return Err("objectUrls and dataPaths state different maxItems".to_owned());
    }
    let milvus = max_items("files")?;

    let list = object(spec, "ListImportJobsRequest")?;
    let (page_min, page_max) = match &property(list, "pageSize")?.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => (i.minimum, i.maximum),
        _ => return Err("ListImportJobsRequest.pageSize is not an integer".to_owned()),
    };
    let (Some(page_min), Some(page_max)) = (page_min, page_max) else {
        return Err("ListImportJobsRequest.pageSize states no minimum and maximum".to_owned());
    };
    let key_len = idempotency_key_max_length(spec)?;

    let mut out = String::new();
    let mut line = |doc: &str, item: String| {
        let _ = writeln!(out, "/// {doc}\n{item}");
    };
    line(
        "`maxItems` of `objectUrls` and `dataPaths`: the file groups one create may name on the control plane.",
        format!("pub(crate) const MAX_FILE_GROUPS_CLOUD: usize = {cloud};"),
    );
    line(
        "`maxItems` of `files`: the file groups one create may name on open-source Milvus.",
        format!("pub(crate) const MAX_FILE_GROUPS_MILVUS: usize = {milvus};"),
    );
    line(
        "`minimum` and `maximum` of list's `pageSize`.",
        format!(
            "pub(crate) const PAGE_SIZES: std::ops::RangeInclusive<i64> = {page_min}..={page_max};"
        ),
    );
    line(
        "`maxLength` of create's `Idempotency-Key` header.",
        format!("pub(crate) const MAX_IDEMPOTENCY_KEY_LEN: usize = {key_len};"),
    );
    line(
        "`required` of `CreateImportJobRequest`.",
        format!(
            "pub(crate) const CREATE_REQUIRED: &[&str] = &{:?};",
            create.required
        ),
    );
    line(
        "`required` of `DescribeImportJobRequest` (describe, commit and abort).",
        format!(
            "pub(crate) const DESCRIBE_REQUIRED: &[&str] = &{:?};",
            object(spec, "DescribeImportJobRequest")?.required
        ),
    );
    line(
        "`required` of `DescribeCollectionRequest`.",
        format!(
            "pub(crate) const DESCRIBE_COLLECTION_REQUIRED: &[&str] = &{:?};",
            object(spec, "DescribeCollectionRequest")?.required
        ),
    );
    Ok(out)
}

fn object<'a>(spec: &'a OpenAPI, name: &str) -> Result<&'a openapiv3::ObjectType, String> {
    let schema = spec
        .components
        .as_ref()
        .and_then(|c| c.schemas.get(name))
        .ok_or(format!("no schema {name}"))?;
    match schema {
        ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Object(o)),
            ..
        }) => Ok(o),
        _ => Err(format!("schema {name} is not an inline object")),
    }
}

fn property<'a>(o: &'a openapiv3::ObjectType, name: &str) -> Result<&'a Schema, String> {
    match o.properties.get(name) {
        Some(ReferenceOr::Item(schema)) => Ok(schema),
        _ => Err(format!("no inline property {name}")),
    }
}

/// `maxLength` of the `Idempotency-Key` header that create takes.
fn idempotency_key_max_length(spec: &OpenAPI) -> Result<usize, String> {
    let create = spec
        .paths
        .paths
        .get("/v2/vectordb/jobs/import/create")
        .and_then(ReferenceOr::as_item)
        .and_then(|p| p.post.as_ref())
        .ok_or("no create operation")?;
    create
        .parameters
        .iter()
        .find_map(|p| match p {
            ReferenceOr::Item(Parameter::Header { parameter_data, .. })
                if parameter_data.name == "Idempotency-Key" =>
            {
                match &parameter_data.format {
                    ParameterSchemaOrContent::Schema(ReferenceOr::Item(Schema {
                        schema_kind: SchemaKind::Type(Type::String(s)),
                        ..
                    })) => s.max_length,
                    _ => None,
                }
            }
            _ => None,
        })
        .ok_or("create's Idempotency-Key header states no maxLength".to_owned())
}
