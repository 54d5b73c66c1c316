//! `optimize-component IN OUT`: runs `wasm-opt -Oz` on the main core module of
//! the built component IN and writes the result to OUT (see
//! `mail_oauth_guest::optimize`). Needs Binaryen's `wasm-opt` on the `PATH` (or
//! `WASM_OPT`). A native tool: on `wasm32` it only says so.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use std::path::PathBuf;
    use std::process::ExitCode;

    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: optimize-component IN.wasm OUT.wasm");
        return ExitCode::from(2);
    };
    match mail_oauth_guest::optimize::optimize_component(input, output) {
        Ok(s) => {
            println!(
                "{}: {} -> {} bytes (core module {} -> {})",
                output.display(),
                s.component_before,
                s.component_after,
                s.module_before,
                s.module_after
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("optimize-component: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    eprintln!("optimize-component is a native tool: build it for the host");
}
