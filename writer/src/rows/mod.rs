//! Rows in: JSON text, `serde_json::Value`s and any `Serialize` type, read
//! into column buffers and checked as the newest Milvus checks them.
//!
//! Declared fields go straight from the deserializer into their columns
//! through per-field seeds (no intermediate `Value`); a bad value stops the
//! row, and whatever it had already put in the columns is taken back, so a
//! refused row leaves nothing behind.

mod elements;
mod fault;
mod json_f32;
mod sparse;
mod text;
mod values;
mod vector_text;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow_array::RecordBatch;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub(crate) use sparse::canonical_text as canonical_sparse_text;
pub(crate) use values::push_minified;

use crate::canonical;
use crate::columns::{Column, Columns};
use crate::error::Reason;
use crate::schema::{DataType, META_FIELD, Schema};
use fault::{Fault, fail};
use values::{FieldSeed, fill_absent};

/// Why a row was refused, before it is given its position.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Refusal {
    pub(crate) field: Option<String>,
    pub(crate) reason: Reason,
}

/// Reads rows into the columns of one batch.
pub(crate) struct RowReader {
    schema: Arc<Schema>,
    columns: Columns,
    /// Column of each schema field (`None`: generated, never written).
    column_of: Vec<Option<usize>>,
    meta_column: Option<usize>,
    lookup: HashMap<Box<str>, usize>,
    /// Stamp of the last row that gave each field.
    seen: Vec<u64>,
    stamp: u64,
    meta: Map<String, Value>,
}

impl RowReader {
    pub(crate) fn new(schema: Arc<Schema>) -> Self {
        let written = canonical::written_columns(&schema);
        let mut column_of = vec![None; schema.fields().len()];
        let mut meta_column = None;
        let columns = written
            .iter()
            .enumerate()
            .map(|(c, w)| {
                match w.field {
                    Some(f) => column_of[f] = Some(c),
                    None => meta_column = Some(c),
                }
                Column::new(w.shape, w.nullable)
            })
            .collect();
        let lookup = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name().into(), i))
            .collect();
        RowReader {
            columns: Columns::new(canonical::arrow_schema(&schema), columns),
            seen: vec![0; schema.fields().len()],
            schema,
            column_of,
            meta_column,
            lookup,
            stamp: 0,
            meta: Map::new(),
        }
    }

    /// Rows held.
    pub(crate) fn rows(&self) -> usize {
        self.columns.rows()
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.columns.bytes()
    }

    /// Hands the rows held over as a batch of the canonical schema.
    pub(crate) fn take_batch(&mut self) -> RecordBatch {
        self.columns.take_batch()
    }

    /// Reads one row of JSON text (one JSONL line).
    pub(crate) fn push_text(&mut self, text: &str) -> Result<(), Refusal> {
        self.push_bytes(text.as_bytes())
    }

    /// Reads one row of JSON text given as bytes; serde_json checks the
    /// UTF-8 of its strings as it reads them, so the line needs no pass of
    /// its own.
    pub(crate) fn push_bytes(&mut self, text: &[u8]) -> Result<(), Refusal> {
        self.stamp += 1;
        self.meta.clear();
        if text::scan(&mut *self, text) && self.finish_row().is_ok() {
            return Ok(());
        }
        // Anything unusual (a bad value, a syntax error, an escaped key)
        // is read again by serde_json alone, whose verdict is the one
        // reported.
        self.columns.rollback_row();
        let mut de = serde_json::Deserializer::from_slice(text);
        self.push_with(
            |seed| seed.deserialize(&mut de).and_then(|()| de.end()),
            true,
        )
    }

    /// Reads one row given as a JSON value.
    pub(crate) fn push_value(&mut self, value: &Value) -> Result<(), Refusal> {
        self.push_with(|seed| seed.deserialize(value), false)
    }

    /// Reads one row of any serializable type (through a `Value`: serde
    /// gives no way to read a `Serialize` type field by field otherwise).
    pub(crate) fn push_serialize<T: Serialize + ?Sized>(&mut self, row: &T) -> Result<(), Refusal> {
        match serde_json::to_value(row) {
            Ok(value) => self.push_value(&value),
            Err(e) => Err(Refusal {
                field: None,
                reason: Reason::Syntax(e.to_string()),
            }),
        }
    }

    fn push_with(
        &mut self,
        run: impl FnOnce(RowSeed<'_>) -> Result<(), serde_json::Error>,
        raw: bool,
    ) -> Result<(), Refusal> {
        self.stamp += 1;
        self.meta.clear();
        let mut fault: Fault = None;
        let mut at: Option<String> = None;
        let result = run(RowSeed {
            reader: self,
            fault: &mut fault,
            at: &mut at,
            raw,
        });
        let refusal = match (result, fault) {
            (Ok(()), None) => match self.finish_row() {
                Ok(()) => return Ok(()),
                Err(refusal) => refusal,
            },
            (_, Some(reason)) => Refusal { field: at, reason },
            (Err(e), None) => Refusal {
                field: None,
                reason: Reason::Syntax(e.to_string()),
            },
        };
        self.columns.rollback_row();
        Err(refusal)
    }

    /// Fills what the row left out, writes `$meta`, counts the row.
    fn finish_row(&mut self) -> Result<(), Refusal> {
        for (i, field) in self.schema.fields().iter().enumerate() {
            let Some(c) = self.column_of[i] else { continue };
            if self.seen[i] == self.stamp {
                continue;
            }
            fill_absent(field, &mut self.columns.columns[c], true).map_err(|reason| Refusal {
                field: Some(field.name().to_owned()),
                reason,
            })?;
        }
        if let Some(c) = self.meta_column {
            let Column::Str(column) = &mut self.columns.columns[c] else {
                unreachable!("$meta is a string column")
            };
            let data = column.values.data();
            let start = data.len();
            serde_json::to_writer(&mut *data, &self.meta).expect("a Map always serializes");
            let len = data.len() - start;
            column.values.seal(len).map_err(|reason| Refusal {
                field: Some(META_FIELD.to_owned()),
                reason,
            })?;
            column.valid();
        }
        self.columns.commit_row();
        Ok(())
    }
}

/// Reads one row object.
struct RowSeed<'a> {
    reader: &'a mut RowReader,
    fault: &'a mut Fault,
    /// The key being read, for the refusal.
    at: &'a mut Option<String>,
    raw: bool,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl RowSeed<'_> {
    fn not_object<E: de::Error>(self, got: &'static str) -> Result<(), E> {
        fail(self.fault, Reason::NotAnObject { got })
    }
}

/// Where an object key of a row points.
enum Key<'de> {
    Field(usize),
    Other(Cow<'de, str>),
}

struct KeySeed<'a> {
    lookup: &'a HashMap<Box<str>, usize>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(match self.lookup.get(v) {
            Some(&i) => Key::Field(i),
            None => Key::Other(Cow::Borrowed(v)),
        })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(match self.lookup.get(v) {
            Some(&i) => Key::Field(i),
            None => Key::Other(Cow::Owned(v.to_owned())),
        })
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(match self.lookup.get(v.as_str()) {
            Some(&i) => Key::Field(i),
            None => Key::Other(Cow::Owned(v)),
        })
    }
}

/// Reads the value of one key of a row: a declared field into its column,
/// anything else into `$meta` (or a refusal).
struct EntrySeed<'a, 'de> {
    reader: &'a mut RowReader,
    key: Key<'de>,
    fault: &'a mut Fault,
    at: &'a mut Option<String>,
    raw: bool,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let EntrySeed {
            reader,
            key,
            fault,
            at,
            raw,
        } = self;
        let schema = reader.schema.clone();
        match key {
            Key::Field(i) => {
                let field = &schema.fields()[i];
                *at = Some(field.name().to_owned());
                if reader.seen[i] == reader.stamp {
                    return fail(fault, Reason::DuplicateKey);
                }
                reader.seen[i] = reader.stamp;
                let Some(c) = reader.column_of[i] else {
                    let reason = if field.is_auto_id() {
                        Reason::AutoIdGiven
                    } else {
                        Reason::FunctionOutputGiven
                    };
                    return fail(fault, reason);
                };
                FieldSeed {
                    field,
                    column: &mut reader.columns.columns[c],
                    fault,
                    raw,
                }
                .deserialize(d)
            }
            Key::Other(name) => {
                *at = Some(name.to_string());
                if !schema.dynamic_field() {
                    return fail(fault, Reason::UnknownField);
                }
                let value = Value::deserialize(d)?;
                if name == META_FIELD {
                    let Value::Object(entries) = value else {
                        return fail(fault, Reason::MetaNotObject);
                    };
                    for (k, v) in entries {
                        if reader.meta.contains_key(&k) {
                            *at = Some(k);
                            return fail(fault, Reason::DuplicateKey);
                        }
                        reader.meta.insert(k, v);
                    }
                } else {
                    if reader.meta.contains_key(name.as_ref()) {
                        return fail(fault, Reason::DuplicateKey);
                    }
                    reader.meta.insert(name.into_owned(), value);
                }
                Ok(())
            }
        }
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let RowSeed {
            reader,
            fault,
            at,
            raw,
        } = self;
        while let Some(key) = map.next_key_seed(KeySeed {
            lookup: &reader.lookup,
        })? {
            map.next_value_seed(EntrySeed {
                reader: &mut *reader,
                key,
                fault: &mut *fault,
                at: &mut *at,
                raw,
            })?;
        }
        *at = None;
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<(), A::Error> {
        self.not_object("an array")
    }
    fn visit_str<E: de::Error>(self, _v: &str) -> Result<(), E> {
        self.not_object("a string")
    }
    fn visit_bool<E: de::Error>(self, _v: bool) -> Result<(), E> {
        self.not_object("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _v: i64) -> Result<(), E> {
        self.not_object("a number")
    }
    fn visit_u64<E: de::Error>(self, _v: u64) -> Result<(), E> {
        self.not_object("a number")
    }
    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<(), E> {
        self.not_object("a number")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_object("null")
    }
}

/// What the fast path for JSON text needs from the reader.
impl text::Row for RowReader {
    fn lookup(&self, key: &str) -> Option<usize> {
        self.lookup.get(key).copied()
    }

    fn vector_in_place(&mut self, field: usize, text: &[u8]) -> text::InPlace {
        let schema = self.schema.clone();
        let (DataType::FloatVector { dim }, Some(c)) =
            (schema.fields()[field].data_type(), self.column_of[field])
        else {
            return text::InPlace::NotAVector;
        };
        let Column::ListF32(list) = &mut self.columns.columns[c] else {
            return text::InPlace::NotAVector;
        };
        if self.seen[field] == self.stamp {
            return text::InPlace::GiveUp;
        }
        match vector_text::parse_f32_list(text, &mut list.values) {
            Ok(vector_text::Parsed::List { count, used })
                if count == dim.get() && list.close().is_ok() =>
            {
                self.seen[field] = self.stamp;
                text::InPlace::Used(used)
            }
            _ => text::InPlace::GiveUp,
        }
    }

    fn entry(&mut self, field: Option<usize>, key: &str, value: &[u8]) -> bool {
        let key = match field {
            Some(f) => Key::Field(f),
            None => Key::Other(Cow::Borrowed(key)),
        };
        let mut de = serde_json::Deserializer::from_slice(value);
        let (mut fault, mut at) = (None, None);
        let read = EntrySeed {
            reader: self,
            key,
            fault: &mut fault,
            at: &mut at,
            raw: true,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        read.is_ok() && fault.is_none()
    }
}
