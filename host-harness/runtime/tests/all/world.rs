//! The world tells the truth: the component imports exactly the contract's
//! interfaces and the WASI interfaces the runtime documents and links
//! ([`mail_oauth_runtime::wasi::WASI_IMPORTS`]); nothing of WASI's
//! filesystem, sockets or HTTP.

use mail_oauth_runtime::wasi::WASI_IMPORTS;
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(name, _)| name)
}

#[test]
fn the_component_imports_the_documented_interfaces_and_nothing_else() {
    let engine = Engine::new(&Config::new()).unwrap();
    let bytes = std::fs::read(mail_oauth_artifacts::COMPONENT).unwrap();
    let component = Component::new(&engine, &bytes).unwrap();
    let mut imports: Vec<String> = component
        .component_type()
        .imports(&engine)
        .map(|(name, _)| unversioned(name).to_owned())
        .collect();
    imports.sort();
    let mut expected: Vec<String> = WASI_IMPORTS.iter().map(|s| (*s).to_owned()).collect();
    expected.extend(
        [
            "mail-oauth:plugin/http",
            "mail-oauth:plugin/transport",
            "mail-oauth:plugin/types",
        ]
        .map(str::to_owned),
    );
    expected.sort();
    assert_eq!(imports, expected);
    for name in &imports {
        assert!(
            !name.starts_with("wasi:filesystem")
                && !name.starts_with("wasi:sockets")
                && !name.starts_with("wasi:http"),
            "{name}"
        );
    }
    // The world's documentation names every one of them.
    let wit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit/plugin.wit"))
        .unwrap();
    for name in WASI_IMPORTS {
        assert!(
            wit.contains(&format!("`{name}`")),
            "the WIT does not document {name}"
        );
    }
}
