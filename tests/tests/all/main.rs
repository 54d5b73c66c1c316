//! The integration tests: the built component driven through the runtime,
//! the account store and the `mail-oauth` CLI against real servers on
//! 127.0.0.1 (tests/peers), one module per behaviour, in one test binary so
//! that the suite links wasmtime once (as wasmtime's own `tests/all`).

mod common;

mod access_denied;
mod authorize_loopback_cli;
mod browser_forms;
mod cli_client_credentials;
mod cli_component;
mod cli_device;
mod cli_nothing_lost;
mod cli_rough_edges;
mod client_credentials;
mod device_flow;
mod discovery;
mod egress_denied;
mod hostile_connection_flood;
mod hostile_egress;
mod hostile_infinite_loop;
mod hostile_memory_bomb;
mod hostile_request_body;
mod hostile_sleep;
mod hostile_wasi_limits;
mod login_hint_mismatch;
mod mail_bad_token;
mod mail_call_deadline;
mod mail_egress_denied;
mod mail_refresh_expired;
mod mail_send_test;
mod mail_sender_mismatch;
mod mail_server_faults;
mod mail_xoauth2_oauthbearer;
mod peer_stack;
mod precompiled_cache;
mod preset_for_host;
mod refresh_lock_busy;
mod refresh_race_processes;
mod refresh_race_threads;
mod refresh_rotation;
mod revoke;
mod state_mismatch;
mod store_integrity;
mod tenant_lifecycle;
mod token_endpoint_faults;
mod two_step_complete;
