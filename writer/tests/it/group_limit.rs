//! One import takes at most 1,024 file groups: a write never makes more. It
//! fails before the group past the cap starts, and leaves nothing behind.

use arrow_array::{Int64Array, RecordBatch, StringArray};
use serde_json::json;
use zilliz_import_writer::{DEFAULT_MAX_GROUPS, Format, Schema, WriteError, Writer};

use crate::common::files_under;

fn schema() -> Schema {
    Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "s", "type": "VarChar", "params": [{"key": "max_length", "value": "8"}]}
    ]}))
    .unwrap()
}

/// A batch of `rows` rows from `first` on.
fn batch(first: i64, rows: i64) -> RecordBatch {
    let ids = Int64Array::from_iter_values(first..first + rows);
    let s = StringArray::from_iter_values((first..first + rows).map(|i| format!("{}", i % 1000)));
    RecordBatch::try_from_iter([
        ("id", std::sync::Arc::new(ids) as _),
        ("s", std::sync::Arc::new(s) as _),
    ])
    .unwrap()
}

#[test]
fn the_cap_is_what_one_import_takes() {
    assert_eq!(DEFAULT_MAX_GROUPS, 1024);
}

/// With a tiny file size every batch is a group of its own: the rows that
/// fill exactly `max` groups are written, one row more is refused.
#[test]
fn a_write_that_needs_one_group_too_many_fails_before_it_starts() {
    for format in [Format::default(), Format::Jsonl, Format::Numpy] {
        // How many rows fill 3 groups at one byte per file?
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::builder(schema())
            .format(format.clone())
            .file_size(1)
            .create_in(dir.path())
            .unwrap();
        for i in 0..3 {
            w.push_json(&json!({"id": i, "s": "x"})).unwrap();
            // Each flushed batch goes into a group of its own.
            w.write_batch(&batch(100 + i * 10, 1)).unwrap();
        }
        let summary = w.finish().unwrap();
        assert_eq!(summary.groups.len(), 6, "{format:?}");

        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::builder(schema())
            .format(format.clone())
            .file_size(1)
            .max_groups(6)
            .create_in(dir.path())
            .unwrap();
        for i in 0..3 {
            w.push_json(&json!({"id": i, "s": "x"})).unwrap();
            w.write_batch(&batch(100 + i * 10, 1)).unwrap();
        }
        // Six groups: full. The seventh is refused before it starts.
        w.push_json(&json!({"id": 7, "s": "x"})).unwrap();
        match w.finish() {
            Err(WriteError::TooManyGroups { max: 6, rows: 6 }) => {}
            other => panic!("{format:?}: {other:?}"),
        }
        assert_eq!(files_under(dir.path()), Vec::<String>::new(), "{format:?}");
    }
}

#[test]
fn the_default_cap_stops_the_1025th_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(schema())
        .format(Format::Jsonl)
        .file_size(1)
        .create_in(dir.path())
        .unwrap();
    for i in 0..1024 {
        w.write_batch(&batch(i * 2, 2)).unwrap();
    }
    let e = w.write_batch(&batch(5000, 2)).unwrap_err();
    assert!(
        matches!(
            e,
            WriteError::TooManyGroups {
                max: 1024,
                rows: 2048
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "file group 1025 would start after 2048 rows, but one import takes at most 1024 groups: raise the file size"
    );
    // Abandoned: the 1,024 groups written so far are gone too, and the
    // writer takes nothing more.
    assert_eq!(files_under(dir.path()), Vec::<String>::new());
    assert!(matches!(
        w.write_batch(&batch(9000, 1)),
        Err(WriteError::Failed)
    ));
}
