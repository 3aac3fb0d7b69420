//! Arbitrary rows against a schema never panic: each is written or refused
//! with a reason, through every input path and output format.

use proptest::prelude::*;
use serde_json::{Map, Value};
use zilliz_import_writer::{BadRows, Format, Writer};

use crate::common::{all_types, all_types_describe, all_types_row};

const NAMES: &[&str] = &[
    "id", "b", "i8", "i16", "i32", "f", "d", "s", "j", "a_bool", "a_i8", "a_i16", "a_i32", "a_i64",
    "a_f", "a_d", "a_s", "fv", "bv", "f16", "bf16", "i8v", "sp", "n", "dflt", "dname", "$meta",
    "extra", "indices", "values",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-300i64..300).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-2.0f64..2.0).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        "[0-9]{1,11}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (prop::sample::select(NAMES).prop_map(str::to_owned), inner),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A row near a valid one (so deep checks are reached), with some fields
/// replaced, removed or added.
fn row() -> impl Strategy<Value = Value> {
    let edits = prop::collection::vec(
        (prop::sample::select(NAMES), prop::option::of(value())),
        0..4,
    );
    (any::<i64>(), edits, any::<bool>(), value()).prop_map(|(k, edits, whole, other)| {
        if whole && k % 5 == 0 {
            return other;
        }
        let mut row = all_types_row(k % 1000);
        for (name, v) in edits {
            match v {
                Some(v) => row[name] = v,
                None => {
                    row.as_object_mut().unwrap().remove(name);
                }
            }
        }
        row
    })
}

fn formats() -> Vec<Format> {
    vec![
        Format::default(),
        Format::Json,
        Format::Jsonl,
        Format::csv(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn rows_are_written_or_refused_with_a_reason(rows in prop::collection::vec(row(), 1..12), dynamic in any::<bool>()) {
        let mut describe = all_types_describe();
        describe["data"]["enableDynamicField"] = Value::Bool(dynamic);
        let schema = zilliz_import_writer::Schema::from_json_value(&describe).unwrap();
        for format in formats() {
            let dir = tempfile::tempdir().unwrap();
            let mut w = Writer::builder(schema.clone())
                .format(format)
                .bad_rows(BadRows::Collect)
                .create_in(dir.path())
                .unwrap();
            for (i, r) in rows.iter().enumerate() {
                if i % 2 == 0 {
                    w.push_json(r).unwrap();
                } else {
                    w.push_json_text(&r.to_string()).unwrap();
                }
            }
            let pushed = rows.len() as u64;
            match w.finish() {
                Ok(s) => {
                    prop_assert_eq!(s.rows + s.rejected_count, pushed);
                    prop_assert_eq!(s.rejected.len() as u64, s.rejected_count);
                    for e in &s.rejected {
                        prop_assert!(!e.to_string().is_empty());
                    }
                }
                // CSV may refuse a value equal to the null key; nothing else.
                Err(zilliz_import_writer::WriteError::Unsupported { format: "CSV", .. }) => {}
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }

    #[test]
    fn arbitrary_text_lines_never_panic(lines in prop::collection::vec("\\PC{0,40}|\\{\"id\": [0-9]{1,3}\\PC{0,20}", 1..10)) {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::builder(all_types()).bad_rows(BadRows::Collect).create_in(dir.path()).unwrap();
        let input = lines.join("\n");
        let read = w.write_jsonl(input.as_bytes()).unwrap();
        let s = w.finish().unwrap();
        prop_assert_eq!(s.rows + s.rejected_count, read);
    }

    #[test]
    fn text_and_value_paths_agree(rows in prop::collection::vec(row(), 1..10), spaced in any::<bool>()) {
        let run = |text: bool| {
            let dir = tempfile::tempdir().unwrap();
            let mut w = Writer::builder(all_types())
                .format(Format::Jsonl)
                .bad_rows(BadRows::Collect)
                .create_in(dir.path())
                .unwrap();
            for r in &rows {
                if text {
                    let line = if spaced { serde_json::to_string_pretty(r).unwrap() } else { r.to_string() };
                    w.push_json_text(&line).unwrap();
                } else {
                    w.push_json(r).unwrap();
                }
            }
            let s = w.finish().unwrap();
            let out = std::fs::read_to_string(dir.path().join("1.jsonl")).unwrap_or_default();
            (s.rejected, out)
        };
        prop_assert_eq!(run(false), run(true));
    }

    #[test]
    fn json_row_files_never_panic(rows in prop::collection::vec(row(), 0..6), cut in any::<prop::sample::Index>(), junk in "\\PC{0,20}") {
        let text = serde_json::json!({"rows": rows}).to_string();
        // Whole, cut short, or with junk after.
        let at = cut.index(text.len() + 1);
        let cut_text: String = text.char_indices().take_while(|(i, _)| *i < at).map(|(_, c)| c).collect();
        for input in [text.clone(), cut_text, format!("{text}{junk}")] {
            let dir = tempfile::tempdir().unwrap();
            let mut w = Writer::builder(all_types()).bad_rows(BadRows::Collect).create_in(dir.path()).unwrap();
            match w.write_json_rows(input.as_bytes()) {
                Ok(read) => {
                    let s = w.finish().unwrap();
                    prop_assert_eq!(s.rows + s.rejected_count, read);
                }
                Err(zilliz_import_writer::WriteError::Row(e)) => prop_assert!(matches!(e.reason, zilliz_import_writer::Reason::Syntax(_))),
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }

    #[test]
    fn csv_input_never_panics(cells in prop::collection::vec(prop::collection::vec("\\PC{0,12}|\\[[0-9, .-]{0,12}\\]|[0-9]{1,4}", 0..30), 0..6)) {
        let header = "id,b,i8,i16,i32,f,d,s,j,a_bool,a_i8,a_i16,a_i32,a_i64,a_f,a_d,a_s,fv,bv,f16,bf16,i8v,sp,n,dflt,dname,$meta,extra";
        let mut input = String::from(header);
        input.push('\n');
        let mut out = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        for record in &cells {
            out.write_record(record).unwrap();
        }
        input.push_str(std::str::from_utf8(&out.into_inner().unwrap()).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::builder(all_types()).bad_rows(BadRows::Collect).create_in(dir.path()).unwrap();
        let read = w.write_csv(input.as_bytes(), b',', "").unwrap();
        let s = w.finish().unwrap();
        prop_assert_eq!(s.rows + s.rejected_count, read);
    }
}

/// Text near WKT: its words, numbers (some out of range or not numbers),
/// brackets and commas in any order, or anything at all.
fn wkt_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,30}",
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(vec![
                    "POINT",
                    "LINESTRING",
                    "POLYGON",
                    "MULTIPOINT",
                    "MULTILINESTRING",
                    "MULTIPOLYGON",
                    "GEOMETRYCOLLECTION",
                    "EMPTY",
                    "Z",
                    "M",
                    "ZM",
                    "(",
                    ")",
                    ",",
                    " ",
                    "nan",
                    "1e999",
                    "--1",
                    ".",
                    "é",
                ])
                .prop_map(str::to_owned),
                "-?[0-9]{1,3}(\\.[0-9]{1,2})?",
            ],
            0..40
        )
        .prop_map(|parts| parts.join(" ")),
        (0u8..4, 2usize..6).prop_map(|(kind, n)| {
            let pts: Vec<String> = (0..n).map(|i| format!("{i} {}", i % 2)).collect();
            match kind {
                0 => format!("POINT ({})", pts[0]),
                1 => format!("LINESTRING ({})", pts.join(", ")),
                2 => format!("POLYGON (({}, 0 0))", pts.join(", ")),
                _ => format!("GEOMETRYCOLLECTION (POINT ({}), EMPTY)", pts[1]),
            }
        }),
    ]
}

/// Text near ISO-8601: the right shape with digits anywhere, or anything.
fn timestamp_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,30}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?(Z|[+-][0-9]{2}:?[0-9]{2}|\\PC)?",
        "20[0-9]{2}-0[1-9]-[0-2][0-9]T[01][0-9]:[0-5][0-9]:[0-5][0-9](Z|[+-]0[0-9]:[0-5][0-9])?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Geometry and Timestamptz text never panics: each row is written or
    /// refused on that field with a reason, and rows and Arrow batches
    /// agree on which.
    #[test]
    fn geometry_and_timestamp_text_is_written_or_refused(values in prop::collection::vec((wkt_like(), timestamp_like()), 1..10)) {
        let schema = zilliz_import_writer::Schema::from_json_value(&serde_json::json!({"fields": [
            {"name": "id", "type": "Int64", "primaryKey": true},
            {"name": "t", "type": "Text"},
            {"name": "g", "type": "Geometry"},
            {"name": "ts", "type": "Timestamptz"}
        ]})).unwrap();
        let run = |batch: bool, format: Format| {
            let dir = tempfile::tempdir().unwrap();
            let mut w = Writer::builder(schema.clone())
                .format(format)
                .bad_rows(BadRows::Collect)
                .create_in(dir.path())
                .unwrap();
            if batch {
                use std::sync::Arc;
                let ids: Vec<i64> = (1..=values.len() as i64).collect();
                let input = arrow_array::RecordBatch::try_from_iter([
                    ("id", Arc::new(arrow_array::Int64Array::from(ids)) as arrow_array::ArrayRef),
                    ("t", Arc::new(arrow_array::StringArray::from_iter_values(values.iter().map(|(g, _)| g))) as _),
                    ("g", Arc::new(arrow_array::StringArray::from_iter_values(values.iter().map(|(g, _)| g))) as _),
                    ("ts", Arc::new(arrow_array::StringArray::from_iter_values(values.iter().map(|(_, t)| t))) as _),
                ]).unwrap();
                w.write_batch(&input).unwrap();
            } else {
                for (i, (g, ts)) in values.iter().enumerate() {
                    w.push_json(&serde_json::json!({"id": i + 1, "t": g, "g": g, "ts": ts})).unwrap();
                }
            }
            w.finish()
        };
        let rows = run(false, Format::default()).unwrap();
        prop_assert_eq!(rows.rows + rows.rejected_count, values.len() as u64);
        for e in &rows.rejected {
            prop_assert!(matches!(e.field.as_deref(), Some("g" | "ts")), "{e}");
            prop_assert!(matches!(e.reason, zilliz_import_writer::Reason::Malformed { .. }), "{e}");
        }
        let batch = run(true, Format::default()).unwrap();
        prop_assert_eq!(&batch.rejected, &rows.rejected);
        for format in [Format::Json, Format::csv()] {
            match run(false, format) {
                Ok(s) => prop_assert_eq!(&s.rejected, &rows.rejected),
                // CSV may refuse a value equal to the null key; nothing else.
                Err(zilliz_import_writer::WriteError::Unsupported { format: "CSV", .. }) => {}
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}
