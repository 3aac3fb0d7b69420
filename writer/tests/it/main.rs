//! Integration tests of the writer, one binary (arrow and parquet link
//! once).

mod arrow_input;
mod common;
mod formats;
mod fuzz;
mod outcome;
mod pyarrow;
mod rows;
mod schema;
