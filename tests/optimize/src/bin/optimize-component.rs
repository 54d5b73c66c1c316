//! `optimize-component IN OUT`: runs `wasm-opt -Oz` on the main core module of
//! the built component IN and writes the result to OUT (see
//! `mail_oauth_optimize`). Needs Binaryen's `wasm-opt` on the `PATH` (or
//! `WASM_OPT`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: optimize-component IN.wasm OUT.wasm");
        return ExitCode::from(2);
    };
    match mail_oauth_optimize::optimize_component(input, output) {
        Ok(sizes) => {
            println!("{}: {sizes}", output.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("optimize-component: {e}");
            ExitCode::FAILURE
        }
    }
}
