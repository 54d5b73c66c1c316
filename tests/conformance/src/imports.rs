//! The component's imports, defined with wasmtime's dynamic API: the
//! `http` and `transport` interfaces of `mail-oauth:plugin`, answered by the
//! vector's script or, with `--live`, by the runtime's real clients.
//!
//! Every value crosses as JSON (the form FORMAT.md defines), converted to and
//! from [`Val`] with the types the component declares, so the same code
//! serves every function of both interfaces.

use std::sync::Arc;

use mail_oauth_runtime::transport::{MailConnection, TransportError};
use serde_json::{Value as Json, json};
use wasmtime::component::types::ComponentFunc;
use wasmtime::component::{Linker, LinkerInstance, Resource, ResourceTable, ResourceType, Val};
use wasmtime::error::Context as _;
use wasmtime::{StoreContextMut, bail, format_err};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::live::{Live, transport_error};
use crate::script::{self, Script};
use crate::value::{Ty, from_val, to_val};

/// The WIT package the runner speaks.
pub const PACKAGE: &str = "mail-oauth:plugin";
/// Its version: instance names are `mail-oauth:plugin/<interface>@VERSION`.
pub const VERSION: &str = "0.2.0";

/// Where the imports' answers come from.
pub enum Io {
    /// The vector's `http` script; every connection is `denied`.
    Scripted(Script),
    /// The runtime's HTTP client and mail transport.
    Live(Arc<Live>),
}

/// The state of one vector's store.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// The imports' backend.
    pub io: Io,
}

impl HostState {
    /// A store state whose only ways out are `io`: the component sees no
    /// environment, arguments, files, sockets or stdio.
    pub fn new(io: Io) -> Self {
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            io,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The instance name of `interface` in the runner's package.
pub fn instance_name(interface: &str) -> String {
    format!("{PACKAGE}/{interface}@{VERSION}")
}

/// Defines WASI p2 and the `http` and `transport` imports in `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;

    let mut http = linker.instance(&instance_name("http"))?;
    http.func_new("send", |mut store, ty, params, results| {
        let request = from_val(param(params, 0)?).map_err(|e| format_err!(e))?;
        let answer = match &mut store.data_mut().io {
            Io::Scripted(script) => {
                let view = script::request_view(&request).map_err(|e| format_err!(e))?;
                script.answer(&view)
            }
            Io::Live(live) => live.send(&request)?,
        };
        results[0] = match to_val(&answer, &result_ty(&ty)?, "$") {
            Ok(val) => val,
            Err(misfit) => {
                // An EXCHANGE whose answer is not an http.send result: a
                // vector bug. Fail the vector, let the call finish.
                let Io::Scripted(script) = &mut store.data_mut().io else {
                    bail!("http.send: the host's answer does not fit the WIT type: {misfit}");
                };
                script.fail(format!(
                    "the http script's answer does not fit http.send: {misfit}"
                ));
                let unexpected = json!({ "err": { "tag": "other", "val": script::UNEXPECTED } });
                to_val(&unexpected, &result_ty(&ty)?, "$").map_err(|e| format_err!("{e}"))?
            }
        };
        Ok(())
    })?;

    let mut transport = linker.instance(&instance_name("transport"))?;
    transport.resource(
        "connection",
        ResourceType::host::<MailConnection>(),
        |mut store, rep| {
            // Dropping the connection closes its socket.
            store
                .data_mut()
                .table
                .delete(Resource::<MailConnection>::new_own(rep))?;
            Ok(())
        },
    )?;
    transport.func_new("connect", |mut store, ty, params, results| {
        let host = from_val(param(params, 0)?).map_err(|e| format_err!(e))?;
        let port = from_val(param(params, 1)?).map_err(|e| format_err!(e))?;
        let security = from_val(param(params, 2)?).map_err(|e| format_err!(e))?;
        results[0] = match &store.data().io {
            Io::Scripted(_) => {
                let target = format!("{}:{port}", host.as_str().unwrap_or_default());
                let denied = json!({ "err": { "tag": "denied",
                    "val": format!("conformance: no mail connection without --live ({target})") } });
                to_val(&denied, &result_ty(&ty)?, "$").map_err(|e| format_err!("{e}"))?
            }
            Io::Live(live) => {
                let live = live.clone();
                match live.connect(&host, &port, &security)? {
                    Ok(conn) => {
                        let handle = store.data_mut().table.push(conn)?;
                        let any = handle.try_into_resource_any(&mut store)?;
                        Val::Result(Ok(Some(Box::new(Val::Resource(any)))))
                    }
                    Err(error) => to_val(&json!({ "err": error }), &result_ty(&ty)?, "$")
                        .map_err(|e| format_err!("{e}"))?,
                }
            }
        };
        Ok(())
    })?;
    method(&mut transport, "read-line", |conn, arg| {
        Ok(conn.read_line(length(arg)?).map(|line| json!(line)))
    })?;
    method(&mut transport, "read-exact", |conn, arg| {
        Ok(conn.read_exact(length(arg)?).map(|data| json!(data)))
    })?;
    method(&mut transport, "write", |conn, arg| {
        let data = script::bytes(arg.context("write: no data")?).map_err(|e| format_err!(e))?;
        Ok(conn.write(&data).map(|()| Json::Null))
    })?;
    method(&mut transport, "upgrade-tls", |conn, _| {
        Ok(conn.upgrade_tls().map(|()| Json::Null))
    })?;
    Ok(())
}

/// Defines `[method]connection.<name>`: `f` gets the connection and the
/// method's argument after the handle (as JSON), and returns the JSON of the
/// `ok` value or the transport error.
fn method(
    transport: &mut LinkerInstance<'_, HostState>,
    name: &str,
    f: impl Fn(&mut MailConnection, Option<&Json>) -> wasmtime::Result<Result<Json, TransportError>>
    + Send
    + Sync
    + 'static,
) -> wasmtime::Result<()> {
    let label = format!("connection.{name}");
    transport.func_new(
        &format!("[method]{label}"),
        move |mut store: StoreContextMut<'_, HostState>, ty, params, results| {
            let Val::Resource(any) = param(params, 0)? else {
                bail!("{label}: the first parameter is not a connection");
            };
            let handle = Resource::<MailConnection>::try_from_resource_any(*any, &mut store)?;
            let arg = params
                .get(1)
                .map(from_val)
                .transpose()
                .map_err(|e| format_err!(e))?;
            let conn = store.data_mut().table.get_mut(&handle)?;
            let answer = match f(conn, arg.as_ref())? {
                Ok(value) => json!({ "ok": value }),
                Err(error) => json!({ "err": transport_error(error) }),
            };
            results[0] =
                to_val(&answer, &result_ty(&ty)?, "$").map_err(|e| format_err!("{label}: {e}"))?;
            Ok(())
        },
    )
}

/// A `u32` length argument; the runtime caps it at its own line limit.
fn length(arg: Option<&Json>) -> wasmtime::Result<u32> {
    arg.and_then(Json::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .context("the length is not a u32")
}

fn param(params: &[Val], i: usize) -> wasmtime::Result<&Val> {
    params
        .get(i)
        .with_context(|| format!("parameter {i} is missing"))
}

/// The (single) result type of an import.
fn result_ty(ty: &ComponentFunc) -> wasmtime::Result<Ty> {
    let result = ty.results().next().context("the import returns nothing")?;
    Ok(Ty::from(&result))
}
