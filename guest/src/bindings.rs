//! The bindings wit-bindgen generates from `wit/plugin.wit` (`wasm32` only),
//! private to the crate: [`conv`](crate::conv) maps them onto the core types and
//! [`export`](crate::export) implements the exports with them.

#![allow(
    unsafe_code,
    reason = "wit-bindgen's generated glue uses unsafe ABI code; this module writes none itself"
)]

wit_bindgen::generate!({
    path: "../wit",
    world: "plugin",
    // `export!` is invoked in `crate::export`, not beside the bindings.
    default_bindings_module: "crate::bindings",
});

pub(crate) use exports::mail_oauth::plugin::{mail as wit_mail, oauth, sasl};
pub(crate) use mail_oauth::plugin::{http as wit_http, transport as wit_transport, types as wit};
