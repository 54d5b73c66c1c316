//! The guest's integration tests in one binary (wasmtime's `tests/all/main.rs`):
//! one module per behaviour, the fakes shared in `common` (HTTP) and
//! `mail_common` (transport).

mod common;
mod mail_common;

mod callback_errors;
mod discovery;
mod ensure_fresh;
mod error_mapping;
mod imap_dialogue;
mod mail_faults;
mod mail_refresh_once;
mod mail_secrets_not_leaked;
mod pkce_vector;
mod pop3_dialogue;
mod provider_urls;
mod refresh_rotation;
mod revoke;
mod sasl_vectors;
mod secrets_not_leaked;
mod smtp_dialogue;
mod state_mismatch;
mod test_message;
mod token_exchange;
