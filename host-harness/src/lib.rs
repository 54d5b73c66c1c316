//! The reference host for the mail-oauth component: load it once, call it
//! many times, each call in a fresh sandboxed instance whose only way out is
//! an HTTP client behind a deny-by-default egress policy.

pub mod accounts;
pub mod egress;
pub mod error;
pub mod http_client;
pub mod lock;
pub mod model;
pub mod plugin;
pub mod store;
pub mod transport;

pub use error::{Error, OAuthError};
pub use plugin::{LoadOptions, LoadSource, Plugin, Session};
