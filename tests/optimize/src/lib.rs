//! Post-link size optimisation of the built component: a build tool, not part
//! of the component.
//!
//! `cargo build --profile component` yields a component whose main core module
//! `wasm-opt -Oz` (Binaryen, Debian package `binaryen`) still shrinks by about a
//! fifth. `wasm-opt` reads core modules, not components, so [`optimize_component`]
//! takes the component apart with `wasmparser`, hands the main core module (the
//! largest one) to `wasm-opt`, and writes the component again with
//! `wasm-encoder`, every other section byte for byte, except the
//! `component-name` custom section (debug names only, dropped). The result is
//! validated before it is returned.
//!
//! Run it as `cargo run -p mail-oauth-optimize --bin optimize-component -- IN OUT`,
//! or call [`optimize_component`] (or [`optimize_cached`]) from a `build.rs`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmparser::{Parser, Payload, Validator, WasmFeatures};

/// The `wasm-opt` arguments: size first, and the features that rustc's
/// `wasm32-wasip2` target emits (the stripped module has no `target_features`
/// section for Binaryen to detect them from).
pub const WASM_OPT_ARGS: &[&str] = &[
    "-Oz",
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The custom section that only names the component's items for debuggers.
const COMPONENT_NAME: &str = "component-name";

/// The id of a component's core-module section.
const CORE_MODULE_SECTION: u8 = 1;

/// Why the component could not be optimised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptimizeError(pub String);

impl fmt::Display for OptimizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptimizeError {}

fn error(what: impl fmt::Display) -> OptimizeError {
    OptimizeError(what.to_string())
}

/// Sizes before and after, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// The whole component as built.
    pub component_before: usize,
    /// The whole component as written.
    pub component_after: usize,
    /// The main core module as built.
    pub module_before: usize,
    /// The main core module after `wasm-opt`.
    pub module_after: usize,
}

impl fmt::Display for Sizes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} bytes (core module {} -> {})",
            self.component_before, self.component_after, self.module_before, self.module_after
        )
    }
}

/// What [`optimize_cached`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `output` was written, optimised.
    Optimized(Sizes),
    /// `output` already held the optimised form of `input`: nothing written.
    Unchanged,
    /// `wasm-opt` could not be run (the reason given); `input` was copied to
    /// `output` as it is. The component works the same, only larger.
    Unoptimized(String),
}

/// One top-level section of a component: its id and where its contents are.
struct Section {
    id: u8,
    name: Option<String>,
    range: std::ops::Range<usize>,
}

/// The top-level sections of `component`, in order (nested modules and
/// components are one section each).
fn top_level_sections(component: &[u8]) -> Result<Vec<Section>, OptimizeError> {
    let mut sections = Vec::new();
    let mut depth = 0usize;
    let mut is_component = false;
    for payload in Parser::new(0).parse_all(component) {
        let payload = payload.map_err(|e| error(format!("not a valid component: {e}")))?;
        match &payload {
            Payload::Version { encoding, .. } if depth == 0 => {
                is_component = *encoding == wasmparser::Encoding::Component;
            }
            Payload::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            _ => {}
        }
        if depth == 1
            && let Some((id, range)) = payload.as_section()
        {
            let name = match &payload {
                Payload::CustomSection(reader) => Some(reader.name().to_owned()),
                _ => None,
            };
            let range = usize::try_from(range.start).map_err(error)?
                ..usize::try_from(range.end).map_err(error)?;
            sections.push(Section { id, name, range });
        }
        // The outer `Version` opens depth 1; nested modules and components open
        // one more level each, closed by their `End`.
        if matches!(payload, Payload::Version { .. }) {
            depth += 1;
        }
    }
    if !is_component {
        return Err(error("not a component (a core module?)"));
    }
    Ok(sections)
}

/// Replaces the largest top-level core module of `component` by
/// `optimize(module)` and drops the `component-name` section; every other
/// section is copied as it is. The result is validated.
pub fn splice(
    component: &[u8],
    optimize: impl FnOnce(&[u8]) -> Result<Vec<u8>, OptimizeError>,
) -> Result<(Vec<u8>, Sizes), OptimizeError> {
    validate(component).map_err(|e| error(format!("input: {}", e.0)))?;
    let sections = top_level_sections(component)?;
    let main = sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.id == CORE_MODULE_SECTION)
        .max_by_key(|(_, s)| s.range.len())
        .map(|(at, _)| at)
        .ok_or_else(|| error("the component has no core module"))?;
    let module = &component[sections[main].range.clone()];
    let optimized = optimize(module)?;

    let mut out = wasm_encoder::Component::new();
    for (at, section) in sections.iter().enumerate() {
        if section.name.as_deref() == Some(COMPONENT_NAME) {
            continue;
        }
        let data = if at == main {
            &optimized[..]
        } else {
            &component[section.range.clone()]
        };
        out.section(&wasm_encoder::RawSection {
            id: section.id,
            data,
        });
    }
    let out = out.finish();
    validate(&out).map_err(|e| error(format!("output: {}", e.0)))?;
    let sizes = Sizes {
        component_before: component.len(),
        component_after: out.len(),
        module_before: module.len(),
        module_after: optimized.len(),
    };
    Ok((out, sizes))
}

/// Validates a module or component with the default features (which include
/// the component model).
pub fn validate(bytes: &[u8]) -> Result<(), OptimizeError> {
    Validator::new_with_features(WasmFeatures::default())
        .validate_all(bytes)
        .map(drop)
        .map_err(|e| error(format!("invalid WebAssembly: {e}")))
}

/// Runs `program` (`wasm-opt`) with [`WASM_OPT_ARGS`] on a core module, through
/// two files in the system's temporary directory.
pub fn wasm_opt(program: &Path, module: &[u8]) -> Result<Vec<u8>, OptimizeError> {
    // Unique per process and per call: tests call this from parallel threads.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir();
    let stem = format!("mail-oauth-optimize-{}-{call}", std::process::id());
    let input = dir.join(format!("{stem}.in.wasm"));
    let output = dir.join(format!("{stem}.out.wasm"));
    let result = (|| {
        std::fs::write(&input, module).map_err(|e| error(format!("{}: {e}", input.display())))?;
        let status = Command::new(program)
            .args(WASM_OPT_ARGS)
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .status()
            .map_err(|e| {
                error(format!(
                    "cannot run {} ({e}): install Binaryen (Debian: apt-get install binaryen) \
                     or set WASM_OPT",
                    program.display()
                ))
            })?;
        if !status.success() {
            return Err(error(format!("{} failed: {status}", program.display())));
        }
        std::fs::read(&output).map_err(|e| error(format!("{}: {e}", output.display())))
    })();
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    result
}

/// The `wasm-opt` to run: `$WASM_OPT`, else `wasm-opt` from the `PATH`.
pub fn wasm_opt_program() -> PathBuf {
    std::env::var_os("WASM_OPT").map_or_else(|| PathBuf::from("wasm-opt"), PathBuf::from)
}

/// Reads the component at `input`, optimises its main core module with
/// `wasm-opt`, and writes the result to `output` (which may be `input`).
pub fn optimize_component(input: &Path, output: &Path) -> Result<Sizes, OptimizeError> {
    let component = std::fs::read(input).map_err(|e| error(format!("{}: {e}", input.display())))?;
    let program = wasm_opt_program();
    let (out, sizes) = splice(&component, |module| wasm_opt(&program, module))?;
    std::fs::write(output, out).map_err(|e| error(format!("{}: {e}", output.display())))?;
    Ok(sizes)
}

/// [`optimize_component`] for a build script that runs again and again: skips
/// the work when `output` is already the optimised form of `input` (a stamp
/// file `<output>.optimized` records the SHA-256 of both), and copies `input`
/// unoptimised when `wasm-opt` cannot be run rather than failing the build.
/// `output` may be `input`.
pub fn optimize_cached(input: &Path, output: &Path) -> Result<Outcome, OptimizeError> {
    let read =
        |path: &Path| std::fs::read(path).map_err(|e| error(format!("{}: {e}", path.display())));
    // Written aside and renamed into place: two build scripts (the CLI's and
    // the tests') may optimize at once, and neither may see half a file.
    let write = |path: &Path, bytes: &[u8]| {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                error(format!("{}: {e}", path.display()))
            })
    };
    let mut stamp = output.as_os_str().to_owned();
    stamp.push(".optimized");
    let stamp = PathBuf::from(stamp);
    let component = read(input)?;
    let input_hash = sha256_hex(&component);
    if let (Ok(recorded), Ok(current)) = (std::fs::read_to_string(&stamp), std::fs::read(output)) {
        let output_hash = sha256_hex(&current);
        // In place, the input is the optimised file itself on the second run.
        if recorded
            .split_whitespace()
            .eq([input_hash.as_str(), output_hash.as_str()])
            || (input_hash == output_hash
                && recorded.split_whitespace().nth(1) == Some(output_hash.as_str()))
        {
            return Ok(Outcome::Unchanged);
        }
    }
    let program = wasm_opt_program();
    if let Err(e) = Command::new(&program).arg("--version").output() {
        // A stale stamp would otherwise vouch for this unoptimised copy.
        let _ = std::fs::remove_file(&stamp);
        write(output, &component)?;
        return Ok(Outcome::Unoptimized(format!(
            "cannot run {} ({e}): install Binaryen (Debian: apt-get install binaryen) or set WASM_OPT",
            program.display()
        )));
    }
    let (out, sizes) = splice(&component, |module| wasm_opt(&program, module))?;
    write(output, &out)?;
    write(
        &stamp,
        format!("{input_hash} {}\n", sha256_hex(&out)).as_bytes(),
    )?;
    Ok(Outcome::Optimized(sizes))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, Component, CustomSection, ExportKind, ExportSection, Function,
        FunctionSection, Instruction, Module, ModuleSection, TypeSection, ValType,
    };

    /// A core module exporting `f: () -> i32` that returns `value`, padded with
    /// `nops` no-ops (which `wasm-opt` removes).
    fn module(value: i32, nops: usize) -> Module {
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I32]);
        let mut functions = FunctionSection::new();
        functions.function(0);
        let mut exports = ExportSection::new();
        exports.export("f", ExportKind::Func, 0);
        let mut body = Function::new([]);
        for _ in 0..nops {
            body.instruction(&Instruction::Nop);
        }
        body.instruction(&Instruction::I32Const(value));
        body.instruction(&Instruction::End);
        let mut code = CodeSection::new();
        code.function(&body);
        let mut module = Module::new();
        module
            .section(&types)
            .section(&functions)
            .section(&exports)
            .section(&code);
        module
    }

    /// A component holding a small and a large core module and two custom
    /// sections, one of them `component-name`.
    fn component() -> Vec<u8> {
        let mut component = Component::new();
        component.section(&CustomSection {
            name: "keep-me".into(),
            data: b"kept".into(),
        });
        component.section(&ModuleSection(&module(1, 0)));
        component.section(&ModuleSection(&module(2, 100)));
        component.section(&CustomSection {
            name: COMPONENT_NAME.into(),
            data: b"\0".into(),
        });
        component.finish()
    }

    fn modules(component: &[u8]) -> Vec<Vec<u8>> {
        top_level_sections(component)
            .unwrap()
            .into_iter()
            .filter(|s| s.id == CORE_MODULE_SECTION)
            .map(|s| component[s.range].to_vec())
            .collect()
    }

    #[test]
    fn splice_replaces_only_the_largest_module_and_drops_component_names() {
        let input = component();
        let small = module(1, 0).finish();
        let large = module(2, 100).finish();
        let replacement = module(3, 0).finish();
        let mut seen = Vec::new();
        let (out, sizes) = splice(&input, |m| {
            seen = m.to_vec();
            Ok(replacement.clone())
        })
        .unwrap();
        assert_eq!(seen, large);
        assert_eq!(modules(&out), vec![small, replacement.clone()]);
        let names: Vec<_> = top_level_sections(&out)
            .unwrap()
            .into_iter()
            .filter_map(|s| s.name)
            .collect();
        assert_eq!(names, ["keep-me"]);
        assert_eq!(sizes.component_before, input.len());
        assert_eq!(sizes.component_after, out.len());
        assert_eq!(sizes.module_before, large.len());
        assert_eq!(sizes.module_after, replacement.len());
        assert!(out.len() < input.len());
    }

    #[test]
    fn splice_refuses_an_invalid_replacement() {
        let err = splice(&component(), |_| Ok(b"\0asm junk".to_vec())).unwrap_err();
        assert!(err.0.starts_with("output: invalid WebAssembly"), "{err}");
    }

    #[test]
    fn splice_refuses_a_core_module_as_input() {
        let err = splice(&module(1, 0).finish(), |m| Ok(m.to_vec())).unwrap_err();
        assert_eq!(err.0, "not a component (a core module?)");
    }

    #[test]
    fn splice_refuses_a_component_without_modules() {
        let err = splice(&Component::new().finish(), |m| Ok(m.to_vec())).unwrap_err();
        assert_eq!(err.0, "the component has no core module");
    }

    #[test]
    fn splice_passes_the_optimizer_error_on() {
        let err = splice(&component(), |_| Err(error("boom"))).unwrap_err();
        assert_eq!(err.0, "boom");
    }

    #[test]
    fn wasm_opt_reports_a_missing_program() {
        let err = wasm_opt(Path::new("/nonexistent/wasm-opt"), &module(1, 0).finish()).unwrap_err();
        assert!(err.0.contains("apt-get install binaryen"), "{err}");
    }

    /// With Binaryen installed, the real optimiser shrinks the padded module and
    /// the spliced component stays valid; skipped (passing) without it.
    #[test]
    fn wasm_opt_shrinks_a_component_when_installed() {
        let program = wasm_opt_program();
        if Command::new(&program).arg("--version").output().is_err() {
            eprintln!("skipped: {} not found", program.display());
            return;
        }
        let input = component();
        let (out, sizes) = splice(&input, |m| wasm_opt(&program, m)).unwrap();
        assert!(sizes.module_after < sizes.module_before, "{sizes:?}");
        assert_eq!(modules(&out).len(), 2);
        validate(&out).unwrap();
    }

    /// With Binaryen installed, a second call finds the stamp and writes
    /// nothing, also in place; skipped (passing) without it.
    #[test]
    fn optimize_cached_skips_what_it_already_optimized() {
        if Command::new(wasm_opt_program())
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("skipped: wasm-opt not found");
            return;
        }
        let dir =
            std::env::temp_dir().join(format!("mail-oauth-optimize-cached-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("in.wasm");
        let output = dir.join("out.wasm");
        std::fs::write(&input, component()).unwrap();
        assert!(matches!(
            optimize_cached(&input, &output).unwrap(),
            Outcome::Optimized(_)
        ));
        assert_eq!(
            optimize_cached(&input, &output).unwrap(),
            Outcome::Unchanged
        );
        assert!(matches!(
            optimize_cached(&input, &input).unwrap(),
            Outcome::Optimized(_)
        ));
        assert_eq!(optimize_cached(&input, &input).unwrap(), Outcome::Unchanged);
        validate(&std::fs::read(&input).unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
