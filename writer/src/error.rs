//! Errors: a schema that cannot be used, a row that cannot be written, and
//! a write that failed.
//!
//! A bad row is a [`RowError`]: which row (and which line, for text input),
//! which field, and a [`Reason`] callers can match on. Reasons say what
//! Milvus would refuse, or (for Milvus 2.3, which stores bad values
//! silently) what it would store wrongly.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A schema that cannot be read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    #[error("schema is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("schema: {0}")]
    Shape(String),
    #[error("field `{field}`: unknown type `{type_name}`")]
    UnknownType { field: String, type_name: String },
    #[error("field `{field}`: type `{type_name}` is not supported by this writer")]
    UnsupportedType { field: String, type_name: String },
    #[error("field `{field}`: missing type parameter `{param}`")]
    MissingParam { field: String, param: &'static str },
    #[error("field `{field}`: bad `{param}`: {value}")]
    BadParam {
        field: String,
        param: String,
        value: String,
    },
    #[error("a {} dimension must be {}, not {dim}", if *binary { "binary vector" } else { "vector" }, if *binary { "a positive multiple of 8" } else { "at least 1" })]
    BadDim { dim: u32, binary: bool },
    #[error("field `{0}` is declared twice")]
    DuplicateField(String),
    #[error("`{0}` cannot be the name of a declared field")]
    ReservedName(String),
    #[error("the schema has no primary key field")]
    NoPrimaryKey,
    #[error("the schema has two primary key fields: `{0}` and `{1}`")]
    SeveralPrimaryKeys(String, String),
    #[error("primary key `{field}` is {data_type}; it must be Int64 or VarChar")]
    BadPrimaryKeyType {
        field: String,
        data_type: &'static str,
    },
    #[error("primary key `{0}` cannot be nullable or have a default")]
    NullablePrimaryKey(String),
    #[error("field `{0}` is auto-id but not the primary key")]
    AutoIdNotPrimary(String),
    #[error("field `{field}`: bad default value: {reason}")]
    BadDefault { field: String, reason: &'static str },
    #[error("function `{function}` outputs to `{field}`, which the schema does not declare")]
    UnknownFunctionOutput { function: String, field: String },
}

/// Why a row was refused.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Reason {
    /// A JSON text line that is not JSON (the parser's message).
    Syntax(String),
    /// A row that is not a JSON object.
    NotAnObject { got: &'static str },
    /// A field left out that is not nullable and has no default.
    Missing,
    /// `null` for a field that is not nullable and has no default.
    Null,
    /// A value of the wrong JSON (or Arrow) kind.
    WrongType {
        expected: &'static str,
        got: &'static str,
    },
    /// A number outside the field's range (or not an integer, for an
    /// integer field).
    OutOfRange {
        value: String,
        data_type: &'static str,
    },
    /// NaN or an infinity, which Milvus refuses in Float, Double and
    /// vectors.
    NotFinite,
    /// A vector with the wrong number of elements (bytes, for a binary
    /// vector).
    Dim { expected: usize, got: usize },
    /// A string longer than `max_length`, counted in bytes of UTF-8.
    TooLong { bytes: usize, max_length: u32 },
    /// An array longer than `max_capacity`.
    OverCapacity { len: usize, max_capacity: u32 },
    /// A `null` inside an array or vector.
    NullElement { index: usize },
    /// A sparse index that is not an integer in 0..2^32-1.
    SparseIndex { index: String },
    /// A sparse value that is negative or not finite.
    SparseValue { value: String },
    /// A sparse vector of the wrong shape (lengths differ, a repeated
    /// index, neither an object of index keys nor `indices`/`values`).
    SparseShape(&'static str),
    /// A value for the auto-id primary key, which Milvus generates.
    AutoIdGiven,
    /// A value for a function's output field, which Milvus computes.
    FunctionOutputGiven,
    /// A key the schema does not declare, while the dynamic field is off.
    UnknownField,
    /// A `$meta` key whose value is not a JSON object.
    MetaNotObject,
    /// A key given both at the top level and inside `$meta`.
    DuplicateKey,
    /// A string given for a JSON field that is not JSON text.
    InvalidJson(String),
    /// A string that is not valid for its field's type: WKT for Geometry,
    /// ISO-8601 for Timestamptz.
    Malformed {
        expected: &'static str,
        detail: String,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Syntax(m) => write!(f, "not JSON: {m}"),
            Reason::NotAnObject { got } => write!(f, "a row must be a JSON object, not {got}"),
            Reason::Missing => {
                f.write_str("missing, and the field is not nullable and has no default")
            }
            Reason::Null => f.write_str("null, and the field is not nullable and has no default"),
            Reason::WrongType { expected, got } => write!(f, "expected {expected}, got {got}"),
            Reason::OutOfRange { value, data_type } => {
                write!(f, "{value} is not a valid {data_type}")
            }
            Reason::NotFinite => f.write_str("NaN and infinities are not allowed"),
            Reason::Dim { expected, got } => write!(f, "expected {expected} elements, got {got}"),
            Reason::TooLong { bytes, max_length } => {
                write!(f, "{bytes} bytes of UTF-8 exceed max_length {max_length}")
            }
            Reason::OverCapacity { len, max_capacity } => {
                write!(f, "{len} elements exceed max_capacity {max_capacity}")
            }
            Reason::NullElement { index } => write!(f, "element {index} is null"),
            Reason::SparseIndex { index } => {
                write!(
                    f,
                    "sparse index {index} is not an integer from 0 to 4294967294"
                )
            }
            Reason::SparseValue { value } => {
                write!(f, "sparse value {value} is negative or not finite")
            }
            Reason::SparseShape(m) => write!(f, "bad sparse vector: {m}"),
            Reason::AutoIdGiven => f.write_str("the primary key is auto-id: leave it out"),
            Reason::FunctionOutputGiven => {
                f.write_str("the field is a function's output: leave it out")
            }
            Reason::UnknownField => f.write_str("not in the schema, and the dynamic field is off"),
            Reason::MetaNotObject => f.write_str("`$meta` must be a JSON object"),
            Reason::DuplicateKey => f.write_str("given both as a key and inside `$meta`"),
            Reason::InvalidJson(m) => write!(f, "not JSON text: {m}"),
            Reason::Malformed { expected, detail } => write!(f, "not {expected}: {detail}"),
        }
    }
}

/// A row that cannot be written: where it is, which field, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct RowError {
    /// 1-based position of the row among all rows given to the writer.
    pub row: u64,
    /// 1-based line number, for rows read from text.
    pub line: Option<u64>,
    /// The field (or undeclared key) at fault; `None` for the row as a whole.
    pub field: Option<String>,
    pub reason: Reason,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}")?,
            None => write!(f, "row {}", self.row)?,
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for RowError {}

/// A write that failed. After any of these (but [`WriteError::Row`] in
/// reject mode, which never reaches the caller) the writer has removed
/// what it wrote and takes no more rows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    #[error(transparent)]
    Row(#[from] RowError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("{format} cannot carry field `{field}`: {reason}")]
    Unsupported {
        format: &'static str,
        field: String,
        reason: &'static str,
    },
    #[error("input column `{column}`: {reason}")]
    Column { column: String, reason: String },
    #[error("{} already exists; the writer does not overwrite", path.display())]
    Exists { path: PathBuf },
    #[error("the writer failed earlier and takes no more rows")]
    Failed,
    /// The rows need more file groups than one import takes (Milvus: 1,024
    /// files per request by default). Raised before the group past `max`
    /// is started; the write is then abandoned like any failure.
    #[error(
        "file group {} would start after {rows} rows, but one import takes at most {max} groups: raise the file size",
        max + 1
    )]
    TooManyGroups { max: u32, rows: u64 },
    #[error("{0}")]
    Config(&'static str),
}

impl WriteError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        WriteError::Io {
            path: path.into(),
            source,
        }
    }
}
