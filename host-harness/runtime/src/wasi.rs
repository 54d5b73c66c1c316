//! The WASI the component gets: exactly the interfaces Rust's standard
//! library for `wasm32-wasip2` links into it ([`WASI_IMPORTS`], documented
//! in the WIT world), and nothing else: no filesystem, no sockets, no HTTP.
//! A component importing anything more is refused at load
//! ([`check_imports`]).
//!
//! `wasi:io/poll` is the one interface the component imports only for its
//! types (stdio's streams and the monotonic clock hand out `pollable`s):
//! here its functions never wait. `poll` and `pollable.block` trap, and
//! `pollable.ready` answers without blocking, so no component can park a
//! host thread on a timer beyond the call's time limit (epoch interruption
//! cannot stop a thread blocked inside the host).

use anyhow::bail;
use wasmtime::Engine;
use wasmtime::component::{
    Component, HasData, Linker, Resource, ResourceTable, ResourceType, types::ComponentItem,
};
use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView as _};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::{cli, clocks, random};
use wasmtime_wasi::random::{WasiRandom, WasiRandomView as _};

use crate::host::HostState;

/// Every WASI interface the component may import (any `0.2.x` version).
pub const WASI_IMPORTS: [&str; 17] = [
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure-seed",
];

/// The contract's own imports.
const PLUGIN_IMPORTS: [&str; 3] = [
    "mail-oauth:plugin/http",
    "mail-oauth:plugin/transport",
    "mail-oauth:plugin/types",
];

/// The version of the interface [`poll`] defines (the one wasmtime-wasi 48
/// implements; the linker matches any `0.2.x` import to it).
const POLL: &str = "wasi:io/poll@0.2.6";

/// The name of an import without its `@version`.
fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(name, _)| name)
}

/// Refuses a component that imports anything but the contract's interfaces
/// and [`WASI_IMPORTS`], naming what it asked for.
pub(crate) fn check_imports(engine: &Engine, component: &Component) -> anyhow::Result<()> {
    let mut unknown = Vec::new();
    for (name, item) in component.component_type().imports(engine) {
        let known = WASI_IMPORTS.contains(&unversioned(name))
            || PLUGIN_IMPORTS.contains(&unversioned(name));
        if !known || !matches!(item.ty, ComponentItem::ComponentInstance(_)) {
            unknown.push(name.to_owned());
        }
    }
    if !unknown.is_empty() {
        bail!(
            "the component imports {}, which this host does not provide (it provides the \
             mail-oauth:plugin imports and {})",
            unknown.join(", "),
            WASI_IMPORTS.join(", ")
        );
    }
    Ok(())
}

/// The resource table, for `wasi:io`.
struct HasTable;

impl HasData for HasTable {
    type Data<'a> = &'a mut ResourceTable;
}

/// Links [`WASI_IMPORTS`], and nothing else.
pub(crate) fn add_to_linker(l: &mut Linker<HostState>) -> anyhow::Result<()> {
    use wasmtime_wasi::p2::bindings::io as async_io;
    use wasmtime_wasi::p2::bindings::sync::io as sync_io;

    cli::environment::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::exit::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::stdin::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::stdout::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::stderr::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::terminal_input::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::terminal_output::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::terminal_stdin::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::terminal_stdout::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    cli::terminal_stderr::add_to_linker::<_, WasiCli>(l, |s| s.cli())?;
    clocks::monotonic_clock::add_to_linker::<_, WasiClocks>(l, |s| s.clocks())?;
    clocks::wall_clock::add_to_linker::<_, WasiClocks>(l, |s| s.clocks())?;
    random::random::add_to_linker::<_, WasiRandom>(l, |s| s.random())?;
    random::insecure_seed::add_to_linker::<_, WasiRandom>(l, |s| s.random())?;
    async_io::error::add_to_linker::<_, HasTable>(l, |s| &mut s.table)?;
    sync_io::streams::add_to_linker::<_, HasTable>(l, |s| &mut s.table)?;
    poll(l)
}

/// `wasi:io/poll` whose functions never wait (see the module docs).
fn poll(l: &mut Linker<HostState>) -> anyhow::Result<()> {
    let mut poll = l.instance(POLL)?;
    poll.resource(
        "pollable",
        ResourceType::host::<DynPollable>(),
        |mut store, rep| {
            store
                .data_mut()
                .table
                .delete(Resource::<DynPollable>::new_own(rep))?;
            Ok(())
        },
    )?;
    poll.func_wrap(
        "[method]pollable.ready",
        |_, (_,): (Resource<DynPollable>,)| Ok((true,)),
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |_, (_,): (Resource<DynPollable>,)| -> wasmtime::Result<()> {
            Err(wasmtime::Error::msg(
                "wasi:io/poll: this host does not let a component wait (pollable.block)",
            ))
        },
    )?;
    poll.func_wrap(
        "poll",
        |_, (_,): (Vec<Resource<DynPollable>>,)| -> wasmtime::Result<(Vec<u32>,)> {
            Err(wasmtime::Error::msg(
                "wasi:io/poll: this host does not let a component wait (poll)",
            ))
        },
    )?;
    Ok(())
}
