//! The CLI's integration tests: the real `zilliz-import` binary against the
//! emulator or a scripted server, in one test binary. Run one module with a
//! filter, e.g. `cargo test -p zilliz-import-cli --test it cli_signals::`.

mod common;
// Shared with the library's tests, which declare them beside `common` too.
#[path = "../../../tests/it/common/audit.rs"]
mod audit;
#[path = "../../../tests/it/common/emulator_env.rs"]
mod emulator_env;

mod cli_deployments;
mod cli_list_json;
mod cli_load;
mod cli_load_moto;
mod cli_signals;
mod cli_terminal;
mod cli_timeouts;
mod cli_tls_files;
mod cli_two_phase;
mod cli_upload;
mod cli_upload_clouds;
mod cli_volume;
mod cli_wait_many;
mod cli_wait_many_ids;
mod cli_write;
mod cli_write_collection;
mod cli_write_signals;
mod commands;
mod emulator_command;
mod exit_codes;
mod fuzz_config;
mod hardening;
mod secrets_audit;
mod server_text;
