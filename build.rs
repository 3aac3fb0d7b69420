//! Generates the HTTP client from `openapi.yaml` with progenitor.
//!
//! The output lands in `$OUT_DIR/generated.rs` and is included by
//! `src/generated.rs`. Editing `openapi.yaml` is all it takes to change it.

use std::{env, fs, path::Path, process::ExitCode};

const SPEC: &str = "openapi.yaml";
/// The value the generated client carries: how its hooks send (retries,
/// rate limit, deadlines, bounded reads; see `src/hooks.rs`).
const INNER_TYPE: &str = "std::sync::Arc<crate::hooks::Pipeline>";

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
