//! The integration tests, in one binary so the crate and its dependencies
//! are linked once. Each module was a test target of its own; run one with
//! a filter, e.g. `cargo test --all-features --test it faults::`.
//!
//! The modules that drive the binary need the `cli` feature, and those that
//! run the emulator need `emulator`; without them they drop out.

mod common;

mod abort_grace;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_deployments;
#[cfg(feature = "cli")]
mod cli_list_json;
#[cfg(feature = "cli")]
mod cli_signals;
#[cfg(feature = "cli")]
mod cli_terminal;
#[cfg(feature = "cli")]
mod cli_timeouts;
#[cfg(feature = "cli")]
mod cli_tls_files;
#[cfg(feature = "cli")]
mod cli_two_phase;
#[cfg(feature = "cli")]
mod cli_wait_many;
#[cfg(feature = "cli")]
mod cli_wait_many_ids;
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
#[cfg(feature = "cli")]
mod hardening;
mod lifecycle;
mod live;
#[cfg(feature = "emulator")]
mod load;
mod rate_limit;
mod retries;
#[cfg(feature = "cli")]
mod secrets_audit;
#[cfg(feature = "cli")]
mod server_text;
mod spec;
mod tls;
mod two_phase;
#[cfg(feature = "emulator")]
mod wait_many;
