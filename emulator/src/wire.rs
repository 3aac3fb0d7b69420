//! Request bodies: whatever JSON a client sent, normalised and decoded into
//! the request types generated from `openapi.yaml` (see `spec.rs`), so a
//! field renamed in the spec is a compile error here.
//!
//! Clients differ in what they send for "unset" (the Python SDK sends every
//! key, `""` for strings and `null` for lists) and some send ids as numbers,
//! so before decoding, the body is normalised:
//!
//! - only the fields the operation reads are kept (as Go's JSON decoding on
//!   open-source Milvus ignores unknown keys; credentials are never kept);
//! - `null` values are dropped, as if absent;
//! - a number given for a string becomes its decimal text;
//! - in file groups, `null` groups and `null` paths are dropped, and where
//!   allowed (`objectUrls`) a bare string becomes a group of one;
//! - an option whose value is `null` becomes `""`.
//!
//! Anything else of the wrong JSON type is a [`Problem`] naming the field.
//! Paging (`pageSize`, `currentPage`) is not part of this: the control plane
//! echoes back any page number it is given, which the generated
//! `NonZeroU32` cannot hold, so routes read those two by hand.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::spec::{limits, types};

/// Why a body cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// A value of the wrong JSON type; the text names the field.
    Format(String),
    /// An `options` value that is not a string (nor `null`).
    OptionValue(String),
}

/// What a field holds on the wire.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A string (a number is taken as its text).
    Text,
    /// An array of file groups; `flat` tolerates bare strings as groups of one.
    Groups { flat: bool },
    /// An object of strings.
    Options,
}

use Kind::{Groups, Options, Text};

/// Every create field the control plane reads. Credentials (`accessKey`,
/// `secretKey`, `token`) are left out: the emulator never uses them.
const CREATE_FIELDS: &[(&str, Kind)] = &[
    ("clusterId", Text),
    ("projectId", Text),
    ("regionId", Text),
    ("dbName", Text),
    ("collectionName", Text),
    ("partitionName", Text),
    ("objectUrl", Text),
    ("objectUrls", Groups { flat: true }),
    ("volumeName", Text),
    ("dataPaths", Groups { flat: false }),
    ("files", Groups { flat: false }),
    ("options", Options),
];

/// Open-source Milvus's `ImportReq`: nothing else is read.
const MILVUS_CREATE_FIELDS: &[(&str, Kind)] = &[
    ("dbName", Text),
    ("collectionName", Text),
    ("partitionName", Text),
    ("files", Groups { flat: false }),
    ("options", Options),
];

const DESCRIBE_FIELDS: &[(&str, Kind)] = &[
    ("clusterId", Text),
    ("projectId", Text),
    ("regionId", Text),
    ("dbName", Text),
    ("jobId", Text),
];

/// Open-source Milvus's `JobIDReq`: the database is the `DB-Name` header.
const MILVUS_DESCRIBE_FIELDS: &[(&str, Kind)] = &[("jobId", Text)];

const LIST_FIELDS: &[(&str, Kind)] = &[
    ("clusterId", Text),
    ("projectId", Text),
    ("regionId", Text),
    ("dbName", Text),
    ("collectionName", Text),
];

/// Open-source Milvus's `OptionalCollectionNameReq`: no paging, no ids.
const MILVUS_LIST_FIELDS: &[(&str, Kind)] = &[("dbName", Text), ("collectionName", Text)];

/// A decoded body and which of its fields were present (not absent, not
/// `null`), since the generated types cannot tell an absent list from `[]`
/// nor a missing required string from `""`.
#[derive(Debug)]
pub(crate) struct Decoded<T> {
    pub(crate) body: T,
    present: Vec<&'static str>,
}

impl<T> Decoded<T> {
    /// Whether the field was sent with a value (`null` counts as absent).
    pub(crate) fn has(&self, field: &str) -> bool {
        self.present.contains(&field)
    }
}

/// A create body, as the control plane (`milvus` false) or Milvus reads it.
pub(crate) fn create(
    obj: &Map<String, Value>,
    milvus: bool,
) -> Result<Decoded<types::CreateImportJobRequest>, Problem> {
    let fields = if milvus {
        MILVUS_CREATE_FIELDS
    } else {
        CREATE_FIELDS
    };
    decode(obj, fields, limits::CREATE_REQUIRED)
}

/// A describe (or get-progress) body; commit and abort take the same.
pub(crate) fn describe(
    obj: &Map<String, Value>,
    milvus: bool,
) -> Result<Decoded<types::DescribeImportJobRequest>, Problem> {
    let fields = if milvus {
        MILVUS_DESCRIBE_FIELDS
    } else {
        DESCRIBE_FIELDS
    };
    decode(obj, fields, limits::DESCRIBE_REQUIRED)
}

/// A list body, without its paging.
pub(crate) fn list(
    obj: &Map<String, Value>,
    milvus: bool,
) -> Result<Decoded<types::ListImportJobsRequest>, Problem> {
    let fields = if milvus {
        MILVUS_LIST_FIELDS
    } else {
        LIST_FIELDS
    };
    decode(obj, fields, &[])
}

/// Milvus's `CollectionNameReq`: `dbName` and `collectionName`.
const COLLECTION_FIELDS: &[(&str, Kind)] = &[("dbName", Text), ("collectionName", Text)];

/// A `collections/describe` body.
pub(crate) fn describe_collection(
    obj: &Map<String, Value>,
) -> Result<Decoded<types::DescribeCollectionRequest>, Problem> {
    decode(obj, COLLECTION_FIELDS, limits::DESCRIBE_COLLECTION_REQUIRED)
}

/// Normalises `fields` of `obj` (see the module docs), gives each of
/// `required` a `""` when absent so the generated type decodes (callers
/// check for blanks), and decodes.
fn decode<T: DeserializeOwned>(
    obj: &Map<String, Value>,
    fields: &[(&'static str, Kind)],
    required: &[&'static str],
) -> Result<Decoded<T>, Problem> {
    let mut out = Map::new();
    let mut present = Vec::new();
    for &(field, kind) in fields {
        let Some(value) = obj.get(field).filter(|v| !v.is_null()) else {
            continue;
        };
        let value = match kind {
            Text => text(field, value)?,
            Groups { flat } => groups(field, value, flat)?,
            Options => options(value)?,
        };
        present.push(field);
        out.insert(field.to_owned(), value);
    }
    for &field in required {
        out.entry(field)
            .or_insert_with(|| Value::String(String::new()));
    }
    let body = serde_json::from_value(Value::Object(out))
        .map_err(|e| Problem::Format(format!("the body does not decode: {e}")))?;
    Ok(Decoded { body, present })
}

fn text(field: &str, value: &Value) -> Result<Value, Problem> {
    match value {
        Value::String(_) => Ok(value.clone()),
        Value::Number(n) => Ok(Value::String(n.to_string())),
        _ => Err(Problem::Format(format!("{field} must be a string"))),
    }
}

fn groups(field: &str, value: &Value, flat: bool) -> Result<Value, Problem> {
    let bad = || Problem::Format(format!("{field} must be an array of arrays of strings"));
    let Value::Array(items) = value else {
        return Err(bad());
    };
    let mut out = Vec::with_capacity(items.len());
    for group in items {
        match group {
            Value::Null => {}
            Value::String(_) if flat => out.push(Value::Array(vec![group.clone()])),
            Value::Array(paths) => {
                let mut kept = Vec::with_capacity(paths.len());
                for path in paths {
                    match path {
                        Value::Null => {}
                        Value::String(_) => kept.push(path.clone()),
                        _ => return Err(bad()),
                    }
                }
                out.push(Value::Array(kept));
            }
            _ => return Err(bad()),
        }
    }
    Ok(Value::Array(out))
}

fn options(value: &Value) -> Result<Value, Problem> {
    let Value::Object(map) = value else {
        return Err(Problem::Format(
            "options must be an object of strings".to_owned(),
        ));
    };
    let mut out = Map::new();
    for (key, value) in map {
        let value = match value {
            Value::String(_) => value.clone(),
            Value::Null => Value::String(String::new()),
            _ => {
                return Err(Problem::OptionValue(format!(
                    "options.{key} must be a string, such as \"false\" rather than false"
                )));
            }
        };
        out.insert(key.clone(), value);
    }
    Ok(Value::Object(out))
}

/// The value of a string field, unless it is blank (`""` or spaces), which
/// means unset.
pub(crate) fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.trim().is_empty())
}

/// The first of these names (`(field, value)`) that is sent but holds only
/// white space: `""` means unset, as the official SDKs send it, but `" "`
/// is no name (Milvus names start with a letter or an underscore); what the
/// real servers answer for one is unverified.
pub(crate) fn blank_name<'a>(names: &[(&'a str, &Option<String>)]) -> Option<&'a str> {
    names
        .iter()
        .find(|(_, v)| {
            v.as_deref()
                .is_some_and(|s| !s.is_empty() && s.trim().is_empty())
        })
        .map(|(field, _)| *field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn the_python_sdk_create_decodes() {
        let body = obj(json!({
            "collectionName": "c", "dbName": "", "partitionName": "", "files": null,
            "objectUrl": "", "objectUrls": null, "clusterId": "", "projectId": "p",
            "regionId": "r", "accessKey": "", "secretKey": "", "token": "",
            "volumeName": "v", "dataPaths": [["a.parquet"], null, "flat"], "options": {}
        }));
        let err = create(&body, false).unwrap_err();
        assert_eq!(
            err,
            Problem::Format("dataPaths must be an array of arrays of strings".to_owned())
        );
        let mut body = body;
        body.insert("dataPaths".to_owned(), json!([["a.parquet"], null, [null]]));
        let d = create(&body, false).expect("decodes");
        assert_eq!(
            d.body.data_paths,
            vec![vec!["a.parquet".to_owned()], vec![]]
        );
        assert_eq!(d.body.project_id.as_deref(), Some("p"));
        assert!(d.has("dataPaths") && !d.has("files") && !d.has("objectUrls"));
        assert_eq!(set(&d.body.cluster_id), None);
        assert_eq!(d.body.access_key, None);
    }

    #[test]
    fn milvus_reads_only_its_own_fields() {
        let body = obj(json!({
            "collectionName": 7, "clusterId": [], "objectUrls": {"x": 1},
            "files": [["a.npy", "b.npy"]], "options": {"sep": ",", "nullkey": null}
        }));
        let d = create(&body, true).expect("decodes");
        assert_eq!(d.body.collection_name, "7");
        assert_eq!(d.body.cluster_id, None);
        assert_eq!(d.body.options["nullkey"], "");
        let bad =
            obj(json!({"collectionName": "c", "files": [], "options": {"auto_commit": false}}));
        assert!(matches!(create(&bad, true), Err(Problem::OptionValue(_))));
        let d = describe(&obj(json!({"dbName": []})), true).expect("decodes");
        assert_eq!(d.body.job_id, "");
        assert!(!d.has("jobId"));
    }
}
