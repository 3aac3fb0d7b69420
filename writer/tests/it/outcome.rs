//! What a write leaves behind: file groups and their sizes, rollover at the
//! size target, nothing that looks finished after a failure, bad rows
//! skipped and reported.

use std::sync::{Arc, Mutex};

use serde_json::json;
use zilliz_import_writer::{BadRows, Format, Reason, WriteError, Writer};

use crate::common::{files_under, small, small_row};

#[test]
fn rolls_over_at_the_size_target_and_reports_every_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(small(false))
        .format(Format::Jsonl)
        .file_size(64 << 10)
        .create_in(dir.path())
        .unwrap();
    for id in 0..5000 {
        w.push_json(&small_row(id)).unwrap();
    }
    let summary = w.finish().unwrap();
    assert!(summary.groups.len() >= 3, "{} groups", summary.groups.len());
    assert_eq!(summary.rows, 5000);
    assert_eq!(summary.groups.iter().map(|g| g.rows).sum::<u64>(), 5000);
    let mut next_id = 0;
    for (i, group) in summary.groups.iter().enumerate() {
        assert_eq!(group.files, vec![format!("{}.jsonl", i + 1)]);
        let text = std::fs::read_to_string(dir.path().join(&group.files[0])).unwrap();
        assert_eq!(group.bytes, text.len() as u64);
        // The target is passed by at most one batch (16 KiB here).
        assert!(
            group.bytes <= (64 + 32) << 10,
            "group of {} bytes",
            group.bytes
        );
        // Rows stay in order across files.
        for line in text.lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(row["id"], json!(next_id));
            next_id += 1;
        }
    }
    assert_eq!(
        summary.bytes,
        summary.groups.iter().map(|g| g.bytes).sum::<u64>()
    );
    let on_disk = files_under(dir.path());
    assert_eq!(on_disk.len(), summary.groups.len());
}

#[test]
fn parquet_rolls_over_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(small(false))
        .file_size(32 << 10)
        .create_in(dir.path())
        .unwrap();
    for id in 0..20_000 {
        w.push_json(&small_row(id)).unwrap();
    }
    let summary = w.finish().unwrap();
    assert!(summary.groups.len() >= 2, "{:?}", summary.groups);
    assert_eq!(summary.groups[1].files, vec!["2.parquet".to_owned()]);
    for g in &summary.groups {
        assert_eq!(
            std::fs::metadata(dir.path().join(&g.files[0]))
                .unwrap()
                .len(),
            g.bytes
        );
    }
}

#[test]
fn a_bad_row_in_strict_mode_leaves_nothing_and_stops_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut w = Writer::builder(small(false))
        .format(Format::Jsonl)
        .file_size(16 << 10)
        .create_in(&out)
        .unwrap();
    // Enough rows that some files were already closed (under their
    // temporary names) when the bad row comes.
    for id in 0..3000 {
        w.push_json(&small_row(id)).unwrap();
    }
    assert!(!files_under(&out).is_empty(), "files are being written");
    assert!(files_under(&out).iter().all(|f| f.ends_with(".partial")));
    let e = w
        .push_json(&json!({"id": 1, "vec": [1], "title": "x"}))
        .unwrap_err();
    assert!(
        matches!(e, WriteError::Row(ref r) if r.row == 3001 && r.reason == Reason::Dim { expected: 4, got: 1 })
    );
    // Nothing left, not even the output directory the writer made.
    assert!(!out.exists());
    assert!(matches!(
        w.push_json(&small_row(1)),
        Err(WriteError::Failed)
    ));
    assert!(matches!(w.finish(), Err(WriteError::Failed)));
}

#[test]
fn dropping_an_unfinished_writer_removes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let mut w = Writer::builder(small(false))
        .row_group_bytes(4 << 10)
        .create_in(dir.path())
        .unwrap();
    for id in 0..2000 {
        w.push_json(&small_row(id)).unwrap();
    }
    assert_eq!(files_under(dir.path()), ["1.parquet.partial", "keep.txt"]);
    drop(w);
    assert_eq!(files_under(dir.path()), ["keep.txt"]);
}

#[test]
fn finished_files_do_not_exist_before_finish_and_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(small(false))
        .format(Format::Json)
        .create_in(dir.path())
        .unwrap();
    w.push_json(&small_row(1)).unwrap();
    let s = w.finish().unwrap();
    assert_eq!(files_under(dir.path()), ["1.json"]);
    assert_eq!(s.files(), vec![vec!["1.json".to_owned()]]);
    // A second writer into the same directory refuses to replace 1.json.
    let mut w = Writer::builder(small(false))
        .format(Format::Json)
        .create_in(dir.path())
        .unwrap();
    match w
        .push_json(&small_row(2))
        .and_then(|()| w.finish().map(|_| ()))
    {
        Err(WriteError::Exists { path }) => assert!(path.ends_with("1.json")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("1.json"))
            .unwrap()
            .matches("\"id\":1")
            .count(),
        1
    );
}

#[test]
fn no_rows_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = Writer::builder(small(false))
        .create_in(dir.path())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!((s.groups.len(), s.rows, s.bytes), (0, 0, 0));
    assert!(files_under(dir.path()).is_empty());
}

#[test]
fn collect_mode_skips_bad_rows_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(small(false))
        .format(Format::Jsonl)
        .bad_rows(BadRows::Collect)
        .create_in(dir.path())
        .unwrap();
    let input = "{\"id\":1,\"vec\":[1,2,3,4],\"title\":\"a\"}\n\
                 {\"id\":2,\"vec\":[1,2,3,4],\"title\":\"this title is far too long\"}\n\
                 not json\n\
                 {\"id\":4,\"vec\":[1,2,3,4],\"title\":\"d\",\"x\":1}\n\
                 {\"id\":5,\"vec\":[1,2,3,4],\"title\":\"e\"}\n";
    assert_eq!(w.write_jsonl(input.as_bytes()).unwrap(), 5);
    let s = w.finish().unwrap();
    assert_eq!((s.rows, s.rejected_count), (2, 3));
    let seen: Vec<(Option<u64>, Option<&str>)> = s
        .rejected
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (Some(2), Some("title")),
            (Some(3), None),
            (Some(4), Some("x"))
        ]
    );
    assert_eq!(
        s.rejected[0].reason,
        Reason::TooLong {
            bytes: 26,
            max_length: 16
        }
    );
    let text = std::fs::read_to_string(dir.path().join("1.jsonl")).unwrap();
    let ids: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, [1, 5]);
}

#[test]
fn report_mode_hands_each_bad_row_over() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(small(false))
        .bad_rows(BadRows::Report(Box::new(move |e| {
            sink.lock().unwrap().push(e.to_string())
        })))
        .create_in(dir.path())
        .unwrap();
    w.push_json(&small_row(1)).unwrap();
    w.push_json(&json!({"id": "one"})).unwrap();
    let s = w.finish().unwrap();
    assert_eq!((s.rows, s.rejected_count, s.rejected.len()), (1, 1, 0));
    assert_eq!(
        *seen.lock().unwrap(),
        ["row 2, field `id`: expected an integer, got a string"]
    );
}

#[test]
fn parallel_jsonl_keeps_order_and_line_numbers() {
    // About 9 MiB of lines: three blocks for the workers.
    let mut input = String::new();
    for id in 0..150_000 {
        if id == 149_990 {
            input.push_str("{\"id\": \"bad\"}\n\n");
        }
        input.push_str(&small_row(id).to_string());
        input.push('\n');
    }
    let run = |threads: usize| {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::builder(small(false))
            .format(Format::Jsonl)
            .threads(threads)
            .bad_rows(BadRows::Collect)
            .create_in(dir.path())
            .unwrap();
        let read = w.write_jsonl(input.as_bytes()).unwrap();
        let s = w.finish().unwrap();
        let text = std::fs::read_to_string(dir.path().join("1.jsonl")).unwrap();
        (read, s, text)
    };
    let (read1, s1, text1) = run(1);
    let (read3, s3, text3) = run(3);
    assert_eq!((read1, read3), (150_001, 150_001));
    assert_eq!(s1.rejected, s3.rejected);
    assert_eq!(s1.rejected.len(), 1);
    assert_eq!(
        (s1.rejected[0].row, s1.rejected[0].line),
        (149_991, Some(149_991))
    );
    assert_eq!(text1, text3);
    let ids: Vec<i64> = text3
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, (0..150_000).collect::<Vec<i64>>());
}

#[test]
fn parallel_jsonl_strict_failure_leaves_nothing() {
    let mut input = String::new();
    for id in 0..120_000 {
        input.push_str(&small_row(id).to_string());
        input.push('\n');
    }
    input.push_str("{\"id\": 1, \"vec\": [1, 2, 3, 4], \"title\": \"t\", \"oops\": 1}\n");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut w = Writer::builder(small(false))
        .threads(2)
        .file_size(1 << 20)
        .create_in(&out)
        .unwrap();
    match w.write_jsonl(input.as_bytes()) {
        Err(WriteError::Row(e)) => {
            assert_eq!(
                (e.line, e.field.as_deref(), e.reason),
                (Some(120_001), Some("oops"), Reason::UnknownField)
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(!out.exists());
}

#[test]
fn json_encoded_on_several_threads_is_the_same_bytes() {
    let run = |threads: usize, format: Format| {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::builder(small(true))
            .format(format)
            .threads(threads)
            .create_in(dir.path())
            .unwrap();
        for id in 0..5000 {
            let mut row = small_row(id);
            row["k"] = json!(id % 7);
            w.push_json(&row).unwrap();
        }
        let s = w.finish().unwrap();
        std::fs::read(dir.path().join(&s.groups[0].files[0])).unwrap()
    };
    for format in [Format::Json, Format::Jsonl] {
        let one = run(1, format.clone());
        assert_eq!(one, run(3, format));
        assert!(one.len() > 100_000);
    }
}

/// File contents a test and its sink share.
type Shared = Arc<Mutex<Vec<u8>>>;

/// A sink that keeps files in memory: what an object store sink would do
/// (upload, then complete at commit), without the network.
#[derive(Clone, Default)]
struct MemorySink {
    visible: Arc<Mutex<std::collections::BTreeMap<String, Vec<u8>>>>,
    pending: Arc<Mutex<Vec<(String, Shared)>>>,
    aborted: Arc<Mutex<bool>>,
}

struct MemoryFile(Shared);

impl std::io::Write for MemoryFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl zilliz_import_writer::SinkFile for MemoryFile {
    fn close(self: Box<Self>) -> Result<u64, WriteError> {
        Ok(self.0.lock().unwrap().len() as u64)
    }
}

impl zilliz_import_writer::Sink for MemorySink {
    fn create(
        &mut self,
        path: &str,
    ) -> Result<Box<dyn zilliz_import_writer::SinkFile>, WriteError> {
        let data = Arc::new(Mutex::new(Vec::new()));
        self.pending
            .lock()
            .unwrap()
            .push((path.to_owned(), data.clone()));
        Ok(Box::new(MemoryFile(data)))
    }
    fn commit(&mut self) -> Result<(), WriteError> {
        for (path, data) in self.pending.lock().unwrap().drain(..) {
            let bytes = std::mem::take(&mut *data.lock().unwrap());
            self.visible.lock().unwrap().insert(path, bytes);
        }
        Ok(())
    }
    fn abort(&mut self) {
        self.pending.lock().unwrap().clear();
        *self.aborted.lock().unwrap() = true;
    }
}

#[test]
fn any_sink_takes_the_files_and_sees_them_only_at_commit() {
    let sink = MemorySink::default();
    let mut w = Writer::builder(small(false))
        .format(Format::Numpy)
        .create(Box::new(sink.clone()))
        .unwrap();
    for id in 0..3 {
        w.push_json(&small_row(id)).unwrap();
    }
    // NumPy files are made when the group ends, in `finish`.
    assert!(sink.visible.lock().unwrap().is_empty());
    let s = w.finish().unwrap();
    let visible = sink.visible.lock().unwrap();
    assert_eq!(
        visible.keys().cloned().collect::<Vec<_>>(),
        ["1/id.npy", "1/title.npy", "1/vec.npy"]
    );
    assert_eq!(
        s.bytes,
        visible.values().map(|v| v.len() as u64).sum::<u64>()
    );
    // 1-D int64 of 3 rows: a 128-byte header then 24 bytes.
    let ids = &visible["1/id.npy"];
    assert_eq!(ids.len(), 128 + 24);
    assert_eq!(&ids[128..136], &0i64.to_le_bytes());
    drop(visible);
    let failing = MemorySink::default();
    let mut w = Writer::builder(small(false))
        .create(Box::new(failing.clone()))
        .unwrap();
    w.push_json(&small_row(1)).unwrap();
    assert!(w.push_json(&json!({"id": 2})).is_err());
    assert!(*failing.aborted.lock().unwrap());
    assert!(failing.visible.lock().unwrap().is_empty());
}

#[test]
fn jsonl_edges_bom_crlf_long_lines_and_no_final_newline() {
    let long = "x".repeat(5 << 20);
    let input = format!(
        "\u{FEFF}{}\r\n\r\n{{\"id\": 2, \"vec\": [1,2,3,4], \"title\": \"b\", \"big\": \"{long}\"}}\r\n{{\"id\": 3}}\n{}",
        small_row(1),
        small_row(4)
    );
    for threads in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::builder(small(true))
            .format(Format::Jsonl)
            .threads(threads)
            .bad_rows(BadRows::Collect)
            .create_in(dir.path())
            .unwrap();
        assert_eq!(w.write_jsonl(input.as_bytes()).unwrap(), 4);
        let s = w.finish().unwrap();
        let bad: Vec<(u64, Option<u64>, &Reason)> = s
            .rejected
            .iter()
            .map(|e| (e.row, e.line, &e.reason))
            .collect();
        assert_eq!(bad, [(3, Some(4), &Reason::Missing)]);
        let text = std::fs::read_to_string(dir.path().join("1.jsonl")).unwrap();
        let ids: Vec<i64> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(ids, [1, 2, 4]);
        assert!(text.contains(&long));
    }
}

#[test]
fn a_writer_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::builder(small(false)).create_in(dir.path()).unwrap();
    send(&w);
    let handle = std::thread::spawn(move || {
        let mut w = w;
        w.push_json(&small_row(1)).unwrap();
        w.finish().unwrap().rows
    });
    assert_eq!(handle.join().unwrap(), 1);
}

#[test]
fn json_row_files_in_both_shapes() {
    let rows: Vec<serde_json::Value> = (0..5).map(small_row).collect();
    let run = |text: String, bad_rows: BadRows| {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::builder(small(false))
            .format(Format::Jsonl)
            .bad_rows(bad_rows)
            .create_in(dir.path())
            .unwrap();
        let read = w.write_json_rows(text.as_bytes());
        let done = read.and_then(|n| w.finish().map(|s| (n, s)));
        let out = std::fs::read_to_string(dir.path().join("1.jsonl")).unwrap_or_default();
        (done, out, files_under(dir.path()))
    };
    let wrapped = json!({"ROWS": rows}).to_string();
    let (done, out, _) = run(wrapped, BadRows::Fail);
    let (n, s) = done.unwrap();
    assert_eq!((n, s.rows), (5, 5));
    assert_eq!(out.lines().count(), 5);
    // A bare list; a bad row skipped and named by its position.
    let mut list = rows.clone();
    list.insert(2, json!({"id": 9, "vec": [1], "title": "x"}));
    let (done, out, _) = run(
        serde_json::to_string_pretty(&list).unwrap(),
        BadRows::Collect,
    );
    let (n, s) = done.unwrap();
    assert_eq!((n, s.rows, s.rejected.len()), (6, 5, 1));
    assert_eq!(
        (s.rejected[0].row, &s.rejected[0].reason),
        (
            3,
            &Reason::Dim {
                expected: 4,
                got: 1
            }
        )
    );
    assert_eq!(out.lines().count(), 5);
    // The writer's own JSON output reads back as the same rows.
    let (dir, _) = crate::common::write_rows(small(false), Format::Json, &rows);
    let json_file = std::fs::read_to_string(dir.path().join("out/1.json")).unwrap();
    let (done, again, _) = run(json_file, BadRows::Fail);
    done.unwrap();
    let (_, direct, _) = run(json!(rows).to_string(), BadRows::Fail);
    assert_eq!(again, direct);
    // Broken text ends the write, naming the row where it broke, and
    // leaves nothing.
    let broken = format!("{{\"rows\": [{}, {{\"id\": 2,", small_row(1));
    let (done, _, left) = run(broken, BadRows::Collect);
    match done {
        Err(WriteError::Row(e)) => {
            assert!(e.row == 2 && matches!(e.reason, Reason::Syntax(_)), "{e:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(left.is_empty(), "{left:?}");
    let (done, _, _) = run("{\"data\": []}".into(), BadRows::Fail);
    assert!(
        matches!(done, Err(WriteError::Row(ref e)) if matches!(e.reason, Reason::Syntax(ref m) if m.contains("unexpected key `data`"))),
        "{done:?}"
    );
}

#[test]
fn csv_rows_in_as_milvus_reads_them() {
    let schema = zilliz_import_writer::Schema::from_json_value(&json!({"enableDynamicField": true, "fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "ok", "type": "Bool"},
        {"name": "score", "type": "Float", "nullable": true},
        {"name": "n", "type": "Int32", "defaultValue": 7},
        {"name": "title", "type": "VarChar", "params": [{"key": "max_length", "value": "8"}]},
        {"name": "vec", "type": "FloatVector", "params": [{"key": "dim", "value": "2"}]},
        {"name": "tags", "type": "Array", "elementType": "Int64", "params": [{"key": "max_capacity", "value": "3"}]},
        {"name": "j", "type": "JSON"}
    ]}))
    .unwrap();
    let input = "id,ok,score,n,title,vec,tags,j,$meta,color\n\
                 1,True,0.5,3,\"a,b\",\"[1, 2]\",[7],\"{\"\"k\"\": 1}\",\"{\"\"m\"\": 2}\",red\n\
                 2,0,,,\"\",\"[3,4]\",[],[1],{},\n\
                 3,yes,1,1,c,\"[1,2]\",[],1,{},blue\n\
                 4,1,1,1,d,\"[1, 2], \"\"id\"\": 5\",[],1,{},blue\n\
                 5,1,1\n";
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(schema)
        .format(Format::Jsonl)
        .bad_rows(BadRows::Collect)
        .create_in(dir.path())
        .unwrap();
    assert_eq!(w.write_csv(input.as_bytes(), b',', "").unwrap(), 5);
    let s = w.finish().unwrap();
    let bad: Vec<(Option<u64>, Option<&str>, &Reason)> = s
        .rejected
        .iter()
        .map(|e| (e.line, e.field.as_deref(), &e.reason))
        .collect();
    assert_eq!(
        bad,
        [
            (
                Some(4),
                Some("ok"),
                &Reason::WrongType {
                    expected: "a boolean",
                    got: "a string"
                }
            ),
            // A cell cannot smuggle in keys: it is not one JSON value, so it is a string.
            (
                Some(5),
                Some("vec"),
                &Reason::WrongType {
                    expected: "an array of numbers",
                    got: "a string"
                }
            ),
            (
                Some(6),
                None,
                &Reason::Syntax("3 cells in a row under a header of 10".into())
            ),
        ]
    );
    let text = std::fs::read_to_string(dir.path().join("1.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            json!({"id": 1, "ok": true, "score": 0.5, "n": 3, "title": "a,b", "vec": [1.0, 2.0], "tags": [7], "j": {"k": 1}, "color": "red", "m": 2}),
            // Empty cells: null for the nullable field, the default for n, an
            // empty string for the VarChar (neither nullable nor defaulted);
            // CSV carries dynamic values as strings.
            json!({"id": 2, "ok": false, "score": null, "n": 7, "title": "", "vec": [3.0, 4.0], "tags": [], "j": [1], "color": ""}),
        ]
    );
}
