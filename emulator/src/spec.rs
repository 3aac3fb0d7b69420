//! What the emulator reads from the API's spec, `../openapi.yaml` (see
//! `build.rs`): the wire types progenitor generates from it, and the rules
//! its request schemas state (`maxItems`, page sizes, key length, required
//! fields). The client is generated from the same file; the emulator reads
//! it on its own, so neither confirms the other's reading.

// Generated: every type of the spec, used or not, and progenitor's own style.
#[allow(dead_code, unreachable_pub, missing_docs, clippy::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/types.rs"));
}

pub(crate) use generated::types;

/// The numbers and required fields of the spec's request schemas.
pub(crate) mod limits {
    include!(concat!(env!("OUT_DIR"), "/limits.rs"));
}
