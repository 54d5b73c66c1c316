//! The built WebAssembly components, for the CLI to embed and the tests to
//! load (wasmtime's `crates/test-programs/artifacts` is the model).
//!
//! `build.rs` builds them with a cargo of its own into
//! `<target>/artifacts/`: the shipped component with `--profile component`
//! for `wasm32-wasip2`, then Binaryen's `wasm-opt -Oz` on its main core
//! module (`tests/optimize`), exactly as `tests/build-component.sh` ships it.
//! So a plain `cargo test` or `cargo build` works from a clean checkout.

/// The shipped component's path (optimized when `wasm-opt` was available).
pub const COMPONENT: &str = env!("MAIL_OAUTH_ARTIFACT_COMPONENT");

/// The shipped component's bytes, embedded at build time.
pub static COMPONENT_BYTES: &[u8] = include_bytes!(env!("MAIL_OAUTH_ARTIFACT_COMPONENT"));

/// The hostile test component's path (`tests/hostile`, release build): it
/// exhausts memory, loops and floods the imports on command.
#[cfg(feature = "hostile")]
pub const HOSTILE: &str = env!("MAIL_OAUTH_ARTIFACT_HOSTILE");
