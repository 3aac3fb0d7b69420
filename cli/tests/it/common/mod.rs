//! Helpers of the CLI's tests. What they share with the library's tests
//! (the sentinel secrets, the paths, the envelopes, the scripted server) is
//! written once, in the library's `tests/it/common`, and taken whole from
//! there; what drives the binary is [`cli_env`].

// The library's tests use the helpers these tests leave unused.
#[allow(dead_code)]
#[path = "../../../../tests/it/common/mod.rs"]
mod shared;

pub use shared::*;

pub mod cli_env;
