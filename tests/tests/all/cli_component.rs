//! The CLI carries its component: without `--component` it runs from any
//! directory, and its first run loads the machine code built into it
//! (nothing is compiled into the cache); `--component` still overrides it.

use std::path::Path;
use std::process::Command;

use crate::common::{TempStore, cli_path, component_path, run};

fn providers(cwd: &Path, store: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(cli_path());
    cmd.current_dir(cwd)
        .arg("--store")
        .arg(store)
        .arg("--cache-dir")
        .arg(cache)
        .env_remove("MAIL_OAUTH_COMPONENT");
    cmd
}

fn files_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn runs_anywhere_with_the_embedded_component_and_compiles_nothing() {
    let tmp = TempStore::new("cli-embedded");
    let cwd = tmp.dir.join("elsewhere");
    std::fs::create_dir_all(&cwd).unwrap();
    let cache = tmp.dir.join("cache");
    let (out, stdout, stderr) =
        run(providers(&cwd, &tmp.dir.join("store"), &cache).args(["--json", "providers"]));
    assert!(out.status.success(), "{stderr}");
    let list: serde_json::Value = serde_json::from_str(stdout.trim()).expect("a JSON list");
    let ids: Vec<&str> = list
        .as_array()
        .expect("a list of providers")
        .iter()
        .map(|p| p["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(
        ids,
        [
            "google",
            "microsoft",
            "yahoo",
            "aol",
            "fastmail",
            "yandex",
            "mail-ru",
            "comcast",
            "seznam"
        ],
        "{stdout}"
    );
    assert_eq!(
        files_in(&cache),
        Vec::<String>::new(),
        "the first run compiled the component instead of loading the embedded code"
    );
}

#[test]
fn the_component_option_overrides_the_embedded_component() {
    let tmp = TempStore::new("cli-override");
    let store = tmp.dir.join("store");
    let cache = tmp.dir.join("cache");
    let missing = tmp.dir.join("no-such-component.wasm");
    let (out, _, stderr) = run(providers(&tmp.dir, &store, &cache)
        .arg("--component")
        .arg(&missing)
        .arg("providers"));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no-such-component.wasm"),
        "the error names the file: {stderr}"
    );

    let (out, _, stderr) = run(providers(&tmp.dir, &store, &cache)
        .arg("--component")
        .arg(component_path())
        .arg("providers"));
    assert!(out.status.success(), "{stderr}");
    let cached = files_in(&cache);
    assert!(
        cached.len() == 1 && cached[0].ends_with(".cwasm"),
        "a named component is compiled once into the cache: {cached:?}"
    );
}
