//! The collection schema the files are written for: fields, their types and
//! the rules Milvus applies to them (primary key, auto-id, nullable, default,
//! function outputs, the dynamic `$meta` field).
//!
//! Type parameters live inside the type they belong to (a float vector
//! carries its [`Dim`], a binary vector a [`BinaryDim`] that is a multiple of
//! 8, a VarChar its byte limit), so a vector without a dimension or a binary
//! vector of 7 bits cannot be written down. Rules that tie fields together
//! (one primary key, defaults of the field's own type, outputs of
//! functions) are checked once, by [`SchemaBuilder::build`], which every
//! way of making a [`Schema`] goes through.

mod parse;
mod text;

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;

use crate::error::SchemaError;

/// Name of the hidden JSON column that carries the keys a schema does not
/// declare, when the collection has its dynamic field on.
pub const META_FIELD: &str = "$meta";

/// Dimension of a dense vector: at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dim(NonZeroU32);

impl Dim {
    /// A dimension of at least 1.
    pub fn new(dim: u32) -> Result<Self, SchemaError> {
        NonZeroU32::new(dim)
            .map(Dim)
            .ok_or(SchemaError::BadDim { dim, binary: false })
    }

    /// The number of elements per vector.
    pub fn get(self) -> usize {
        self.0.get() as usize
    }
}

/// Dimension of a binary vector: a positive multiple of 8 bits, since each
/// row is stored as `dim / 8` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BinaryDim(NonZeroU32);

impl BinaryDim {
    /// A bit count that is a positive multiple of 8.
    pub fn new(bits: u32) -> Result<Self, SchemaError> {
        match NonZeroU32::new(bits) {
            Some(d) if bits.is_multiple_of(8) => Ok(BinaryDim(d)),
            _ => Err(SchemaError::BadDim {
                dim: bits,
                binary: true,
            }),
        }
    }

    /// The number of bits per vector.
    pub fn bits(self) -> usize {
        self.0.get() as usize
    }

    /// The number of bytes per vector.
    pub fn bytes(self) -> usize {
        self.bits() / 8
    }
}

/// The type of the elements of an `Array` field: only scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ElementType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    /// A string of at most `max_length` bytes of UTF-8.
    VarChar {
        max_length: u32,
    },
}

/// The type of a field, with the parameters that type needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    /// A string of at most `max_length` bytes of UTF-8 (Milvus counts bytes,
    /// not characters).
    VarChar {
        max_length: u32,
    },
    /// Any JSON document, stored as its text.
    Json,
    /// Text of any length (Milvus 2.6 and later): a string with no
    /// `max_length`.
    Text,
    /// A geometry given as WKT (`POINT (1 2)`), written as that text; the
    /// server turns it into WKB.
    Geometry,
    /// A point in time given as ISO-8601 text (`2025-01-02T00:00:00+08:00`),
    /// written as that text; without an offset the server applies the
    /// collection's time zone.
    Timestamptz,
    /// A list of at most `max_capacity` scalars of one type.
    Array {
        element: ElementType,
        max_capacity: u32,
    },
    FloatVector {
        dim: Dim,
    },
    BinaryVector {
        dim: BinaryDim,
    },
    Float16Vector {
        dim: Dim,
    },
    BFloat16Vector {
        dim: Dim,
    },
    Int8Vector {
        dim: Dim,
    },
    SparseFloatVector,
}

impl DataType {
    /// The name Milvus gives the type (`FloatVector`, `VarChar`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            DataType::Bool => "Bool",
            DataType::Int8 => "Int8",
            DataType::Int16 => "Int16",
            DataType::Int32 => "Int32",
            DataType::Int64 => "Int64",
            DataType::Float => "Float",
            DataType::Double => "Double",
            DataType::VarChar { .. } => "VarChar",
            DataType::Json => "JSON",
            DataType::Text => "Text",
            DataType::Geometry => "Geometry",
            DataType::Timestamptz => "Timestamptz",
            DataType::Array { .. } => "Array",
            DataType::FloatVector { .. } => "FloatVector",
            DataType::BinaryVector { .. } => "BinaryVector",
            DataType::Float16Vector { .. } => "Float16Vector",
            DataType::BFloat16Vector { .. } => "BFloat16Vector",
            DataType::Int8Vector { .. } => "Int8Vector",
            DataType::SparseFloatVector => "SparseFloatVector",
        }
    }

    /// Whether this is one of the vector types.
    pub fn is_vector(&self) -> bool {
        matches!(
            self,
            DataType::FloatVector { .. }
                | DataType::BinaryVector { .. }
                | DataType::Float16Vector { .. }
                | DataType::BFloat16Vector { .. }
                | DataType::Int8Vector { .. }
                | DataType::SparseFloatVector
        )
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A field's default value, used when a row leaves the field out or gives
/// `null`. Milvus allows defaults on scalar fields only (not JSON, arrays
/// or vectors); [`SchemaBuilder::build`] checks the value fits the type.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum DefaultValue {
    Bool(bool),
    /// For Int8, Int16, Int32 and Int64 fields (range-checked at build).
    Int(i64),
    /// For Float and Double fields (must be finite).
    Float(f64),
    /// For VarChar, Text, Geometry and Timestamptz fields (byte length,
    /// WKT and ISO-8601 checked at build).
    String(String),
}

/// One field of a collection.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    name: String,
    data_type: DataType,
    primary_key: bool,
    auto_id: bool,
    nullable: bool,
    default_value: Option<DefaultValue>,
    function_output: bool,
}

impl Field {
    /// A plain field: not a key, not nullable, no default.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Field {
            name: name.into(),
            data_type,
            primary_key: false,
            auto_id: false,
            nullable: false,
            default_value: None,
            function_output: false,
        }
    }

    /// Marks the field as the primary key.
    pub fn primary_key(mut self) -> Self {
        self.primary_key = true;
        self
    }

    /// Marks the primary key as generated by Milvus: rows must leave it out.
    pub fn auto_id(mut self) -> Self {
        self.auto_id = true;
        self
    }

    /// Lets rows give `null` (or leave the field out).
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// The value used when a row leaves the field out or gives `null`.
    pub fn default_value(mut self, value: DefaultValue) -> Self {
        self.default_value = Some(value);
        self
    }

    /// Marks the field as the output of a function (such as BM25): Milvus
    /// computes it, rows must leave it out.
    pub fn function_output(mut self) -> Self {
        self.function_output = true;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    pub fn is_primary_key(&self) -> bool {
        self.primary_key
    }

    pub fn is_auto_id(&self) -> bool {
        self.auto_id
    }

    pub fn is_nullable(&self) -> bool {
        self.nullable
    }

    pub fn default(&self) -> Option<&DefaultValue> {
        self.default_value.as_ref()
    }

    pub fn is_function_output(&self) -> bool {
        self.function_output
    }

    /// Whether rows must leave this field out: Milvus fills it itself.
    pub fn is_generated(&self) -> bool {
        self.auto_id || self.function_output
    }
}

/// A checked collection schema. Make one with [`Schema::builder`], or read
/// one with [`Schema::from_json`].
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    fields: Vec<Field>,
    dynamic: bool,
    index: HashMap<String, usize>,
}

impl Schema {
    /// Starts a schema built in code.
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::default()
    }

    /// The declared fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field of this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.index.get(name).map(|&i| &self.fields[i])
    }

    /// Position of the field of this name in [`Schema::fields`].
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Whether keys the schema does not declare go into `$meta`.
    pub fn dynamic_field(&self) -> bool {
        self.dynamic
    }

    /// The primary key field.
    pub fn primary_key(&self) -> &Field {
        self.fields
            .iter()
            .find(|f| f.primary_key)
            .expect("a built schema has a primary key")
    }
}

/// Collects fields, then checks them together in [`SchemaBuilder::build`].
#[derive(Clone, Debug, Default)]
pub struct SchemaBuilder {
    fields: Vec<Field>,
    dynamic: bool,
    function_outputs: Vec<(String, String)>,
}

impl SchemaBuilder {
    /// Adds a field.
    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    /// Turns the dynamic field on: undeclared keys go into `$meta`.
    pub fn dynamic_field(mut self, on: bool) -> Self {
        self.dynamic = on;
        self
    }

    /// Declares that `function` computes `field` (a BM25 function's sparse
    /// output, for instance): rows must leave it out.
    pub fn function_output(
        mut self,
        function: impl Into<String>,
        field: impl Into<String>,
    ) -> Self {
        self.function_outputs.push((function.into(), field.into()));
        self
    }

    /// Checks the fields together and makes the schema.
    pub fn build(self) -> Result<Schema, SchemaError> {
        let SchemaBuilder {
            mut fields,
            dynamic,
            function_outputs,
        } = self;
        let mut index = HashMap::with_capacity(fields.len());
        for (i, field) in fields.iter().enumerate() {
            if field.name.is_empty() || field.name == META_FIELD {
                return Err(SchemaError::ReservedName(field.name.clone()));
            }
            if index.insert(field.name.clone(), i).is_some() {
                return Err(SchemaError::DuplicateField(field.name.clone()));
            }
            check_field(field)?;
        }
        for (function, output) in function_outputs {
            match index.get(&output) {
                Some(&i) => fields[i].function_output = true,
                None => {
                    return Err(SchemaError::UnknownFunctionOutput {
                        function,
                        field: output,
                    });
                }
            }
        }
        let primary: Vec<&Field> = fields.iter().filter(|f| f.primary_key).collect();
        match primary.as_slice() {
            [] => return Err(SchemaError::NoPrimaryKey),
            [_] => {}
            [a, b, ..] => {
                return Err(SchemaError::SeveralPrimaryKeys(
                    a.name.clone(),
                    b.name.clone(),
                ));
            }
        }
        Ok(Schema {
            fields,
            dynamic,
            index,
        })
    }
}

/// The rules of one field on its own.
fn check_field(field: &Field) -> Result<(), SchemaError> {
    let name = || field.name.clone();
    if field.primary_key {
        if !matches!(field.data_type, DataType::Int64 | DataType::VarChar { .. }) {
            return Err(SchemaError::BadPrimaryKeyType {
                field: name(),
                data_type: field.data_type.name(),
            });
        }
        if field.nullable || field.default_value.is_some() {
            return Err(SchemaError::NullablePrimaryKey(name()));
        }
    } else if field.auto_id {
        return Err(SchemaError::AutoIdNotPrimary(name()));
    }
    let Some(default) = &field.default_value else {
        return Ok(());
    };
    let bad = |reason: &'static str| {
        Err(SchemaError::BadDefault {
            field: name(),
            reason,
        })
    };
    match (&field.data_type, default) {
        (DataType::Bool, DefaultValue::Bool(_)) => Ok(()),
        (DataType::Int8, DefaultValue::Int(v)) if i8::try_from(*v).is_err() => {
            bad("out of Int8 range")
        }
        (DataType::Int16, DefaultValue::Int(v)) if i16::try_from(*v).is_err() => {
            bad("out of Int16 range")
        }
        (DataType::Int32, DefaultValue::Int(v)) if i32::try_from(*v).is_err() => {
            bad("out of Int32 range")
        }
        (
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64,
            DefaultValue::Int(_),
        ) => Ok(()),
        (DataType::Float, DefaultValue::Float(v)) if !(*v as f32).is_finite() => {
            bad("not a finite Float")
        }
        (DataType::Double, DefaultValue::Float(v)) if !v.is_finite() => bad("not a finite Double"),
        (DataType::Float | DataType::Double, DefaultValue::Float(_)) => Ok(()),
        (DataType::Float | DataType::Double, DefaultValue::Int(_)) => {
            bad("an integer for a floating-point field")
        }
        (DataType::VarChar { max_length }, DefaultValue::String(s))
            if s.len() > *max_length as usize =>
        {
            bad("longer than max_length")
        }
        (DataType::VarChar { .. }, DefaultValue::String(_)) => Ok(()),
        (DataType::Text | DataType::Geometry | DataType::Timestamptz, DefaultValue::String(s)) => {
            match field.data_type.check_text(s) {
                Ok(()) => Ok(()),
                Err(_) => bad("not a valid value of the field's type"),
            }
        }
        (DataType::Json | DataType::Array { .. }, _) => {
            bad("JSON and Array fields take no default")
        }
        (t, _) if t.is_vector() => bad("vector fields take no default"),
        _ => bad("not of the field's type"),
    }
}
