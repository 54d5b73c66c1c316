//! The component the CLI carries: its bytes and, compiled ahead of time for
//! this target by `build.rs`, its machine code, so that `mail-oauth` works
//! from any directory and its first run does not compile (about 200 ms).
//! `--component` (or `MAIL_OAUTH_COMPONENT`) loads another file instead.

use std::path::{Path, PathBuf};

use mail_oauth_runtime::{LoadOptions, Plugin};

use crate::failure::{Failure, failure};

/// The shipped component, as built by `mail-oauth-artifacts`.
static COMPONENT: &[u8] = include_bytes!(env!("MAIL_OAUTH_CLI_COMPONENT"));

/// The same component precompiled by `build.rs` for this target and
/// `EngineOptions::single_user()`; empty when the build could not
/// precompile (then the first run compiles and fills the cache).
static PRECOMPILED: &[u8] = include_bytes!(env!("MAIL_OAUTH_CLI_PRECOMPILED"));

/// Loads `path`, or the built-in component when `None`. A component that
/// must be compiled is cached in `cache_dir`.
pub(crate) fn load(path: Option<&Path>, cache_dir: PathBuf) -> Result<Plugin, Failure> {
    let options = LoadOptions {
        cache_dir: Some(cache_dir),
    };
    let plugin = match path {
        Some(path) => Plugin::load(path, &options).map_err(|e| {
            // One line naming the file: the load error's own text says why.
            failure(
                "component",
                format!("{}: not a usable mail-oauth component: {e}", path.display()),
            )
        })?,
        None if PRECOMPILED.is_empty() => Plugin::from_bytes(COMPONENT, &options)?,
        // Falls back to compiling (through the cache) when this machine's
        // CPU or wasmtime cannot run the embedded code.
        None => Plugin::from_precompiled(COMPONENT, PRECOMPILED, &options)?,
    };
    Ok(plugin)
}
