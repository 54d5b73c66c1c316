//! wasmtime's C API as one shared library, `libmail_oauth_wasmtime_capi.so`,
//! loaded by the PHP host kit (`examples/php`) through PHP's FFI.
//!
//! Nothing of its own: with the `capi` feature, every `wasm_*`/`wasmtime_*`
//! symbol comes from the `wasmtime-c-api-impl` crate, pinned to the Rust
//! host's wasmtime. The headers the kit declares its functions from ship in
//! that crate. Without the feature (the workspace's own builds) the library
//! is empty.

#[cfg(feature = "capi")]
pub use wasmtime_c_api::*;
