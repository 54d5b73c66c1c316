//! The guest's integration tests in one binary (wasmtime's `tests/all/main.rs`):
//! one module per behaviour, the fakes shared in `common` (HTTP) and
//! `mail_common` (transport).

mod common;
mod mail_common;

mod callback_errors;
mod client_credentials;
mod device_begin;
mod device_poll;
mod discovery;
mod ensure_fresh;
mod error_mapping;
mod imap_dialogue;
mod mail_api;
mod mail_api_errors;
mod mail_faults;
mod mail_refresh_once;
mod mail_secrets_not_leaked;
mod mail_temporary_failures;
mod pkce_off;
mod pkce_vector;
mod pop3_dialogue;
mod preset_for_host;
mod preset_table;
mod provider_urls;
mod refresh_rotation;
mod revoke;
mod sasl_vectors;
mod secrets_not_leaked;
mod smtp_dialogue;
mod state_mismatch;
mod temporary_failures;
mod test_message;
mod token_exchange;
