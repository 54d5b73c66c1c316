//! The runtime for the mail-oauth component: load it once, call it many
//! times, each call in a fresh sandboxed instance whose only ways out are an
//! HTTP client and mail connections behind a deny-by-default egress policy.
//!
//! This is what an embedder links; the account store (`mail-oauth-store`) and
//! the `mail-oauth` CLI are built on it. The layers, each using only the ones
//! above it in this list:
//!
//! - [`egress`]: which hosts, ports and addresses may be reached;
//! - [`http_client`], [`transport`]: the HTTP client and the mail
//!   connections, under an egress policy;
//! - [`limits`], [`engine`]: the per-call caps and the wasmtime engine;
//! - [`model`], [`error`]: the runtime's types for the contract's records
//!   and errors;
//! - `bindings` (private) and `conv`: the generated bindings and every
//!   conversion to and from them;
//! - `host`, `cache`, [`wasi`]: the imports' host side (the contract's and
//!   the few WASI interfaces the component may import), the precompiled cache;
//! - [`plugin`], [`session`]: loading the component, calling it;
//! - [`tenants`]: many tenants in one process.

mod bindings;
mod cache;
mod conv;
pub mod egress;
pub mod engine;
pub mod error;
mod host;
pub mod http_client;
pub mod limits;
pub mod model;
pub mod plugin;
pub mod session;
pub mod tenants;
pub mod transport;
pub mod wasi;

pub use engine::{EngineOptions, PoolingOptions, Runtime};
pub use error::{Error, MailFailure, OAuthError};
pub use limits::{CallLimits, LimitExceeded};
pub use plugin::{LoadOptions, LoadSource, Plugin, SessionConfig};
pub use session::Session;
pub use tenants::{HostOptions, TenantConfig, TenantHost, TenantMetrics};
