//! Column buffers: where rows are gathered before they become an Arrow
//! [`RecordBatch`] in the types Milvus reads (see [`crate::canonical`]).
//!
//! Plain `Vec`s rather than Arrow builders, for two reasons: a row that
//! turns out bad half-way is taken back with `truncate` (Arrow's list
//! builders cannot), and a finished buffer becomes an Arrow array without a
//! copy (`Vec` → `Buffer`).

use std::sync::Arc;

use arrow_array::types::{
    ArrowPrimitiveType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    UInt8Type,
};
use arrow_array::{ArrayRef, BooleanArray, ListArray, PrimitiveArray, RecordBatch, StringArray};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{Field as ArrowField, SchemaRef};

use crate::canonical::{self, Shape};
use crate::error::Reason;

/// Rust element types that map to one Arrow primitive type.
pub(crate) trait Native: arrow_buffer::ArrowNativeType {
    type Arrow: ArrowPrimitiveType<Native = Self>;
}

macro_rules! native {
    ($($t:ty => $a:ty),*) => { $(impl Native for $t { type Arrow = $a; })* };
}
native!(i8 => Int8Type, i16 => Int16Type, i32 => Int32Type, i64 => Int64Type, f32 => Float32Type, f64 => Float64Type, u8 => UInt8Type);

/// The values of a column (or of a list column's elements), without nulls.
pub(crate) trait Values: Default {
    fn len(&self) -> usize;
    fn truncate(&mut self, len: usize);
    /// Adds the placeholder stored under a null.
    fn push_placeholder(&mut self);
    /// Approximate bytes held.
    fn bytes(&self) -> usize;
    fn finish(&mut self, nulls: Option<NullBuffer>) -> ArrayRef;
}

impl<T: Native> Values for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn truncate(&mut self, len: usize) {
        Vec::truncate(self, len)
    }
    fn push_placeholder(&mut self) {
        self.push(T::default())
    }
    fn bytes(&self) -> usize {
        Vec::len(self) * std::mem::size_of::<T>()
    }
    fn finish(&mut self, nulls: Option<NullBuffer>) -> ArrayRef {
        // The next batch will likely be as big: no regrowing from empty.
        let capacity = Vec::len(self);
        let values = ScalarBuffer::from(std::mem::replace(self, Vec::with_capacity(capacity)));
        Arc::new(PrimitiveArray::<T::Arrow>::new(values, nulls))
    }
}

/// Booleans, bit-packed.
pub(crate) struct Bools(BooleanBufferBuilder);

impl Default for Bools {
    fn default() -> Self {
        Bools(BooleanBufferBuilder::new(1024))
    }
}

impl Bools {
    pub(crate) fn push(&mut self, v: bool) {
        self.0.append(v)
    }
}

impl Values for Bools {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn truncate(&mut self, len: usize) {
        self.0.truncate(len)
    }
    fn push_placeholder(&mut self) {
        self.0.append(false)
    }
    fn bytes(&self) -> usize {
        self.0.len() / 8
    }
    fn finish(&mut self, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(BooleanArray::new(self.0.finish(), nulls))
    }
}

/// UTF-8 strings with 32-bit offsets (Arrow `utf8`, never `large_utf8`).
pub(crate) struct Strs {
    offsets: Vec<i32>,
    data: Vec<u8>,
}

impl Default for Strs {
    fn default() -> Self {
        Strs {
            offsets: vec![0],
            data: Vec::new(),
        }
    }
}

impl Strs {
    /// Appends a string; refuses one that would push the buffer past the
    /// 2 GiB a 32-bit offset can address.
    pub(crate) fn push(&mut self, s: &str) -> Result<(), Reason> {
        self.data.extend_from_slice(s.as_bytes());
        self.seal(s.len())
    }

    /// Gives the byte buffer to append one string in pieces; end it with
    /// [`Strs::seal`].
    pub(crate) fn data(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// Ends the string appended through [`Strs::data`].
    pub(crate) fn seal(&mut self, len: usize) -> Result<(), Reason> {
        match i32::try_from(self.data.len()) {
            Ok(end) => {
                self.offsets.push(end);
                Ok(())
            }
            Err(_) => {
                let start = self.offsets.last().copied().unwrap_or(0) as usize;
                self.data.truncate(start);
                Err(Reason::TooLong {
                    bytes: len,
                    max_length: i32::MAX as u32,
                })
            }
        }
    }
}

impl Values for Strs {
    fn len(&self) -> usize {
        self.offsets.len() - 1
    }
    fn truncate(&mut self, len: usize) {
        self.offsets.truncate(len + 1);
        let end = self.offsets[len] as usize;
        self.data.truncate(end);
    }
    fn push_placeholder(&mut self) {
        let end = *self.offsets.last().expect("offsets start with 0");
        self.offsets.push(end);
    }
    fn bytes(&self) -> usize {
        self.data.len() + self.offsets.len() * 4
    }
    fn finish(&mut self, nulls: Option<NullBuffer>) -> ArrayRef {
        let mut next_offsets = Vec::with_capacity(self.offsets.len());
        next_offsets.push(0);
        let offsets = std::mem::replace(&mut self.offsets, next_offsets);
        let capacity = self.data.len();
        let data = std::mem::replace(&mut self.data, Vec::with_capacity(capacity));
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        // The bytes came from `&str`s and the offsets from their lengths.
        Arc::new(StringArray::new(offsets, data.into(), nulls))
    }
}

/// The validity of a nullable column; nothing for one that is not.
pub(crate) struct Validity(Option<BooleanBufferBuilder>);

impl Validity {
    fn new(nullable: bool) -> Self {
        Validity(nullable.then(|| BooleanBufferBuilder::new(1024)))
    }
    fn push(&mut self, valid: bool) {
        if let Some(bits) = &mut self.0 {
            bits.append(valid)
        }
    }
    fn truncate(&mut self, len: usize) {
        if let Some(bits) = &mut self.0 {
            bits.truncate(len)
        }
    }
    fn finish(&mut self) -> Option<NullBuffer> {
        let nulls = NullBuffer::new(self.0.as_mut()?.finish());
        (nulls.null_count() > 0).then_some(nulls)
    }
}

/// A column of scalars.
pub(crate) struct Scalar<V> {
    pub(crate) values: V,
    validity: Validity,
}

impl<V: Values> Scalar<V> {
    fn new(nullable: bool) -> Self {
        Scalar {
            values: V::default(),
            validity: Validity::new(nullable),
        }
    }
    /// Marks the value just pushed into `values` as present.
    pub(crate) fn valid(&mut self) {
        self.validity.push(true)
    }
    fn null(&mut self) {
        self.values.push_placeholder();
        self.validity.push(false);
    }
}

impl<T: Native> Scalar<Vec<T>> {
    pub(crate) fn push(&mut self, v: T) {
        self.values.push(v);
        self.validity.push(true);
    }
}

/// A column of lists (vectors and arrays), 32-bit offsets.
pub(crate) struct List<V> {
    offsets: Vec<i32>,
    pub(crate) values: V,
    validity: Validity,
    item: Arc<ArrowField>,
}

impl<V: Values> List<V> {
    fn new(nullable: bool, item: Arc<ArrowField>) -> Self {
        List {
            offsets: vec![0],
            values: V::default(),
            validity: Validity::new(nullable),
            item,
        }
    }

    /// Length of the list being filled (values since the last offset).
    pub(crate) fn open_len(&self) -> usize {
        self.values.len() - *self.offsets.last().expect("offsets start with 0") as usize
    }

    /// Ends the list whose elements were pushed into `values`.
    pub(crate) fn close(&mut self) -> Result<(), Reason> {
        match i32::try_from(self.values.len()) {
            Ok(end) => {
                self.offsets.push(end);
                self.validity.push(true);
                Ok(())
            }
            Err(_) => {
                let len = self.open_len();
                self.drop_open();
                Err(Reason::OverCapacity {
                    len,
                    max_capacity: i32::MAX as u32,
                })
            }
        }
    }

    /// Drops the elements pushed since the last offset.
    pub(crate) fn drop_open(&mut self) {
        let start = *self.offsets.last().expect("offsets start with 0") as usize;
        self.values.truncate(start);
    }

    fn null(&mut self) {
        self.drop_open();
        let end = *self.offsets.last().expect("offsets start with 0");
        self.offsets.push(end);
        self.validity.push(false);
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn truncate(&mut self, len: usize) {
        self.offsets.truncate(len + 1);
        let end = self.offsets[len] as usize;
        self.values.truncate(end);
        self.validity.truncate(len);
    }

    fn finish(&mut self) -> ArrayRef {
        let nulls = self.validity.finish();
        let mut next_offsets = Vec::with_capacity(self.offsets.len());
        next_offsets.push(0);
        let offsets = std::mem::replace(&mut self.offsets, next_offsets);
        let values = self.values.finish(None);
        Arc::new(ListArray::new(
            self.item.clone(),
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            values,
            nulls,
        ))
    }
}

/// One column, in the buffer its canonical Arrow type needs.
pub(crate) enum Column {
    Bool(Scalar<Bools>),
    I8(Scalar<Vec<i8>>),
    I16(Scalar<Vec<i16>>),
    I32(Scalar<Vec<i32>>),
    I64(Scalar<Vec<i64>>),
    F32(Scalar<Vec<f32>>),
    F64(Scalar<Vec<f64>>),
    Str(Scalar<Strs>),
    ListBool(List<Bools>),
    ListI8(List<Vec<i8>>),
    ListI16(List<Vec<i16>>),
    ListI32(List<Vec<i32>>),
    ListI64(List<Vec<i64>>),
    ListF32(List<Vec<f32>>),
    ListF64(List<Vec<f64>>),
    ListU8(List<Vec<u8>>),
    ListStr(List<Strs>),
}

macro_rules! each {
    ($self:expr, $c:ident => $e:expr) => {
        match $self {
            Column::Bool($c) => $e,
            Column::I8($c) => $e,
            Column::I16($c) => $e,
            Column::I32($c) => $e,
            Column::I64($c) => $e,
            Column::F32($c) => $e,
            Column::F64($c) => $e,
            Column::Str($c) => $e,
            Column::ListBool($c) => $e,
            Column::ListI8($c) => $e,
            Column::ListI16($c) => $e,
            Column::ListI32($c) => $e,
            Column::ListI64($c) => $e,
            Column::ListF32($c) => $e,
            Column::ListF64($c) => $e,
            Column::ListU8($c) => $e,
            Column::ListStr($c) => $e,
        }
    };
}

/// What every column kind offers.
trait AnyColumn {
    fn len(&self) -> usize;
    fn truncate(&mut self, len: usize);
    fn bytes(&self) -> usize;
    fn finish(&mut self) -> ArrayRef;
}

impl<V: Values> AnyColumn for Scalar<V> {
    fn len(&self) -> usize {
        self.values.len()
    }
    fn truncate(&mut self, len: usize) {
        self.values.truncate(len);
        self.validity.truncate(len);
    }
    fn bytes(&self) -> usize {
        self.values.bytes()
    }
    fn finish(&mut self) -> ArrayRef {
        let nulls = self.validity.finish();
        self.values.finish(nulls)
    }
}

impl<V: Values> AnyColumn for List<V> {
    fn len(&self) -> usize {
        List::len(self)
    }
    fn truncate(&mut self, len: usize) {
        List::truncate(self, len)
    }
    fn bytes(&self) -> usize {
        self.values.bytes() + self.offsets.len() * 4
    }
    fn finish(&mut self) -> ArrayRef {
        List::finish(self)
    }
}

impl Column {
    /// An empty column for values of this shape.
    pub(crate) fn new(shape: Shape, nullable: bool) -> Self {
        use canonical::Element as E;
        let list = |element: E| Arc::new(canonical::item_field(element));
        match shape {
            Shape::Bool => Column::Bool(Scalar::new(nullable)),
            Shape::Int8 => Column::I8(Scalar::new(nullable)),
            Shape::Int16 => Column::I16(Scalar::new(nullable)),
            Shape::Int32 => Column::I32(Scalar::new(nullable)),
            Shape::Int64 => Column::I64(Scalar::new(nullable)),
            Shape::Float => Column::F32(Scalar::new(nullable)),
            Shape::Double => Column::F64(Scalar::new(nullable)),
            Shape::Utf8 => Column::Str(Scalar::new(nullable)),
            Shape::List(e) => match e {
                E::Bool => Column::ListBool(List::new(nullable, list(e))),
                E::Int8 => Column::ListI8(List::new(nullable, list(e))),
                E::Int16 => Column::ListI16(List::new(nullable, list(e))),
                E::Int32 => Column::ListI32(List::new(nullable, list(e))),
                E::Int64 => Column::ListI64(List::new(nullable, list(e))),
                E::Float => Column::ListF32(List::new(nullable, list(e))),
                E::Double => Column::ListF64(List::new(nullable, list(e))),
                E::UInt8 => Column::ListU8(List::new(nullable, list(e))),
                E::Utf8 => Column::ListStr(List::new(nullable, list(e))),
            },
        }
    }

    pub(crate) fn len(&self) -> usize {
        each!(self, c => c.len())
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        each!(self, c => c.truncate(len))
    }

    /// Appends a null (the column must be nullable: callers check).
    pub(crate) fn push_null(&mut self) {
        each!(self, c => c.null())
    }

    pub(crate) fn bytes(&self) -> usize {
        each!(self, c => c.bytes())
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        each!(self, c => c.finish())
    }
}

/// The columns of one batch being filled, one per written field.
pub(crate) struct Columns {
    pub(crate) columns: Vec<Column>,
    schema: SchemaRef,
    rows: usize,
}

impl Columns {
    pub(crate) fn new(schema: SchemaRef, columns: Vec<Column>) -> Self {
        Columns {
            columns,
            schema,
            rows: 0,
        }
    }

    /// Rows held.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.columns.iter().map(Column::bytes).sum()
    }

    /// Counts the row whose values every column has just taken.
    pub(crate) fn commit_row(&mut self) {
        self.rows += 1;
        debug_assert!(self.columns.iter().all(|c| c.len() == self.rows));
    }

    /// Takes back whatever a bad row left in the columns.
    pub(crate) fn rollback_row(&mut self) {
        let rows = self.rows;
        for column in &mut self.columns {
            if column.len() != rows {
                column.truncate(rows);
            }
        }
        // A list column may hold elements of an unclosed list.
        for column in &mut self.columns {
            match column {
                Column::ListBool(l) => l.drop_open(),
                Column::ListI8(l) => l.drop_open(),
                Column::ListI16(l) => l.drop_open(),
                Column::ListI32(l) => l.drop_open(),
                Column::ListI64(l) => l.drop_open(),
                Column::ListF32(l) => l.drop_open(),
                Column::ListF64(l) => l.drop_open(),
                Column::ListU8(l) => l.drop_open(),
                Column::ListStr(l) => l.drop_open(),
                _ => {}
            }
        }
    }

    /// Hands the rows held over as a batch and starts empty.
    pub(crate) fn take_batch(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        let rows = std::mem::take(&mut self.rows);
        RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .expect("columns are built to the canonical schema")
    }
}
