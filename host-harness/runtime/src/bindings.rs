//! The bindings `wasmtime::component::bindgen!` generates from `wit/`.
//!
//! Private to the crate: their records derive `Debug` with every field,
//! secrets included. Callers get the [`crate::model`] types, which wrap every
//! secret in [`crate::model::Secret`], and the generated types that carry no
//! secret, re-exported there. Every conversion between the two is in
//! [`crate::conv`].

mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "plugin",
        // The guest's `connection` handles are host `MailConnection`s in the
        // store's resource table.
        with: { "mail-oauth:plugin/transport.connection": crate::transport::MailConnection },
        // Every import may trap: a call that passes its hostcall data cap is
        // stopped, not answered.
        imports: { default: trappable },
        // `Step` appears in the CLI's JSON reports.
        additional_derives: [serde::Serialize],
    });
}

pub(crate) use generated::Plugin;
pub(crate) use generated::exports::mail_oauth::plugin::{mail, oauth, sasl};
pub(crate) use generated::mail_oauth::plugin::{http, transport, types};
