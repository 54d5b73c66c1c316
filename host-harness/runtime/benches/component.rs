//! `cargo bench -p mail-oauth-runtime --bench component`
//!
//! Prints, in one run: compile vs precompiled load, instantiation from the
//! `InstancePre`, `sasl.xoauth2` through the component vs the same core called
//! natively (ratio), `begin-authorization` per call, and the component size.
//! Times are medians over repeated batches; nothing here asserts a target.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mail_oauth_artifacts::COMPONENT;
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::http_client::{HttpClient, HttpLimits};
use mail_oauth_runtime::model::{AuthorizationOptions, Client, Secret};
use mail_oauth_runtime::{CallLimits, EngineOptions, LoadOptions, Plugin, Runtime, SessionConfig};

/// Median per-iteration time of `f` over `batches` batches of `iters` calls.
fn median(batches: usize, iters: u32, mut f: impl FnMut()) -> Duration {
    for _ in 0..iters.min(1000) {
        f(); // warm up caches and lazy initialisation
    }
    let mut samples: Vec<Duration> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed() / iters
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}

fn main() {
    let path = Path::new(COMPONENT);
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build it first: bash tests/build-component.sh",
            path.display()
        )
    });
    let cache = std::env::temp_dir().join(format!("mail-oauth-bench-{}", std::process::id()));
    let options = LoadOptions {
        cache_dir: Some(cache.clone()),
    };

    println!("mail-oauth component benchmark (medians)");
    println!(
        "{:<44} {:>10} KiB",
        "component size (component profile)",
        bytes.len() / 1024
    );

    let compile = median(5, 1, || {
        black_box(Plugin::from_bytes(&bytes, &LoadOptions::default()).expect("compiles"));
    });
    // First cached load writes the artifact; the measured ones read it.
    Plugin::from_bytes(&bytes, &options).expect("caches");
    let precompiled = median(9, 1, || {
        let p = Plugin::from_bytes(&bytes, &options).expect("loads");
        assert_eq!(p.source(), mail_oauth_runtime::LoadSource::Precompiled);
        black_box(p);
    });
    println!("{:<44} {:>14}", "load: compile from .wasm", fmt(compile));
    println!(
        "{:<44} {:>14}   ({:.0}x faster)",
        "load: precompiled artifact from cache",
        fmt(precompiled),
        compile.as_secs_f64() / precompiled.as_secs_f64()
    );

    let plugin = Plugin::from_bytes(&bytes, &options).expect("loads");
    let http = Arc::new(HttpClient::new(
        EgressPolicy::deny_all(),
        HttpLimits::default(),
    ));
    let instantiate = median(31, 200, || {
        black_box(plugin.session(http.clone()).expect("instantiates"));
    });
    println!(
        "{:<44} {:>14}",
        "instantiate from InstancePre (fresh Store)",
        fmt(instantiate)
    );

    let token = Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    let user = "someuser@example.com";
    let mut session = plugin.session(http.clone()).expect("instantiates");
    let through = median(31, 2000, || {
        black_box(session.xoauth2(user, &token).expect("encodes"));
    });
    let native = median(31, 2000, || {
        black_box(
            mail_oauth_guest::sasl::xoauth2(black_box(user), black_box(token.expose()))
                .expect("encodes"),
        );
    });
    println!(
        "{:<44} {:>14}",
        "sasl.xoauth2 native core (baseline)",
        fmt(native)
    );
    println!(
        "{:<44} {:>14}   ({:.1}x native)",
        "sasl.xoauth2 through the component",
        fmt(through),
        through.as_secs_f64() / native.as_secs_f64()
    );

    let provider = session.google().expect("preset");
    let client = Client {
        id: "bench-client.apps.example".into(),
        secret: None,
        redirect_uri: "http://127.0.0.1:3017/callback".into(),
    };
    let opts = AuthorizationOptions {
        scopes: Vec::new(),
        login_hint: Some("someuser@example.com".into()),
    };
    let begin = median(21, 200, || {
        black_box(
            session
                .begin_authorization(&provider, &client, &opts)
                .expect("builds"),
        );
    });
    println!(
        "{:<44} {:>14}",
        "oauth.begin-authorization per call",
        fmt(begin)
    );

    // The multi-tenant engine: pooling allocator and epoch interruption.
    let runtime = Arc::new(Runtime::new(EngineOptions::multi_tenant(1_000)).expect("pool"));
    let pooled = Plugin::load_into(&runtime, &bytes, &options).expect("loads");
    let config = SessionConfig {
        http: http.clone(),
        transports: None,
        limits: CallLimits::default(),
    };
    let pooled_instantiate = median(31, 200, || {
        black_box(pooled.session_with(config.clone()).expect("instantiates"));
    });
    println!(
        "{:<44} {:>14}   ({:.1}x on-demand)",
        "instantiate, pooling allocator",
        fmt(pooled_instantiate),
        pooled_instantiate.as_secs_f64() / instantiate.as_secs_f64()
    );
    let mut session = pooled.session_with(config.clone()).expect("instantiates");
    let pooled_xoauth2 = median(31, 2000, || {
        black_box(session.xoauth2(user, &token).expect("encodes"));
    });
    println!(
        "{:<44} {:>14}   ({:.1}x native)",
        "sasl.xoauth2, pooled + epoch deadline",
        fmt(pooled_xoauth2),
        pooled_xoauth2.as_secs_f64() / native.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(cache);
}
