//! The client progenitor generates from `openapi.yaml` at build time.
//!
//! Nothing here is written by hand: see `build.rs`. To read the code,
//! `cargo doc --open` or open `target/*/build/zilliz-import-*/out/generated.rs`.
#![allow(missing_docs, clippy::all, clippy::pedantic, unreachable_pub)]

include!(concat!(env!("OUT_DIR"), "/generated.rs"));

/// The envelope's `code`: the spec's `Code`, replaced (see `build.rs`) by a
/// type that decodes only when it holds a number.
pub use crate::answer::Code;
