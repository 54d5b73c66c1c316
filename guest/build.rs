//! Link settings of the component.

fn main() {
    // A 128 KiB shadow stack instead of rustc's 1 MiB default. The stack sits
    // at the start of linear memory and grows down, so with 1 MiB a call
    // touches pages near the 1 MiB mark, far from the start of memory that a
    // pooled host keeps resident between instances
    // (`PoolingOptions::keep_resident`); with 128 KiB the stack and the first
    // heap pages fall inside it. The deepest path, serde visiting a nested
    // JSON document up to serde_json's recursion limit of 128, needs far
    // less; an overflow would trap, never corrupt memory.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=131072");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
