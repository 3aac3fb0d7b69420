//! Writes import files from JSONL: the smallest use of the writer.
//!
//!     cargo run --example write_files -- SCHEMA.json INPUT.jsonl FORMAT OUT_DIR
//!
//! FORMAT is parquet, json, jsonl, csv or numpy. Prints the file groups,
//! rows and bytes as JSON; a bad row stops it with the line, field and
//! reason, and leaves nothing in OUT_DIR.

use std::fs::File;
use std::process::ExitCode;

use zilliz_import_writer::{Format, Schema, Writer};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [schema, input, format, out] = args.as_slice() else {
        eprintln!(
            "usage: write_files SCHEMA.json INPUT.jsonl parquet|json|jsonl|csv|numpy OUT_DIR"
        );
        return ExitCode::from(2);
    };
    match run(schema, input, format, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(
    schema: &str,
    input: &str,
    format: &str,
    out: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let schema = Schema::from_json(&std::fs::read_to_string(schema)?)?;
    let format = match format {
        "parquet" => Format::default(),
        "json" => Format::Json,
        "jsonl" => Format::Jsonl,
        "csv" => Format::csv(),
        "numpy" => Format::Numpy,
        other => return Err(format!("unknown format `{other}`").into()),
    };
    let mut writer = Writer::builder(schema).format(format).create_in(out)?;
    writer.write_jsonl(File::open(input)?)?;
    let summary = writer.finish()?;
    let files = summary.files();
    println!(
        "{}",
        serde_json::json!({"files": files, "rows": summary.rows, "bytes": summary.bytes})
    );
    Ok(())
}
