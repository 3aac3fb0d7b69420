//! Reading a schema from the JSON shapes of Milvus REST v2.
//!
//! Two shapes exist and both are read:
//! - the answer of `POST /v2/vectordb/collections/describe`: fields with
//!   `name`, `type`, `primaryKey`, `autoId`, `nullable`, `defaultValue`,
//!   `isFunctionOutput`, `elementType` and `params` (a list of
//!   `{"key", "value"}` with string values); `enableDynamicField` and
//!   `functions` beside them (field names as printed by Milvus'
//!   `printFieldDetail` in `handler_v2.go` / `utils.go`);
//! - the `schema` of `POST /v2/vectordb/collections/create`, as people
//!   write it by hand: fields with `fieldName`, `dataType`, `isPrimary`,
//!   `elementDataType` and `elementTypeParams` (`dim`, `max_length`,
//!   `max_capacity`, as strings or numbers), `autoId` at the schema level.
//!
//! Everything goes through [`SchemaBuilder`], so both shapes obey the same
//! rules as a schema built in code.

use serde_json::{Map, Value};

use super::{BinaryDim, DataType, DefaultValue, Dim, ElementType, Field, Schema};
use crate::error::SchemaError;

impl Schema {
    /// Reads a schema from JSON text, in any of the shapes Milvus REST v2
    /// uses: the answer of `collections/describe` (whole, or its `data`
    /// object), or the `schema` of `collections/create` (alone or inside
    /// the whole request).
    pub fn from_json(text: &str) -> Result<Self, SchemaError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(SchemaError::Json)?;
        Self::from_json_value(&value)
    }

    /// Like [`Schema::from_json`], from an already parsed value.
    pub fn from_json_value(value: &serde_json::Value) -> Result<Self, SchemaError> {
        from_value(value)
    }
}

/// Finds the object holding `fields` (the whole describe answer, its
/// `data`, a create request or its `schema`) and reads it.
fn from_value(value: &Value) -> Result<Schema, SchemaError> {
    let root = value
        .as_object()
        .ok_or_else(|| SchemaError::Shape("a schema is a JSON object".into()))?;
    let object = locate(root).ok_or_else(|| {
        SchemaError::Shape("no `fields` list (nor `data.fields` or `schema.fields`)".into())
    })?;
    read_schema(object)
}

fn locate(root: &Map<String, Value>) -> Option<&Map<String, Value>> {
    if root.get("fields").is_some_and(Value::is_array) {
        return Some(root);
    }
    ["data", "schema"]
        .iter()
        .filter_map(|key| root.get(*key)?.as_object())
        .find_map(locate)
}

fn read_schema(object: &Map<String, Value>) -> Result<Schema, SchemaError> {
    let collection_auto_id = flag(object, &["autoId", "autoID", "auto_id"])?;
    let mut builder = Schema::builder().dynamic_field(flag(
        object,
        &["enableDynamicField", "enable_dynamic_field"],
    )?);
    let fields = object["fields"].as_array().expect("located by `fields`");
    for (i, value) in fields.iter().enumerate() {
        let field_object = value
            .as_object()
            .ok_or_else(|| SchemaError::Shape(format!("field {} is not a JSON object", i + 1)))?;
        let mut field = read_field(i, field_object)?;
        if collection_auto_id && field.is_primary_key() {
            field = field.auto_id();
        }
        builder = builder.field(field);
    }
    if let Some(functions) = object.get("functions").filter(|v| !v.is_null()) {
        let functions = functions
            .as_array()
            .ok_or_else(|| SchemaError::Shape("`functions` is not a list".into()))?;
        for function in functions {
            let name = function
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)");
            let outputs = function
                .get("outputFieldNames")
                .or_else(|| function.get("output_field_names"))
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    SchemaError::Shape(format!("function `{name}` has no `outputFieldNames` list"))
                })?;
            for output in outputs {
                let output = output.as_str().ok_or_else(|| {
                    SchemaError::Shape(format!(
                        "function `{name}` names an output that is not a string"
                    ))
                })?;
                builder = builder.function_output(name, output);
            }
        }
    }
    builder.build()
}

/// The keys of one field, whichever of the two shapes it is in.
struct Keys {
    name: &'static [&'static str],
    data_type: &'static [&'static str],
    primary: &'static [&'static str],
    element: &'static [&'static str],
    params: &'static [&'static str],
}

const DESCRIBE: Keys = Keys {
    name: &["name"],
    data_type: &["type"],
    primary: &["primaryKey"],
    element: &["elementType"],
    params: &["params"],
};

const CREATE: Keys = Keys {
    name: &["fieldName"],
    data_type: &["dataType"],
    primary: &["isPrimary", "isPrimaryKey"],
    element: &["elementDataType"],
    params: &["elementTypeParams"],
};

fn read_field(i: usize, object: &Map<String, Value>) -> Result<Field, SchemaError> {
    let keys = if object.contains_key("fieldName") {
        &CREATE
    } else {
        &DESCRIBE
    };
    let name = get(object, keys.name)
        .and_then(Value::as_str)
        .ok_or_else(|| SchemaError::Shape(format!("field {} has no `{}`", i + 1, keys.name[0])))?
        .to_owned();
    let type_text = get(object, keys.data_type)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            SchemaError::Shape(format!("field `{name}` has no `{}`", keys.data_type[0]))
        })?;
    let params = Params::read(&name, get(object, keys.params))?;
    let element = get(object, keys.element).and_then(Value::as_str);
    let data_type = data_type(&name, type_text, element, &params)?;
    let mut field = Field::new(name, data_type);
    if flag(object, keys.primary)? {
        field = field.primary_key();
    }
    if flag(object, &["autoId", "autoID"])? {
        field = field.auto_id();
    }
    if flag(object, &["nullable"])? {
        field = field.nullable();
    }
    if flag(object, &["isFunctionOutput"])? {
        field = field.function_output();
    }
    if let Some(default) = object.get("defaultValue").filter(|v| !v.is_null()) {
        let value = default_value(field.name(), field.data_type(), default)?;
        field = field.default_value(value);
    }
    Ok(field)
}

fn get<'a>(object: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| object.get(*k))
}

/// A boolean flag that may be absent (false) but, when present, must be a
/// boolean.
fn flag(object: &Map<String, Value>, keys: &[&str]) -> Result<bool, SchemaError> {
    match get(object, keys) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(SchemaError::Shape(format!(
            "`{}` is {other}, not true or false",
            keys[0]
        ))),
    }
}

/// Type parameters: `dim`, `max_length`, `max_capacity`.
struct Params {
    dim: Option<u32>,
    max_length: Option<u32>,
    max_capacity: Option<u32>,
}

impl Params {
    fn read(field: &str, value: Option<&Value>) -> Result<Self, SchemaError> {
        let mut params = Params {
            dim: None,
            max_length: None,
            max_capacity: None,
        };
        let mut set = |key: &str, value: &Value| -> Result<(), SchemaError> {
            let slot = match key {
                "dim" => &mut params.dim,
                "max_length" => &mut params.max_length,
                "max_capacity" => &mut params.max_capacity,
                _ => return Ok(()),
            };
            let number = match value {
                Value::String(s) => s.trim().parse::<u32>().ok(),
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                _ => None,
            };
            *slot = Some(number.ok_or_else(|| SchemaError::BadParam {
                field: field.to_owned(),
                param: key.to_owned(),
                value: value.to_string(),
            })?);
            Ok(())
        };
        match value {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                for pair in list {
                    let key = pair.get("key").and_then(Value::as_str);
                    let value = pair.get("value");
                    match (key, value) {
                        (Some(key), Some(value)) => set(key, value)?,
                        _ => {
                            return Err(SchemaError::Shape(format!(
                                "field `{field}` has a param that is not {{\"key\", \"value\"}}: {pair}"
                            )));
                        }
                    }
                }
            }
            Some(Value::Object(map)) => {
                for (key, value) in map {
                    set(key, value)?;
                }
            }
            Some(other) => {
                return Err(SchemaError::Shape(format!(
                    "field `{field}` has params that are neither a list nor an object: {other}"
                )));
            }
        }
        Ok(params)
    }

    fn require(
        &self,
        field: &str,
        param: &'static str,
        value: Option<u32>,
    ) -> Result<u32, SchemaError> {
        value.ok_or_else(|| SchemaError::MissingParam {
            field: field.to_owned(),
            param,
        })
    }
}

/// The type of a field from its name (`FloatVector`, or the older
/// `FloatVector(768)` / `VarChar(512)` spellings) and its parameters.
fn data_type(
    field: &str,
    text: &str,
    element: Option<&str>,
    params: &Params,
) -> Result<DataType, SchemaError> {
    let (base, inline) = split_inline(text);
    let dim =
        || -> Result<u32, SchemaError> { params.require(field, "dim", params.dim.or(inline)) };
    let max_length = || -> Result<u32, SchemaError> {
        params.require(field, "max_length", params.max_length.or(inline))
    };
    let with = |e: SchemaError| match e {
        SchemaError::BadDim { dim, binary } => SchemaError::BadParam {
            field: field.to_owned(),
            param: "dim".into(),
            value: format!(
                "{dim}{}",
                if binary {
                    " (not a positive multiple of 8)"
                } else {
                    ""
                }
            ),
        },
        other => other,
    };
    let lower = base.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "bool" => DataType::Bool,
        "int8" => DataType::Int8,
        "int16" => DataType::Int16,
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "float" => DataType::Float,
        "double" => DataType::Double,
        "varchar" => DataType::VarChar {
            max_length: max_length()?,
        },
        "json" => DataType::Json,
        "text" => DataType::Text,
        "geometry" => DataType::Geometry,
        "timestamptz" => DataType::Timestamptz,
        "array" => {
            let element_text = element.ok_or_else(|| SchemaError::MissingParam {
                field: field.to_owned(),
                param: "elementType",
            })?;
            DataType::Array {
                element: element_type(field, element_text, params)?,
                max_capacity: params.require(field, "max_capacity", params.max_capacity)?,
            }
        }
        "floatvector" => DataType::FloatVector {
            dim: Dim::new(dim()?).map_err(with)?,
        },
        "binaryvector" => DataType::BinaryVector {
            dim: BinaryDim::new(dim()?).map_err(with)?,
        },
        "float16vector" => DataType::Float16Vector {
            dim: Dim::new(dim()?).map_err(with)?,
        },
        "bfloat16vector" => DataType::BFloat16Vector {
            dim: Dim::new(dim()?).map_err(with)?,
        },
        "int8vector" => DataType::Int8Vector {
            dim: Dim::new(dim()?).map_err(with)?,
        },
        "sparsefloatvector" => DataType::SparseFloatVector,
        "string" | "arrayofvector" | "arrayofstruct" => {
            return Err(SchemaError::UnsupportedType {
                field: field.to_owned(),
                type_name: text.to_owned(),
            });
        }
        _ => {
            return Err(SchemaError::UnknownType {
                field: field.to_owned(),
                type_name: text.to_owned(),
            });
        }
    })
}

/// `FloatVector(768)` → (`FloatVector`, Some(768)); anything else unchanged.
fn split_inline(text: &str) -> (&str, Option<u32>) {
    let text = text.trim();
    if let Some(open) = text.find('(')
        && let Some(inner) = text[open + 1..].strip_suffix(')')
        && let Ok(n) = inner.trim().parse::<u32>()
    {
        return (&text[..open], Some(n));
    }
    (text, None)
}

fn element_type(field: &str, text: &str, params: &Params) -> Result<ElementType, SchemaError> {
    Ok(match text.trim().to_ascii_lowercase().as_str() {
        "bool" => ElementType::Bool,
        "int8" => ElementType::Int8,
        "int16" => ElementType::Int16,
        "int32" => ElementType::Int32,
        "int64" => ElementType::Int64,
        "float" => ElementType::Float,
        "double" => ElementType::Double,
        "varchar" => ElementType::VarChar {
            max_length: params.require(field, "max_length", params.max_length)?,
        },
        "string" | "json" | "text" | "geometry" | "timestamptz" | "floatvector"
        | "binaryvector" | "float16vector" | "bfloat16vector" | "int8vector"
        | "sparsefloatvector" | "struct" | "array" => {
            return Err(SchemaError::UnsupportedType {
                field: field.to_owned(),
                type_name: format!("Array of {text}"),
            });
        }
        _ => {
            return Err(SchemaError::UnknownType {
                field: field.to_owned(),
                type_name: format!("Array of {text}"),
            });
        }
    })
}

/// A default value: a plain JSON scalar (`5`, `"x"`, `true`), or the
/// protobuf `ValueField` as Milvus prints it (`{"Data": {"LongData": 5}}`,
/// `{"longData": "5"}`), read according to the field's type.
fn default_value(
    field: &str,
    data_type: &DataType,
    value: &Value,
) -> Result<DefaultValue, SchemaError> {
    let bad = || SchemaError::BadParam {
        field: field.to_owned(),
        param: "defaultValue".into(),
        value: value.to_string(),
    };
    let scalar = unwrap_value_field(value).ok_or_else(bad)?;
    let parsed = match data_type {
        DataType::Bool => match scalar {
            Value::Bool(b) => Some(DefaultValue::Bool(*b)),
            Value::String(s) => s.parse().ok().map(DefaultValue::Bool),
            _ => None,
        },
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => match scalar {
            Value::Number(n) => n.as_i64().map(DefaultValue::Int),
            Value::String(s) => s.parse().ok().map(DefaultValue::Int),
            _ => None,
        },
        DataType::Float | DataType::Double => match scalar {
            Value::Number(n) => n.as_f64().map(DefaultValue::Float),
            Value::String(s) => s.parse().ok().map(DefaultValue::Float),
            _ => None,
        },
        DataType::VarChar { .. } | DataType::Text | DataType::Geometry | DataType::Timestamptz => {
            scalar.as_str().map(|s| DefaultValue::String(s.to_owned()))
        }
        _ => {
            return Err(SchemaError::BadDefault {
                field: field.to_owned(),
                reason: "JSON, Array and vector fields take no default",
            });
        }
    };
    parsed.ok_or_else(bad)
}

fn unwrap_value_field(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next()?;
            let key = key.to_ascii_lowercase().replace('_', "");
            if key == "data" || key.ends_with("data") {
                unwrap_value_field(inner)
            } else {
                None
            }
        }
        Value::Object(_) | Value::Array(_) | Value::Null => None,
        scalar => Some(scalar),
    }
}
