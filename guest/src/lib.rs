//! mail-oauth: OAuth2 and SASL for IMAP, POP3 and SMTP as one WebAssembly component.
//!
//! The crate has two layers:
//!
//! * a pure protocol core ([`providers`], [`authorize`], [`device`], [`token`],
//!   [`discovery`], [`sasl`], [`mail`]) that takes its HTTP as a parameter ([`http::Http`]) and the time as a
//!   number, so it runs and is tested natively with scripted fakes;
//! * a thin export layer (`export`, only on `wasm32`) that implements the WIT
//!   contract in `wit/plugin.wit` over the core, and [`http::Http`] and
//!   [`transport::Transport`] over the host's imports; every conversion between
//!   the generated bindings (`bindings`) and the core types is a `From` impl in
//!   `conv`.
//!
//! Nothing is kept between calls: every function gets all it needs as arguments and
//! returns everything that must persist.

pub mod authorize;
pub mod device;
pub mod discovery;
pub mod error;
pub mod http;
pub mod mail;
pub mod providers;
pub mod sasl;
pub mod token;
pub mod transport;
pub mod types;

// Public only to the fuzz targets (tests/fuzz), which test them directly.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod json;
#[cfg(not(feature = "fuzzing"))]
mod json;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod redact;
#[cfg(not(feature = "fuzzing"))]
mod redact;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod conv;
#[cfg(target_arch = "wasm32")]
mod export;

pub use error::{Error, ProviderFailure, SaslError};
pub use types::*;
