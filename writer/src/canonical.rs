//! The Arrow types written for each Milvus type: the ones every import
//! reader from Milvus 2.3 to 2.6 accepts.
//!
//! - `utf8`, never `large_utf8`; `list` with 32-bit offsets, never
//!   `large_list` or `fixed_size_list` (2.3 refuses both for vectors);
//! - integers of the field's exact width (a wider one is refused);
//! - `list<float32>` for float vectors, `list<uint8>` for binary vectors
//!   (dim/8 bytes) and for float16/bfloat16 vectors (dim*2 little-endian
//!   bytes), `list<int8>` for int8 vectors;
//! - JSON, sparse vectors and `$meta` as `utf8` holding JSON text;
//! - every column nullable (optional in Parquet): Milvus up to 2.5.4
//!   crashes on required columns in collections with nullable fields
//!   (milvus#40291), and the Java writer does the same for that reason.

use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema, SchemaRef};

use crate::schema::{DataType, ElementType, META_FIELD, Schema};

/// The element type of a list column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Element {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    UInt8,
    Utf8,
}

/// The Arrow shape of one written column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    Utf8,
    List(Element),
}

impl Element {
    fn arrow(self) -> ArrowType {
        match self {
            Element::Bool => ArrowType::Boolean,
            Element::Int8 => ArrowType::Int8,
            Element::Int16 => ArrowType::Int16,
            Element::Int32 => ArrowType::Int32,
            Element::Int64 => ArrowType::Int64,
            Element::Float => ArrowType::Float32,
            Element::Double => ArrowType::Float64,
            Element::UInt8 => ArrowType::UInt8,
            Element::Utf8 => ArrowType::Utf8,
        }
    }
}

/// The element field of a list: `item`, nullable, as pyarrow names it
/// (Milvus matches list types by type id, not by the element's name).
pub(crate) fn item_field(element: Element) -> ArrowField {
    ArrowField::new("item", element.arrow(), true)
}

impl Shape {
    pub(crate) fn of(data_type: &DataType) -> Shape {
        match data_type {
            DataType::Bool => Shape::Bool,
            DataType::Int8 => Shape::Int8,
            DataType::Int16 => Shape::Int16,
            DataType::Int32 => Shape::Int32,
            DataType::Int64 => Shape::Int64,
            DataType::Float => Shape::Float,
            DataType::Double => Shape::Double,
            DataType::VarChar { .. }
            | DataType::Text
            | DataType::Geometry
            | DataType::Timestamptz
            | DataType::Json
            | DataType::SparseFloatVector => Shape::Utf8,
            DataType::Array { element, .. } => Shape::List(match element {
                ElementType::Bool => Element::Bool,
                ElementType::Int8 => Element::Int8,
                ElementType::Int16 => Element::Int16,
                ElementType::Int32 => Element::Int32,
                ElementType::Int64 => Element::Int64,
                ElementType::Float => Element::Float,
                ElementType::Double => Element::Double,
                ElementType::VarChar { .. } => Element::Utf8,
            }),
            DataType::FloatVector { .. } => Shape::List(Element::Float),
            DataType::BinaryVector { .. }
            | DataType::Float16Vector { .. }
            | DataType::BFloat16Vector { .. } => Shape::List(Element::UInt8),
            DataType::Int8Vector { .. } => Shape::List(Element::Int8),
        }
    }

    pub(crate) fn arrow(self) -> ArrowType {
        match self {
            Shape::Bool => ArrowType::Boolean,
            Shape::Int8 => ArrowType::Int8,
            Shape::Int16 => ArrowType::Int16,
            Shape::Int32 => ArrowType::Int32,
            Shape::Int64 => ArrowType::Int64,
            Shape::Float => ArrowType::Float32,
            Shape::Double => ArrowType::Float64,
            Shape::Utf8 => ArrowType::Utf8,
            Shape::List(e) => ArrowType::List(Arc::new(item_field(e))),
        }
    }
}

/// One written column: which schema field it holds (`None` for `$meta`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Written {
    pub(crate) field: Option<usize>,
    pub(crate) shape: Shape,
    /// Whether nulls may be stored (nullable and no default to fill in).
    pub(crate) nullable: bool,
}

/// The columns a schema writes, in order: the declared fields Milvus does
/// not generate, then `$meta` when the dynamic field is on.
pub(crate) fn written_columns(schema: &Schema) -> Vec<Written> {
    let mut columns: Vec<Written> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.is_generated())
        .map(|(i, f)| Written {
            field: Some(i),
            shape: Shape::of(f.data_type()),
            nullable: f.is_nullable() && f.default().is_none(),
        })
        .collect();
    if schema.dynamic_field() {
        columns.push(Written {
            field: None,
            shape: Shape::Utf8,
            nullable: false,
        });
    }
    columns
}

/// Name of a written column.
pub(crate) fn column_name(schema: &Schema, column: &Written) -> String {
    match column.field {
        Some(i) => schema.fields()[i].name().to_owned(),
        None => META_FIELD.to_owned(),
    }
}

/// The Arrow schema of the written columns; every field nullable.
pub(crate) fn arrow_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<ArrowField> = written_columns(schema)
        .iter()
        .map(|c| ArrowField::new(column_name(schema, c), c.shape.arrow(), true))
        .collect();
    Arc::new(ArrowSchema::new(fields))
}
