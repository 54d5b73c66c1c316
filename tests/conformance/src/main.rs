//! The Rust host's conformance runner (`../shared/conformance/FORMAT.md`).
//!
//! Feeds a vector file through the component by WIT name, with wasmtime's
//! dynamic component API: each vector gets a fresh store and instance, its
//! arguments are converted from JSON with the export's parameter types, and
//! the result, converted back, must match the vector's pattern. `http` is
//! answered from the vector's script and `transport` refuses every
//! connection; with `--live`, only live vectors run, through the runtime's
//! real clients under the `--allow` egress policy.
//!
//! ```text
//! mail-oauth-conformance [--live] [--allow TARGET]... [--allow-loopback]
//!     [--ca-file PEM] --component WASM VECTORS.json
//! ```
//!
//! Prints one JSON line per vector and `N passed, M failed, K skipped`;
//! exits 0 exactly when no vector failed, 2 on a usage or load error.
//!
//! `mail-oauth-conformance --describe --component WASM` prints instead the
//! WIT types of every function the component imports and exports, as one JSON
//! object keyed `"interface.function"` (see [`Ty::describe`]): what the other
//! hosts' runners and kits use to convert JSON to typed values.

mod imports;
mod live;
mod pattern;
mod script;
mod value;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value as Json;
use wasmtime::component::{Component, InstancePre, Linker, Val};
use wasmtime::{Cache, CacheConfig, Config, Engine, Store};

use crate::imports::{HostState, Io};
use crate::script::Script;
use crate::value::{Ty, from_val, to_val};

/// How long one vector may run (in ticks of [`TICK`], 60 s): a looping
/// component fails its vector instead of hanging the run. Time in host calls
/// counts too; live ones have their own, shorter timeouts (30 s for one HTTP
/// exchange).
const DEADLINE_TICKS: u64 = 600;
/// The epoch tick.
const TICK: Duration = Duration::from_millis(100);

const USAGE: &str = "usage: mail-oauth-conformance [--live] [--allow TARGET]... [--allow-loopback] \
                     [--ca-file PEM] --component WASM VECTORS.json\n       \
                     mail-oauth-conformance --describe --component WASM";

/// The command line.
#[derive(Debug, Default, PartialEq)]
struct Args {
    describe: bool,
    live: bool,
    allow: Vec<String>,
    allow_loopback: bool,
    ca_file: Option<PathBuf>,
    component: PathBuf,
    vectors: PathBuf,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let mut parsed = Args::default();
        let (mut component, mut vectors) = (None, None);
        while let Some(arg) = args.next() {
            let mut value =
                |flag: &str| args.next().with_context(|| format!("{flag} needs a value"));
            match arg.as_str() {
                "--describe" => parsed.describe = true,
                "--live" => parsed.live = true,
                "--allow" => parsed.allow.push(value("--allow")?),
                "--allow-loopback" => parsed.allow_loopback = true,
                "--ca-file" => parsed.ca_file = Some(value("--ca-file")?.into()),
                "--component" => component = Some(PathBuf::from(value("--component")?)),
                flag if flag.starts_with("--") => bail!("unknown option {flag}"),
                file if vectors.is_none() => vectors = Some(PathBuf::from(file)),
                extra => bail!("unexpected argument {extra}"),
            }
        }
        parsed.component = component.context("--component WASM is required")?;
        match vectors {
            Some(vectors) if !parsed.describe => parsed.vectors = vectors,
            None if parsed.describe => {}
            Some(_) => bail!("--describe takes no vector file"),
            None => bail!("the vector file is required"),
        }
        Ok(parsed)
    }
}

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("mail-oauth-conformance: {e:#}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.describe {
        return match describe(&args.component) {
            Ok(types) => {
                println!("{types:#}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("mail-oauth-conformance: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    match run(&args) {
        Ok(tally) => {
            println!(
                "{} passed, {} failed, {} skipped",
                tally.passed, tally.failed, tally.skipped
            );
            if tally.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("mail-oauth-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The WIT types of the component's imported and exported functions, keyed
/// `"interface.function"` (the interface's short name, as in vectors).
fn describe(component: &std::path::Path) -> anyhow::Result<Json> {
    use wasmtime::component::types::ComponentItem;
    let engine = Engine::default();
    let component = Component::from_file(&engine, component)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot load the component {}", component.display()))?;
    let ty = component.component_type();
    let mut out = serde_json::Map::new();
    let items = ty
        .imports(&engine)
        .map(|item| ("import", item))
        .chain(ty.exports(&engine).map(|item| ("export", item)));
    for (direction, (name, item)) in items {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        // `mail-oauth:plugin/oauth@0.2.0` → `oauth`; WASI's are left out.
        let Some(short) = name
            .strip_prefix("mail-oauth:plugin/")
            .and_then(|rest| rest.split('@').next())
        else {
            continue;
        };
        for (function, item) in instance.exports(&engine) {
            let ComponentItem::ComponentFunc(func) = item.ty else {
                continue;
            };
            let params: Vec<Json> = func
                .params()
                .map(|(name, t)| serde_json::json!([name, Ty::from(&t).describe()]))
                .collect();
            let result = func
                .results()
                .next()
                .map_or(Json::Null, |t| Ty::from(&t).describe());
            out.insert(
                format!("{short}.{function}"),
                serde_json::json!({ "direction": direction, "params": params, "result": result }),
            );
        }
    }
    Ok(Json::Object(out))
}

#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
}

fn run(args: &Args) -> anyhow::Result<Tally> {
    let text = std::fs::read_to_string(&args.vectors)
        .with_context(|| format!("cannot read {}", args.vectors.display()))?;
    let file: Json = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.vectors.display()))?;
    let vectors = file
        .get("vectors")
        .and_then(Json::as_array)
        .with_context(|| {
            format!(
                r#"{}: expected {{"vectors": [...]}}"#,
                args.vectors.display()
            )
        })?;

    let runner = Runner::new(args)?;
    let mut tally = Tally::default();
    let mut names = HashSet::new();
    for (i, vector) in vectors.iter().enumerate() {
        let name = vector
            .get("name")
            .and_then(Json::as_str)
            .map_or_else(|| format!("vectors[{i}]"), str::to_owned);
        let outcome = if names.insert(name.clone()) {
            runner.run(vector)
        } else {
            Outcome::fail("another vector has this name".to_owned(), None)
        };
        match outcome.status {
            Status::Pass => tally.passed += 1,
            Status::Fail => tally.failed += 1,
            Status::Skip => tally.skipped += 1,
        }
        println!("{}", outcome.line(&name));
    }
    Ok(tally)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pass,
    Fail,
    Skip,
}

/// What one vector came to.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: Status,
    why: String,
    /// The value the call returned (printed on failure only: in a live run
    /// it came from a real server).
    actual: Option<Json>,
}

impl Outcome {
    fn pass() -> Self {
        Self {
            status: Status::Pass,
            why: "the result matches".to_owned(),
            actual: None,
        }
    }

    fn skip(why: &str) -> Self {
        Self {
            status: Status::Skip,
            why: why.to_owned(),
            actual: None,
        }
    }

    fn fail(why: String, actual: Option<Json>) -> Self {
        Self {
            status: Status::Fail,
            why,
            actual,
        }
    }

    /// The output line: `{"name", "status", "why"}`, plus `"actual"` on a
    /// failure.
    fn line(&self, name: &str) -> String {
        let status = match self.status {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
        };
        let mut line = format!(
            r#"{{"name":{},"status":"{status}","why":{}"#,
            Json::from(name),
            Json::from(self.why.as_str())
        );
        if self.status == Status::Fail {
            let actual = self.actual.clone().unwrap_or(Json::Null);
            line.push_str(&format!(r#","actual":{actual}"#));
        }
        line.push('}');
        line
    }
}

/// A vector as read from the file.
#[derive(Debug)]
struct Vector<'a> {
    interface: &'a str,
    function: &'a str,
    args: &'a [Json],
    expect: &'a Json,
    http: Option<&'a Json>,
    live: bool,
}

impl<'a> Vector<'a> {
    fn parse(json: &'a Json) -> Result<Self, String> {
        let object = json.as_object().ok_or("a vector is an object")?;
        const KEYS: &[&str] = &["name", "call", "args", "expect", "http", "live"];
        if let Some(key) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!("unknown key `{key}` in the vector"));
        }
        let get = |k: &str| {
            object
                .get(k)
                .ok_or_else(|| format!("the vector has no `{k}`"))
        };
        get("name")?.as_str().ok_or("`name` must be a string")?;
        let call = get("call")?.as_str().ok_or("`call` must be a string")?;
        let (interface, function) = call
            .split_once('.')
            .ok_or(r#"`call` must be "<interface>.<function>""#)?;
        let args = get("args")?.as_array().ok_or("`args` must be an array")?;
        let live = match object.get("live") {
            None => false,
            Some(Json::Bool(live)) => *live,
            Some(_) => return Err("`live` must be a boolean".to_owned()),
        };
        if live && object.contains_key("http") {
            return Err("a live vector has no `http` script: its HTTP is real".to_owned());
        }
        Ok(Self {
            interface,
            function,
            args,
            expect: get("expect")?,
            http: object.get("http"),
            live,
        })
    }
}

/// The compiled component and its linked imports, shared by every vector.
struct Runner {
    engine: Engine,
    pre: InstancePre<HostState>,
    /// The real clients, with `--live`.
    clients: Option<Arc<live::Live>>,
}

impl Runner {
    fn new(args: &Args) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        // Compiling the component takes longer than running every vector
        // (seconds, with a debug build of Cranelift): keep the compiled code
        // beside the runner, keyed by the component's bytes.
        if let Some(dir) = cache_dir() {
            let mut cache = CacheConfig::new();
            cache.with_directory(dir);
            config.cache(Some(Cache::new(cache)?));
        }
        // Bounds each vector's run: see DEADLINE_TICKS.
        config.epoch_interruption(true);
        let engine = Engine::new(&config)?;
        let component = Component::from_file(&engine, &args.component)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot load the component {}", args.component.display()))?;
        let mut linker = Linker::new(&engine);
        imports::add_to_linker(&mut linker)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component's imports are not what this runner provides")?;

        let ticker = engine.weak();
        std::thread::spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        });

        let clients = if args.live {
            Some(Arc::new(live::Live::new(&live::LiveOptions {
                allow: &args.allow,
                allow_loopback: args.allow_loopback,
                ca_file: args.ca_file.as_deref(),
            })?))
        } else {
            None
        };
        Ok(Self {
            engine,
            pre,
            clients,
        })
    }

    fn run(&self, json: &Json) -> Outcome {
        let vector = match Vector::parse(json) {
            Ok(vector) => vector,
            Err(why) => return Outcome::fail(format!("invalid vector: {why}"), None),
        };
        match (vector.live, self.clients.is_some()) {
            (true, false) => return Outcome::skip("a live vector: runs only with --live"),
            (false, true) => return Outcome::skip("not a live vector (--live runs only those)"),
            _ => {}
        }
        let io = match self.io(&vector) {
            Ok(io) => io,
            Err(why) => return Outcome::fail(format!("invalid vector: {why}"), None),
        };
        let mut store = Store::new(&self.engine, HostState::new(io));
        store.set_epoch_deadline(DEADLINE_TICKS);
        let returned = match self.call(&mut store, &vector) {
            Err(Failure::Vector(why)) => {
                return Outcome::fail(format!("invalid vector: {why}"), None);
            }
            Err(Failure::Call(why)) => Err(why),
            Ok(actual) => Ok(actual),
        };

        let mut failures =
            match std::mem::replace(&mut store.data_mut().io, Io::Scripted(Script::default())) {
                Io::Scripted(script) => script.finish(),
                Io::Live(_) => Vec::new(),
            };
        let actual = match returned {
            Ok(actual) => {
                if let Err(why) = pattern::check(vector.expect, &actual) {
                    failures.push(format!(
                        "the result does not match: {}",
                        why.replacen('$', "result", 1)
                    ));
                }
                Some(actual)
            }
            Err(why) => {
                failures.push(why);
                None
            }
        };
        if failures.is_empty() {
            Outcome::pass()
        } else {
            Outcome::fail(failures.join("; "), actual)
        }
    }

    fn io(&self, vector: &Vector<'_>) -> Result<Io, String> {
        if let Some(clients) = &self.clients {
            return Ok(Io::Live(clients.clone()));
        }
        Ok(Io::Scripted(Script::new(script::parse(vector.http)?)))
    }

    /// Calls the vector's function: its result as JSON, or why there is none.
    fn call(&self, store: &mut Store<HostState>, vector: &Vector<'_>) -> Result<Json, Failure> {
        let instance = self.pre.instantiate(&mut *store).map_err(|e| {
            Failure::Call(format!(
                "cannot instantiate the component: {}",
                one_line(&e)
            ))
        })?;
        let interface = imports::instance_name(vector.interface);
        let func = instance
            .get_export_index(&mut *store, None, &interface)
            .ok_or_else(|| format!("the component exports no {interface}"))
            .and_then(|index| {
                instance
                    .get_export_index(&mut *store, Some(&index), vector.function)
                    .ok_or_else(|| format!("{interface} has no `{}`", vector.function))
            })
            .and_then(|index| {
                instance
                    .get_func(&mut *store, index)
                    .ok_or_else(|| format!("{interface}'s `{}` is not a function", vector.function))
            })
            .map_err(Failure::Call)?;

        let ty = func.ty(&*store);
        let params: Vec<(String, Ty)> = ty
            .params()
            .map(|(name, t)| (name.to_owned(), Ty::from(&t)))
            .collect();
        if params.len() != vector.args.len() {
            let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Failure::Vector(format!(
                "`{}.{}` takes {} arguments ({}), got {}",
                vector.interface,
                vector.function,
                params.len(),
                names.join(", "),
                vector.args.len()
            )));
        }
        let args = params
            .iter()
            .zip(vector.args)
            .enumerate()
            .map(|(i, ((name, t), arg))| to_val(arg, t, &format!("args[{i}] ({name})")))
            .collect::<Result<Vec<Val>, _>>()
            .map_err(|misfit| Failure::Vector(misfit.to_string()))?;
        let mut results = vec![Val::Bool(false); ty.results().len()];
        func.call(&mut *store, &args, &mut results)
            .map_err(|e| Failure::Call(format!("the call trapped: {}", one_line(&e))))?;
        match results.as_slice() {
            [] => Ok(Json::Null),
            [result] => from_val(result)
                .map_err(|e| Failure::Call(format!("the result has no JSON form: {e}"))),
            _ => Err(Failure::Call(
                "the function returns several results".to_owned(),
            )),
        }
    }
}

/// Why a vector's call gave no result.
#[derive(Debug)]
enum Failure {
    /// The vector cannot be called as written (its arguments do not fit the
    /// function): nothing ran.
    Vector(String),
    /// The component is missing the export, trapped, or returned what JSON
    /// cannot carry.
    Call(String),
}

/// `conformance-cache` beside the runner's executable (in cargo's target
/// directory).
fn cache_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join("conformance-cache"))
}

/// An error and its causes on one line (wasmtime's backtraces span many).
fn one_line(e: &wasmtime::Error) -> String {
    const MAX: usize = 600;
    let text = format!("{e:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() > MAX {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(list: &[&str]) -> anyhow::Result<Args> {
        Args::parse(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn the_command_line_takes_every_flag_of_format_md() {
        let parsed = args(&[
            "--live",
            "--allow",
            "http://127.0.0.1:10090",
            "--allow",
            "127.0.0.1:10143",
            "--allow-loopback",
            "--ca-file",
            "ca.pem",
            "--component",
            "c.wasm",
            "v.json",
        ])
        .unwrap();
        assert_eq!(
            parsed,
            Args {
                describe: false,
                live: true,
                allow: vec!["http://127.0.0.1:10090".into(), "127.0.0.1:10143".into()],
                allow_loopback: true,
                ca_file: Some("ca.pem".into()),
                component: "c.wasm".into(),
                vectors: "v.json".into(),
            }
        );
        assert!(args(&["v.json"]).is_err());
        assert!(args(&["--component", "c.wasm"]).is_err());
        assert!(args(&["--component"]).is_err());
        assert!(args(&["--component", "c", "v", "w"]).is_err());
        assert!(args(&["--frobnicate", "--component", "c", "v"]).is_err());
        assert!(args(&["--describe", "--component", "c"]).unwrap().describe);
        assert!(args(&["--describe", "--component", "c", "v.json"]).is_err());
    }

    #[test]
    fn output_lines_carry_actual_only_on_failure() {
        assert_eq!(
            Outcome::pass().line("a \"b\""),
            r#"{"name":"a \"b\"","status":"pass","why":"the result matches"}"#
        );
        assert_eq!(
            Outcome::fail("no".into(), Some(json!({"ok": 1}))).line("v"),
            r#"{"name":"v","status":"fail","why":"no","actual":{"ok":1}}"#
        );
        assert_eq!(
            Outcome::fail("trap".into(), None).line("v"),
            r#"{"name":"v","status":"fail","why":"trap","actual":null}"#
        );
        assert_eq!(
            Outcome::skip("live").line("v"),
            r#"{"name":"v","status":"skip","why":"live"}"#
        );
    }

    #[test]
    fn vectors_are_checked_before_anything_runs() {
        let ok = json!({"name": "n", "call": "sasl.xoauth2", "args": [], "expect": null});
        let v = Vector::parse(&ok).unwrap();
        assert_eq!(
            (v.interface, v.function, v.live),
            ("sasl", "xoauth2", false)
        );
        let err = |j: Json| Vector::parse(&j).unwrap_err();
        assert_eq!(
            err(json!({"name": "n", "call": "x", "args": [], "expect": null})),
            r#"`call` must be "<interface>.<function>""#
        );
        assert_eq!(
            err(json!({"name": "n", "call": "a.b", "args": [], "expected": null})),
            "unknown key `expected` in the vector"
        );
        assert_eq!(
            err(json!({"name": "n", "call": "a.b", "args": []})),
            "the vector has no `expect`"
        );
        assert_eq!(
            err(
                json!({"name": "n", "call": "a.b", "args": [], "expect": 1, "live": true, "http": []})
            ),
            "a live vector has no `http` script: its HTTP is real"
        );
    }

    /// The project's vector file: every vector well formed, names unique,
    /// and every function the world exports called by at least one.
    #[test]
    fn the_project_vectors_cover_every_exported_function() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let file: Json = serde_json::from_str(
            &std::fs::read_to_string(format!("{root}/tests/conformance/vectors.json")).unwrap(),
        )
        .unwrap();
        let vectors = file["vectors"].as_array().unwrap();
        let mut names = HashSet::new();
        let mut calls = HashSet::new();
        for json in vectors {
            let vector = Vector::parse(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            script::parse(vector.http).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert!(
                names.insert(json["name"].as_str().unwrap()),
                "duplicate {json}"
            );
            calls.insert(format!("{}.{}", vector.interface, vector.function));
        }
        let wit = std::fs::read_to_string(format!("{root}/wit/plugin.wit")).unwrap();
        let func = regex::Regex::new(r"(?m)^    ([a-z][a-z0-9-]*): func").unwrap();
        for interface in ["oauth", "sasl", "mail"] {
            let start = wit.find(&format!("\ninterface {interface} {{")).unwrap();
            let body = &wit[start..start + wit[start..].find("\n}\n").unwrap()];
            let functions: Vec<_> = func.captures_iter(body).map(|c| c[1].to_owned()).collect();
            assert!(!functions.is_empty(), "no function found in {interface}");
            for function in functions {
                let call = format!("{interface}.{function}");
                assert!(calls.contains(&call), "no vector calls {call}");
            }
        }
    }
}
