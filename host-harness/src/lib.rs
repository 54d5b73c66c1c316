//! The reference host for the mail-oauth component: load it once, call it
//! many times, each call in a fresh sandboxed instance whose only way out is
//! an HTTP client behind a deny-by-default egress policy.

pub mod accounts;
pub mod egress;
pub mod engine;
pub mod error;
pub mod http_client;
pub mod limits;
pub mod lock;
pub mod model;
pub mod plugin;
pub mod store;
pub mod tenants;
pub mod transport;

pub use engine::{EngineOptions, PoolingOptions, Runtime};
pub use error::{Error, OAuthError};
pub use limits::{CallLimits, LimitExceeded};
pub use plugin::{LoadOptions, LoadSource, Plugin, Session, SessionConfig};
pub use tenants::{HostOptions, TenantConfig, TenantHost, TenantMetrics};
