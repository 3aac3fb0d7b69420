//! What the Milvus tests share: the server from the environment, a schema
//! given once for both the writer and `import_check.py`, and the values
//! Milvus must give back for the rows written.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Map, Value, json};
use zilliz_import_writer::{Format, Schema, Writer};

/// How a value is stored, so what comes back for what was written.
#[derive(Clone, Copy)]
pub enum Kind {
    /// As written.
    Plain,
    /// A float32 (Float): the written number rounded to f32.
    F32,
    /// A list of float32 (FloatVector, Array<Float>).
    F32List,
    /// A JSON field: a string is JSON text, stored parsed.
    Json,
}

pub struct FieldSpec {
    name: &'static str,
    data_type: &'static str,
    kind: Kind,
    params: Vec<(&'static str, &'static str)>,
    element: Option<&'static str>,
    primary: bool,
    auto_id: bool,
}

pub fn field(
    name: &'static str,
    data_type: &'static str,
    kind: Kind,
    params: &[(&'static str, &'static str)],
) -> FieldSpec {
    FieldSpec {
        name,
        data_type,
        kind,
        params: params.to_vec(),
        element: None,
        primary: false,
        auto_id: false,
    }
}

impl FieldSpec {
    pub fn primary(mut self) -> Self {
        self.primary = true;
        self
    }

    pub fn auto_id(mut self) -> Self {
        self.auto_id = true;
        self
    }

    pub fn element(mut self, element: &'static str) -> Self {
        self.element = Some(element);
        self
    }
}

/// A collection: its fields and whether the dynamic field is on.
pub struct Case {
    fields: Vec<FieldSpec>,
    dynamic: bool,
}

impl Case {
    pub fn new(fields: Vec<FieldSpec>, dynamic: bool) -> Self {
        Case { fields, dynamic }
    }

    /// The schema as `collections/describe` answers it: what the writer
    /// and `import_check.py` both read.
    pub fn describe(&self) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|f| {
                let mut v = json!({
                    "name": f.name,
                    "type": f.data_type,
                    "primaryKey": f.primary,
                    "autoId": f.auto_id,
                    "params": f.params.iter()
                        .map(|(k, v)| json!({"key": k, "value": v}))
                        .collect::<Vec<_>>(),
                });
                if let Some(e) = f.element {
                    v["elementType"] = json!(e);
                }
                v
            })
            .collect();
        json!({"code": 0, "data": {
            "collectionName": "c",
            "autoId": self.fields.iter().any(|f| f.auto_id),
            "enableDynamicField": self.dynamic,
            "fields": fields,
        }})
    }

    /// Writes the rows with the Rust writer; the file groups, as absolute
    /// paths (the server resolves relative ones against its own folder).
    pub fn write(
        &self,
        format: Format,
        file_size: Option<u64>,
        rows: &[Value],
    ) -> (tempfile::TempDir, Vec<Vec<String>>) {
        let schema = Schema::from_json_value(&self.describe()).expect("schema");
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let mut builder = Writer::builder(schema).format(format);
        if let Some(bytes) = file_size {
            builder = builder.file_size(bytes);
        }
        let mut writer = builder.create_in(&out).expect("writer");
        for (i, row) in rows.iter().enumerate() {
            if let Err(e) = writer.push_json(row) {
                panic!("row {i} refused: {e}\n{row}");
            }
        }
        let summary = writer.finish().expect("finish");
        assert_eq!(summary.rows, rows.len() as u64);
        let groups = summary
            .files()
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .map(|p| out.join(p).to_str().expect("UTF-8 path").to_owned())
                    .collect()
            })
            .collect();
        (dir, groups)
    }

    /// What Milvus must give back for a written row: stored types applied,
    /// undeclared keys (and those of `"$meta"`) in `$meta`, auto-id left
    /// out.
    fn expected(&self, row: &Value) -> Value {
        let mut out = Map::new();
        for f in self.fields.iter().filter(|f| !f.auto_id) {
            let v = &row[f.name];
            let v = match f.kind {
                Kind::Plain => v.clone(),
                Kind::F32 => f32_of(v),
                Kind::Json => match v {
                    Value::String(text) => serde_json::from_str(text).expect("JSON text"),
                    v => v.clone(),
                },
                Kind::F32List => {
                    Value::Array(v.as_array().expect("a list").iter().map(f32_of).collect())
                }
            };
            out.insert(f.name.to_owned(), v);
        }
        if self.dynamic {
            let mut meta = Map::new();
            for (k, v) in row.as_object().expect("a row object") {
                if k == "$meta" {
                    meta.extend(v.as_object().expect("$meta object").clone());
                } else if !self.fields.iter().any(|f| f.name == k) {
                    meta.insert(k.clone(), v.clone());
                }
            }
            out.insert("$meta".to_owned(), Value::Object(meta));
        }
        Value::Object(out)
    }

    /// Every row came back with every value; rows in the order of `sort_by`
    /// (by default the primary key, as `import_check.py` sorts them).
    pub fn assert_rows(&self, out: &Value, rows: &[Value], sort_by: Option<&str>) {
        let key = sort_by.unwrap_or_else(|| self.fields.iter().find(|f| f.primary).unwrap().name);
        let mut want: Vec<Value> = rows.iter().map(|r| self.expected(r)).collect();
        let mut got: Vec<Value> = out["data"].as_array().expect("data").clone();
        for row in &mut got {
            for f in self.fields.iter().filter(|f| f.auto_id) {
                let id = row.as_object_mut().unwrap().remove(f.name);
                assert!(id.is_some_and(|id| id.is_i64()), "auto-id key missing");
            }
        }
        let order = |a: &Value, b: &Value| match (&a[key], &b[key]) {
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (x, y) => x.as_i64().cmp(&y.as_i64()),
        };
        want.sort_by(order);
        got.sort_by(order);
        assert_eq!(out["rows"], json!(rows.len()), "count(*)");
        assert_eq!(got.len(), want.len(), "rows read back");
        let mut diffs = Vec::new();
        for (w, g) in want.iter().zip(&got) {
            for (name, wv) in w.as_object().unwrap() {
                if !same(wv, &g[name]) {
                    diffs.push(format!(
                        "{key}={}: {name}: expected {wv}, read {}",
                        w[key], g[name]
                    ));
                }
            }
            let extra: Vec<&String> = g
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| w.get(k.as_str()).is_none())
                .collect();
            if !extra.is_empty() {
                diffs.push(format!("{key}={}: unexpected {extra:?}", w[key]));
            }
        }
        assert!(
            diffs.is_empty(),
            "{} values differ, first ones:\n{}",
            diffs.len(),
            diffs[..diffs.len().min(20)].join("\n")
        );
    }
}

fn f32_of(v: &Value) -> Value {
    json!(v.as_f64().expect("a number") as f32 as f64)
}

/// Equal JSON: integers exactly, floats by value (`-0.0` is `0.0`), an
/// integer never equal to a float.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), ..) => p == q,
                (.., Some(p), Some(q)) => p == q,
                _ => x.is_f64() && y.is_f64() && x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The server `ci.sh` started, from its environment.
pub struct Milvus {
    endpoint: String,
    python: PathBuf,
    check: PathBuf,
}

/// The server to import into; `None` (the test passes, saying why) when
/// there is none and `CI` is not set. Under CI a missing server fails.
pub fn server() -> Option<Milvus> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let Some(endpoint) = var("MILVUS_ENDPOINT") else {
        let ci = var("CI").is_some_and(|v| v != "false" && v != "0");
        assert!(
            !ci,
            "CI is set but MILVUS_ENDPOINT is not: run the tests through writer/tests/milvus/ci.sh"
        );
        eprintln!(
            "skipped: no MILVUS_ENDPOINT (run through writer/tests/milvus/ci.sh to import into a real Milvus 2.3.5)"
        );
        return None;
    };
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/milvus");
    let venv = var("MILVUS_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(var("HOME").expect("HOME")).join(".cache/zilliz-import/milvus-venv")
    });
    Some(Milvus {
        endpoint,
        python: var("MILVUS_PYTHON").map_or_else(|| venv.join("bin/python"), PathBuf::from),
        check: var("MILVUS_IMPORT_CHECK")
            .map_or_else(|| here.join("import_check.py"), PathBuf::from),
    })
}

impl Milvus {
    /// Creates `collection` afresh, imports each group as one task, and
    /// reads every row back (`import_check.py`'s answer).
    pub fn import(&self, case: &Case, collection: &str, groups: &[Vec<String>]) -> Value {
        let dir = tempfile::tempdir().expect("tempdir");
        let schema = dir.path().join("schema.json");
        std::fs::write(&schema, case.describe().to_string()).expect("schema file");
        let mut cmd = Command::new(&self.python);
        cmd.arg(&self.check)
            .args(["--endpoint", &self.endpoint, "--collection", collection])
            .arg("--schema")
            .arg(&schema)
            .args(["--timeout", "300"]);
        for group in groups {
            cmd.arg("--files").args(group);
        }
        let out = cmd.output().unwrap_or_else(|e| {
            panic!(
                "cannot run {} {}: {e}",
                self.python.display(),
                self.check.display()
            )
        });
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "import_check.py failed ({}):\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout).expect("import_check.py prints JSON")
    }
}
