//! The integration tests, in one binary so the crate and its dependencies
//! are linked once. Each module was a test target of its own; run one with
//! a filter, e.g. `cargo test --all-features --test it faults::`.
//!
//! The modules that run the emulator need the `emulator` feature; without
//! it they drop out. The tests that drive the `zilliz-import` binary are
//! the CLI crate's (`cli/tests/it`).

mod common;
// Helpers for tests that start the emulator, declared here (not in
// `common`, which the CLI crate's tests take whole) to be gated with them.
#[cfg(feature = "emulator")]
#[path = "common/audit.rs"]
mod audit;
#[cfg(feature = "emulator")]
#[path = "common/emulator_env.rs"]
mod emulator_env;

mod abort_grace;
mod create_wire;
mod deployments;
#[cfg(feature = "emulator")]
mod e2e_emulator;
#[cfg(feature = "emulator")]
mod emulator_http;
#[cfg(feature = "emulator")]
mod emulator_milvus;
#[cfg(feature = "emulator")]
mod emulator_retention;
#[cfg(feature = "emulator")]
mod emulator_two_phase;
mod errors;
mod faults;
mod fuzz_config;
mod fuzz_decode;
mod hardening;
mod lifecycle;
mod live;
#[cfg(feature = "emulator")]
mod load;
#[cfg(feature = "emulator")]
mod rate_limit;
mod retries;
#[cfg(feature = "emulator")]
mod secrets_audit;
mod server_text;
mod spec;
mod tls;
mod two_phase;
#[cfg(feature = "emulator")]
mod wait_many;
