//! mail-oauth: OAuth2 and SASL for IMAP, POP3 and SMTP as one WebAssembly component.
//!
//! The crate has two layers:
//!
//! * a pure protocol core ([`providers`], [`authorize`], [`token`], [`discovery`],
//!   [`sasl`]) that takes its HTTP as a parameter ([`http::Http`]) and the time as a
//!   number, so it runs and is tested natively with scripted fakes;
//! * a thin export layer (`export`, only on `wasm32`) that maps the WIT contract in
//!   `wit/plugin.wit` onto the core and implements [`http::Http`] over the host's
//!   `http` import.
//!
//! Nothing is kept between calls: every function gets all it needs as arguments and
//! returns everything that must persist.

pub mod authorize;
pub mod discovery;
pub mod error;
pub mod http;
pub mod mail;
pub mod providers;
pub mod sasl;
pub mod token;
pub mod types;

mod json;
mod redact;

#[cfg(target_arch = "wasm32")]
mod export;

#[cfg(not(target_arch = "wasm32"))]
pub mod optimize;

pub use error::{Error, ProviderFailure};
pub use types::*;
