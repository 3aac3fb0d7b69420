//! Generates the HTTP client from `openapi.yaml` with progenitor.
//!
//! The output lands in `$OUT_DIR/generated.rs` and is included by
//! `src/generated.rs`. Editing `openapi.yaml` is all it takes to change it.

use std::{env, fs, path::Path, process::ExitCode};

const SPEC: &str = "openapi.yaml";
/// The value the generated client carries: how its hooks send (retries,
/// rate limit, deadlines, bounded reads; see `src/hooks.rs`).
const INNER_TYPE: &str = "std::sync::Arc<crate::hooks::Pipeline>";
/// The spec's schema for a temporary credential, and the type it becomes.
const SECRET_SCHEMA: &str = "TemporarySecret";
const SECRET_TYPE: &str = "crate::TemporarySecret";
/// The envelope's `code`, and the type it becomes: an integer, or a string
/// holding one (`src/answer.rs`), so that anything else fails the
/// envelope's decode and a 200 that decodes always has a code to read. It
/// is named `generated::Code` (`src/generated.rs`).
const CODE_SCHEMA: &str = "Code";
const CODE_TYPE: &str = "crate::generated::Code";

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    match generate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // A build script's stderr is shown when it fails: say which file
            // and what is wrong instead of a bare panic backtrace.
            eprintln!("error: {SPEC}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_yaml_ng::from_str(&text)
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!(
            "`openapi: {}` is not 3.0.x, which progenitor needs",
            spec.openapi
        ));
    }

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        // A volume's temporary credentials: a type whose Debug, Display and
        // Serialize never show them (`src/volumes.rs`).
        .with_replacement(
            SECRET_SCHEMA,
            SECRET_TYPE,
            std::iter::empty::<progenitor::TypeImpl>(),
        )
        .with_replacement(
            CODE_SCHEMA,
            CODE_TYPE,
            [progenitor::TypeImpl::Display].into_iter(),
        )
        // What the hooks need of every request (retry policy, rate limiters,
        // timeouts, the body-size limit), carried by the generated client.
        .with_inner_type(
            INNER_TYPE
                .parse()
                .map_err(|e| format!("inner type {INNER_TYPE}: {e}"))?,
        );

    let mut generator = progenitor::Generator::new(&settings);
    let client = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor cannot generate a client from it: {e}"))?;
    let out_dir = env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    write_formatted(&Path::new(&out_dir).join("generated.rs"), client)?;

    let limits = spec_limits(&text)?;
    fs::write(Path::new(&out_dir).join("spec_limits.rs"), limits)
        .map_err(|e| format!("cannot write spec_limits.rs: {e}"))?;

    if env::var_os("CARGO_FEATURE_MOCK").is_some() {
        let mocks = generator
            .httpmock(&spec, "crate::generated")
            .map_err(|e| format!("progenitor cannot generate httpmock helpers from it: {e}"))?;
        write_formatted(&Path::new(&out_dir).join("generated_mock.rs"), mocks)?;
    }
    Ok(())
}

fn write_formatted(path: &Path, tokens: impl ToString) -> Result<(), String> {
    let file: syn::File = syn::parse_str(&tokens.to_string())
        .map_err(|e| format!("generated code does not parse: {e}"))?;
    fs::write(path, prettyplease::unparse(&file))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The rules the spec states as numbers (the most file groups, the key's
/// length, the page sizes), as constants: the client checks what the spec
/// says, and an edit of the spec changes the check.
fn spec_limits(text: &str) -> Result<String, String> {
    let spec: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let at = |path: &[&str]| -> Result<u64, String> {
        let mut node = &spec;
        for key in path {
            node = match key.parse::<usize>() {
                Ok(i) => node.get(i),
                Err(_) => node.get(key),
            }
            .ok_or_else(|| format!("no `{}` in the spec", path.join(".")))?;
        }
        node.as_u64()
            .ok_or_else(|| format!("`{}` is not a whole number", path.join(".")))
    };
    let create = [
        "components",
        "schemas",
        "CreateImportJobRequest",
        "properties",
    ];
    let list = [
        "components",
        "schemas",
        "ListImportJobsRequest",
        "properties",
        "pageSize",
    ];
    // The create's `Idempotency-Key` header, wherever it stands in the list.
    let key = spec["paths"]["/v2/vectordb/jobs/import/create"]["post"]["parameters"]
        .as_sequence()
        .and_then(|ps| ps.iter().position(|p| p["name"] == "Idempotency-Key"))
        .ok_or("the create has no `Idempotency-Key` header")?
        .to_string();
    let header = [
        "paths",
        "/v2/vectordb/jobs/import/create",
        "post",
        "parameters",
        &key,
    ];
    let consts = [
        (
            "MAX_OBJECT_URL_GROUPS",
            at(&[&create[..], &["objectUrls", "maxItems"]].concat())?,
            "usize",
        ),
        (
            "MAX_DATA_PATH_GROUPS",
            at(&[&create[..], &["dataPaths", "maxItems"]].concat())?,
            "usize",
        ),
        (
            "MAX_FILES_GROUPS",
            at(&[&create[..], &["files", "maxItems"]].concat())?,
            "usize",
        ),
        (
            "MAX_IDEMPOTENCY_KEY_LEN",
            at(&[&header[..], &["schema", "maxLength"]].concat())?,
            "usize",
        ),
        (
            "MIN_PAGE_SIZE",
            at(&[&list[..], &["minimum"]].concat())?,
            "u32",
        ),
        (
            "MAX_PAGE_SIZE",
            at(&[&list[..], &["maximum"]].concat())?,
            "u32",
        ),
    ];
    Ok(consts
        .iter()
        .map(|(name, value, ty)| format!("pub const {name}: {ty} = {value};\n"))
        .collect())
}
