//! Builds the components with a cargo of its own (in `<target>/artifacts`,
//! so it never waits for the cargo that runs this script) and tells the
//! library where they are.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .parent()
        .and_then(Path::parent)
        .expect("tests/artifacts is two levels below the workspace root")
        .to_owned();
    let target_dir = artifacts_dir(&root);

    for path in [
        "guest/src",
        "guest/build.rs",
        "guest/Cargo.toml",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    println!("cargo:rerun-if-env-changed=WASM_OPT");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    cargo_build(
        &root,
        &target_dir,
        &["-p", "mail-oauth-guest", "--profile", "component"],
    );
    let built = target_dir
        .join(WASM_TARGET)
        .join("component/mail_oauth_guest.wasm");
    let shipped = target_dir.join("mail_oauth_guest.wasm");
    match mail_oauth_optimize::optimize_cached(&built, &shipped) {
        Ok(
            mail_oauth_optimize::Outcome::Optimized(_) | mail_oauth_optimize::Outcome::Unchanged,
        ) => {}
        Ok(mail_oauth_optimize::Outcome::Unoptimized(why)) => {
            println!("cargo:warning=component left unoptimized: {why}")
        }
        Err(e) => panic!("optimizing {}: {e}", built.display()),
    }
    println!(
        "cargo:rustc-env=MAIL_OAUTH_ARTIFACT_COMPONENT={}",
        shipped.display()
    );

    if env::var_os("CARGO_FEATURE_HOSTILE").is_some() {
        println!(
            "cargo:rerun-if-changed={}",
            root.join("tests/hostile").display()
        );
        cargo_build(
            &root,
            &target_dir,
            &["-p", "mail-oauth-hostile", "--release"],
        );
        let hostile = target_dir
            .join(WASM_TARGET)
            .join("release/mail_oauth_hostile.wasm");
        println!(
            "cargo:rustc-env=MAIL_OAUTH_ARTIFACT_HOSTILE={}",
            hostile.display()
        );
    }
}

/// `<target>/artifacts`, beside the outer build's profiles: `CARGO_TARGET_DIR`
/// when set, else the workspace's `target/`.
fn artifacts_dir(root: &Path) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"))
        .join("artifacts")
}

fn cargo_build(root: &Path, target_dir: &Path, args: &[&str]) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .arg("build")
        .arg("--locked")
        .args(["--target", WASM_TARGET])
        .arg("--target-dir")
        .arg(target_dir)
        .args(args);
    // What the outer cargo set for its own compilation (flags, clippy's
    // wrapper) must not leak into the component's build; its jobserver is
    // shared, so the two cargos together use no more cores than asked.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build the component: {e}"));
    if !status.success() {
        panic!(
            "building the component failed ({status}): `cargo build --target {WASM_TARGET} {}`; \
             is the target installed (`rustup target add {WASM_TARGET}`)?",
            args.join(" ")
        );
    }
}
