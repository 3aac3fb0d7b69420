//! Integration tests of the writer, one binary (arrow and parquet link
//! once).

mod arrow_input;
mod common;
mod formats;
mod fuzz;
mod group_limit;
#[cfg(feature = "object-store")]
mod object_store;
#[cfg(feature = "object-store")]
mod object_store_parts;
mod outcome;
mod pyarrow;
mod rows;
mod schema;
mod string_types;
