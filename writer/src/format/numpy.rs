//! NumPy: one folder per group with one `<field>.npy` per written column.
//!
//! A `.npy` header states the row count, which is known only when the
//! group ends, and string columns need the widest value for their fixed
//! width. So each column is first spooled (raw values, or length-prefixed
//! strings) into a scratch file beside the output, and at the end of the
//! group copied into the sink behind its header. That is also why this is
//! written by hand rather than with an npy crate: those want the shape
//! before the data.
//!
//! Dtypes are the ones Milvus's NumPy reader checks (`numpy/util.go`):
//! `|b1`, `<i1`…`<i8`, `<f4`, `<f8`, `<U<n>` for VarChar, JSON and
//! `$meta`, `|u1` (N × dim/8) for binary vectors, `|u1` (N × 2·dim) for
//! float16/bfloat16, `<f4` (N × dim) for float vectors, `|i1` (N × dim)
//! for int8 vectors.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_buffer::ToByteSlice;

use super::group::{Context, GroupWriter};
use crate::canonical::{Element, Shape};
use crate::error::WriteError;
use crate::schema::DataType;
use crate::sink::Sink;

/// How a column is laid out in its `.npy`.
#[derive(Clone, Copy)]
enum Layout {
    /// Fixed-width values: dtype, bytes per row.
    Fixed(&'static str),
    /// Strings as `<U<n>`, n = the most characters in any row.
    Unicode,
}

struct Spool {
    name: String,
    layout: Layout,
    /// Second dimension for vectors (None: 1-D).
    width: Option<usize>,
    path: PathBuf,
    out: BufWriter<File>,
    /// For strings: the most characters in one value.
    max_chars: usize,
    bytes: u64,
}

pub(crate) struct NumpyGroup {
    context: Arc<Context>,
    folder: String,
    spools: Vec<Spool>,
    rows: u64,
    scratch: PathBuf,
}

fn layout(context: &Context, column: usize) -> (Layout, Option<usize>) {
    let written = &context.written[column];
    let data_type = written
        .field
        .map(|i| *context.schema.fields()[i].data_type());
    match (written.shape, data_type) {
        (Shape::Bool, _) => (Layout::Fixed("|b1"), None),
        (Shape::Int8, _) => (Layout::Fixed("|i1"), None),
        (Shape::Int16, _) => (Layout::Fixed("<i2"), None),
        (Shape::Int32, _) => (Layout::Fixed("<i4"), None),
        (Shape::Int64, _) => (Layout::Fixed("<i8"), None),
        (Shape::Float, _) => (Layout::Fixed("<f4"), None),
        (Shape::Double, _) => (Layout::Fixed("<f8"), None),
        (Shape::Utf8, _) => (Layout::Unicode, None),
        (Shape::List(Element::Float), Some(DataType::FloatVector { dim })) => {
            (Layout::Fixed("<f4"), Some(dim.get()))
        }
        (Shape::List(Element::UInt8), Some(DataType::BinaryVector { dim })) => {
            (Layout::Fixed("|u1"), Some(dim.bytes()))
        }
        (
            Shape::List(Element::UInt8),
            Some(DataType::Float16Vector { dim } | DataType::BFloat16Vector { dim }),
        ) => (Layout::Fixed("|u1"), Some(2 * dim.get())),
        (Shape::List(Element::Int8), Some(DataType::Int8Vector { dim })) => {
            (Layout::Fixed("|i1"), Some(dim.get()))
        }
        // Format::check refuses arrays and sparse vectors before a group
        // is opened.
        (shape, _) => unreachable!("NumPy column of shape {shape:?}"),
    }
}

impl NumpyGroup {
    pub(crate) fn open(context: &Arc<Context>, folder: &str) -> Result<Self, WriteError> {
        let scratch = context.scratch.join(format!(
            "zilliz-import-writer-{}-{}",
            std::process::id(),
            unique()
        ));
        fs::create_dir_all(&scratch).map_err(|e| WriteError::io(&scratch, e))?;
        let mut spools = Vec::new();
        for (c, name) in context.names.iter().enumerate() {
            let (layout, width) = layout(context, c);
            let path = scratch.join(format!("{c}.spool"));
            let file = File::create(&path).map_err(|e| WriteError::io(&path, e))?;
            spools.push(Spool {
                name: name.clone(),
                layout,
                width,
                path,
                out: BufWriter::with_capacity(256 << 10, file),
                max_chars: 0,
                bytes: 0,
            });
        }
        Ok(NumpyGroup {
            context: context.clone(),
            folder: folder.to_owned(),
            spools,
            rows: 0,
            scratch,
        })
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Spool {
    fn put(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.out
            .write_all(bytes)
            .map_err(|e| WriteError::io(&self.path, e))?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

impl GroupWriter for NumpyGroup {
    fn write(&mut self, batch: &RecordBatch, _sink: &mut dyn Sink) -> Result<(), WriteError> {
        let _ = &self.context;
        for (spool, array) in self.spools.iter_mut().zip(batch.columns()) {
            match spool.layout {
                Layout::Unicode => {
                    let strings = array.as_string::<i32>();
                    for s in strings.iter().map(Option::unwrap_or_default) {
                        spool.max_chars = spool.max_chars.max(s.chars().count());
                        spool.put(&(s.len() as u64).to_le_bytes())?;
                        spool.put(s.as_bytes())?;
                    }
                }
                Layout::Fixed(..) => {
                    let values = match array.data_type() {
                        arrow_schema::DataType::List(_) => {
                            let list = array.as_list::<i32>();
                            let offsets = list.value_offsets();
                            let (start, end) = (offsets[0] as usize, offsets[list.len()] as usize);
                            list.values().slice(start, end - start)
                        }
                        _ => array.clone(),
                    };
                    match values.data_type() {
                        arrow_schema::DataType::Boolean => {
                            let bytes: Vec<u8> =
                                values.as_boolean().values().iter().map(u8::from).collect();
                            spool.put(&bytes)?;
                        }
                        arrow_schema::DataType::Int8 => {
                            spool.put(values.as_primitive::<Int8Type>().values().to_byte_slice())?
                        }
                        arrow_schema::DataType::Int16 => spool
                            .put(values.as_primitive::<Int16Type>().values().to_byte_slice())?,
                        arrow_schema::DataType::Int32 => spool
                            .put(values.as_primitive::<Int32Type>().values().to_byte_slice())?,
                        arrow_schema::DataType::Int64 => spool
                            .put(values.as_primitive::<Int64Type>().values().to_byte_slice())?,
                        arrow_schema::DataType::Float32 => spool.put(
                            values
                                .as_primitive::<Float32Type>()
                                .values()
                                .to_byte_slice(),
                        )?,
                        arrow_schema::DataType::Float64 => spool.put(
                            values
                                .as_primitive::<Float64Type>()
                                .values()
                                .to_byte_slice(),
                        )?,
                        arrow_schema::DataType::UInt8 => spool
                            .put(values.as_primitive::<UInt8Type>().values().to_byte_slice())?,
                        other => unreachable!("NumPy values of type {other}"),
                    }
                }
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    fn bytes(&self) -> u64 {
        self.spools.iter().map(|s| s.bytes).sum()
    }

    fn finish(mut self: Box<Self>, sink: &mut dyn Sink) -> Result<(Vec<String>, u64), WriteError> {
        let spools = std::mem::take(&mut self.spools);
        let (folder, rows) = (self.folder.clone(), self.rows);
        (|| {
            let mut files = Vec::new();
            let mut total = 0;
            for spool in spools {
                let Spool {
                    name,
                    layout,
                    width,
                    path,
                    out,
                    max_chars,
                    ..
                } = spool;
                out.into_inner()
                    .map_err(|e| WriteError::io(&path, e.into_error()))?;
                let rel = format!("{folder}/{name}.npy");
                let mut file = sink.create(&rel)?;
                let io = |e| WriteError::io(&path, e);
                let (descr, chars) = match layout {
                    Layout::Fixed(d) => (d.to_owned(), 0),
                    // A zero-width string dtype is not valid: at least 1.
                    Layout::Unicode => (format!("<U{}", max_chars.max(1)), max_chars.max(1)),
                };
                file.write_all(&header(&descr, rows, width)).map_err(io)?;
                let mut input = BufReader::with_capacity(256 << 10, File::open(&path).map_err(io)?);
                match layout {
                    Layout::Fixed(..) => {
                        std::io::copy(&mut input, &mut file).map_err(io)?;
                    }
                    Layout::Unicode => {
                        let mut len = [0u8; 8];
                        let mut text = Vec::new();
                        let mut cell = Vec::with_capacity(chars * 4);
                        for _ in 0..rows {
                            input.read_exact(&mut len).map_err(io)?;
                            text.resize(u64::from_le_bytes(len) as usize, 0);
                            input.read_exact(&mut text).map_err(io)?;
                            let s = std::str::from_utf8(&text).expect("spooled from Arrow strings");
                            cell.clear();
                            let mut n = 0;
                            for ch in s.chars() {
                                cell.extend_from_slice(&(ch as u32).to_le_bytes());
                                n += 1;
                            }
                            cell.resize(cell.len() + (chars - n) * 4, 0);
                            file.write_all(&cell).map_err(io)?;
                        }
                    }
                }
                total += file.close()?;
                files.push(rel);
            }
            Ok((files, total))
        })()
    }
}

impl Drop for NumpyGroup {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.scratch);
    }
}

/// A version 1.0 `.npy` header, padded so the data starts at a multiple
/// of 64 bytes.
fn header(descr: &str, rows: u64, width: Option<usize>) -> Vec<u8> {
    let shape = match width {
        Some(w) => format!("({rows}, {w})"),
        None => format!("({rows},)"),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = 10 + dict.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    let header_len = dict.len() + padding + 1;
    let mut out = Vec::with_capacity(10 + header_len);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', padding));
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::header;

    #[test]
    fn header_is_aligned_and_exact() {
        let h = header("<f4", 3, Some(8));
        assert_eq!(h.len() % 64, 0);
        assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
        let text = std::str::from_utf8(&h[10..]).unwrap();
        assert_eq!(
            text.trim_end(),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 8), }"
        );
        assert!(text.ends_with('\n'));
    }
}
