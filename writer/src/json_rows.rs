//! Milvus's JSON row files in: `{"rows": [...]}` (the key in any case, as
//! Milvus reads it) or a bare `[...]`, streamed from any `Read`.
//!
//! Each row's text is captured whole (serde_json's `RawValue`) and handed
//! on, so rows go through the same checks and fast path as JSONL lines,
//! and a bad row does not break the stream. Text that is not JSON does:
//! the file cannot be read past it.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Calls `row` with the text of every row, in order. `row`'s error stops
/// the read and is returned as is; text that is not a row file is
/// `Err(Right(message))`.
pub(crate) fn for_each_row<R: Read, E>(
    input: R,
    mut row: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<u64, Stop<E>> {
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 20, input));
    let mut stopped = None;
    let mut count = 0u64;
    let read = (&mut de)
        .deserialize_any(File {
            row: &mut row,
            stopped: &mut stopped,
            count: &mut count,
        })
        .and_then(|()| de.end());
    match (read, stopped) {
        (_, Some(e)) => Err(Stop::Row(e)),
        (Err(e), None) => Err(Stop::Text {
            after: count,
            message: e.to_string(),
        }),
        (Ok(()), None) => Ok(count),
    }
}

/// Why a row file was not read to its end.
pub(crate) enum Stop<E> {
    /// The row callback stopped it.
    Row(E),
    /// The text is not a row file; `after` rows were read before it broke.
    Text { after: u64, message: String },
}

struct File<'a, F, E> {
    row: &'a mut F,
    stopped: &'a mut Option<E>,
    count: &'a mut u64,
}

impl<'de, F: FnMut(&[u8]) -> Result<(), E>, E> Visitor<'de> for File<'_, F, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("{\"rows\": [...]} or [...]")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("rows") && !seen {
                seen = true;
                map.next_value_seed(Rows(self.row, self.stopped, self.count))?;
            } else {
                return Err(de::Error::custom(format!(
                    "unexpected key `{key}`: a row file holds only `rows`"
                )));
            }
        }
        if seen {
            Ok(())
        } else {
            Err(de::Error::custom("no `rows` list"))
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Rows(self.row, self.stopped, self.count).visit_seq(seq)
    }
}

struct Rows<'a, F, E>(&'a mut F, &'a mut Option<E>, &'a mut u64);

impl<'de, F: FnMut(&[u8]) -> Result<(), E>, E> DeserializeSeed<'de> for Rows<'_, F, E> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(&[u8]) -> Result<(), E>, E> Visitor<'de> for Rows<'_, F, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Rows(row, stopped, count) = self;
        while let Some(text) = seq.next_element::<Box<RawValue>>()? {
            *count += 1;
            if let Err(e) = row(text.get().as_bytes()) {
                *stopped = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}
