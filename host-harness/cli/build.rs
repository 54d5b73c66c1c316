//! Embeds the shipped component (built by `mail-oauth-artifacts`) and its
//! machine code for the target, compiled here by the same runtime and engine
//! settings the CLI loads it with, so that the first run does not compile.
//!
//! `MAIL_OAUTH_PRECOMPILE=0` skips the precompilation (the first run then
//! compiles and caches, as with `--component`).

use std::env;
use std::path::PathBuf;

use mail_oauth_runtime::EngineOptions;

fn main() {
    let component = mail_oauth_artifacts::COMPONENT;
    println!("cargo:rerun-if-changed={component}");
    println!("cargo:rerun-if-env-changed=MAIL_OAUTH_PRECOMPILE");
    println!("cargo:rustc-env=MAIL_OAUTH_CLI_COMPONENT={component}");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let precompiled = out.join("mail_oauth_guest.cwasm");
    let target = env::var("TARGET").expect("set by cargo");
    let host = env::var("HOST").expect("set by cargo");
    let bytes = if env::var("MAIL_OAUTH_PRECOMPILE").is_ok_and(|v| v == "0") {
        Vec::new()
    } else {
        // Natively, for this machine's CPU features; cross, for the target's
        // baseline. Either way the CLI checks at load time and compiles when
        // the code does not fit the machine it runs on.
        let triple = (target != host).then_some(target.as_str());
        match mail_oauth_runtime::engine::precompile(
            &EngineOptions::single_user(),
            mail_oauth_artifacts::COMPONENT_BYTES,
            triple,
        ) {
            Ok(bytes) => bytes,
            Err(e) => {
                println!(
                    "cargo:warning=cannot precompile the component for {target}: {e:#}; the first run will compile it"
                );
                Vec::new()
            }
        }
    };
    std::fs::write(&precompiled, bytes).expect("write the precompiled component");
    println!(
        "cargo:rustc-env=MAIL_OAUTH_CLI_PRECOMPILED={}",
        precompiled.display()
    );
}
