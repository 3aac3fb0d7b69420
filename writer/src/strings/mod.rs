//! The string-typed fields whose text has a syntax of its own, checked on
//! the client so that a bad value is a row error here rather than a failed
//! import (the server parses them when it imports): Geometry as WKT,
//! Timestamptz as ISO-8601. Both parsers look at ASCII bytes only, so no
//! input can make them slice a string inside a character or recurse without
//! bound.

mod timestamptz;
mod wkt;

pub(crate) use timestamptz::check as check_timestamptz;
pub(crate) use wkt::check as check_wkt;
