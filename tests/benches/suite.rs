//! `bash tests/bench.sh` (or, with the component built and the peers up,
//! `cargo bench -p mail-oauth-tests --bench suite`)
//!
//! The performance suite of issue #4, in one run, each figure next to a
//! baseline measured in the same run:
//! - component size;
//! - load of the precompiled artifact (baseline: compiling the `.wasm`);
//! - instantiation from the `InstancePre` with the pooling allocator, alone
//!   and with the drop (baseline: the on-demand allocator);
//! - `sasl.xoauth2` through the component (baseline: the same core, native);
//! - resident memory of 1,000 and 10,000 live tenant instances, each in a
//!   fresh child process (baseline: the on-demand allocator);
//! - token refresh against the local OpenID provider through the component
//!   (baseline: the `oauth2` crate called natively over the same
//!   `HttpClient`; the native core is printed too);
//! - throughput of `ensure-fresh` + `xoauth2` for 1,000 accounts on 2
//!   threads over a shared `TenantHost` (baseline: the native core; the
//!   same on 1 thread is printed too).
//!
//! Raw lines are printed as they are measured, then one table. Nothing here
//! asserts a target: a missed goal is a `NO` in the table.
//!
//! `MAIL_OAUTH_WASM=<path>` measures another build of the component (e.g.
//! one built with another `opt-level`); `MAIL_OAUTH_BENCH_LOOP` (below)
//! turns the binary into a profiling target.

use std::cell::Cell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use base64::Engine as _;
use mail_oauth_artifacts::COMPONENT;
use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::http_client::{HttpClient, HttpError, HttpLimits, HttpRequest};
use mail_oauth_runtime::model::{
    AuthorizationOptions, Client, ClientAuth, Provider, Secret, TokenSet,
};
use mail_oauth_runtime::{
    CallLimits, EngineOptions, Error, HostOptions, LoadOptions, LoadSource, Plugin, PoolingOptions,
    Runtime, SessionConfig, TenantConfig, TenantHost,
};
use mail_oauth_store::accounts::unix_now;
use mail_oauth_tests::browser::Browser;
use mail_oauth_tests::peers;
use mail_oauth_tests::scripted::{Behaviour, ScriptedHttpServer};
use oauth2::{
    AuthType, ClientId, ExtraTokenFields, RefreshToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};

/// Set in a child process started by [`rss_in_child`]: `pool:N`,
/// `pool16:N` (16 MiB reservation per slot) or `ondemand:N`.
const CHILD_ENV: &str = "MAIL_OAUTH_BENCH_RSS_CHILD";
/// Set to `instantiate`, `xoauth2`, `op` (`ensure-fresh` + `xoauth2` in a
/// fresh instance) or `refresh` (a fresh instance refreshing against a
/// scripted loopback token endpoint) to repeat only that, on the
/// multi-tenant engine, for 10 s: a target for a profiler (`perf record`),
/// not a measurement. With `MAIL_OAUTH_WASM` pointing at a build that keeps
/// its name section, the profile names the guest's functions.
const LOOP_ENV: &str = "MAIL_OAUTH_BENCH_LOOP";
/// Refreshes per side (component, `oauth2` natively, the core natively).
const REFRESHES: usize = 200;
/// Accounts in the throughput run.
const ACCOUNTS: usize = 1_000;
/// Tenants the throughput accounts are spread over.
const TENANTS: usize = 100;
/// Threads of the throughput run.
const THREADS: usize = 2;
/// The user of every `xoauth2` call.
const USER: &str = "someuser@example.com";

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

/// Median time of one instantiation alone: batches of 100 sessions are
/// created (timed) and then dropped (not timed).
fn median_instantiate(plugin: &Plugin, http: &Arc<HttpClient>) -> Duration {
    let batch = |timed: bool| {
        let started = Instant::now();
        let sessions: Vec<_> = (0..100)
            .map(|_| plugin.session_with(config(http)).expect("instantiates"))
            .collect();
        let took = started.elapsed() / 100;
        drop(black_box(sessions));
        timed.then_some(took)
    };
    for _ in 0..5 {
        batch(false);
    }
    median_of((0..31).filter_map(|_| batch(true)).collect())
}

/// The median of single timings.
fn median_of(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A duration in the unit that suits it.
fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else if ns < 10_000_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else {
        format!("{:.1} s", ns as f64 / 1e9)
    }
}

/// KiB as KiB, MiB or GiB.
fn fmt_kib(kib: f64) -> String {
    if kib < 10_000.0 {
        format!("{kib:.1} KiB")
    } else if kib < 10_000.0 * 1024.0 {
        format!("{:.1} MiB", kib / 1024.0)
    } else {
        format!("{:.2} GiB", kib / 1024.0 / 1024.0)
    }
}

/// Prints one raw line: what, figure, and a note.
fn raw(what: &str, figure: &str, note: &str) {
    println!("  {what:<58} {figure:>12}   {note}");
}

/// One line of the final table.
struct Row {
    /// What is measured.
    measure: String,
    /// The figure.
    figure: String,
    /// The baseline measured in the same run.
    baseline: String,
    /// figure / baseline.
    ratio: String,
    /// The issue's goal.
    goal: String,
    /// Whether the goal is met; `None` when there is no goal (or no figure).
    met: Option<bool>,
}

impl Row {
    /// A row; `ratio` is formatted as `1.23x`, or `1/264` when below 0.1.
    fn new(
        measure: &str,
        figure: String,
        baseline: String,
        ratio: Option<f64>,
        goal: &str,
        met: Option<bool>,
    ) -> Self {
        Self {
            measure: measure.to_owned(),
            figure,
            baseline,
            // A small ratio reads better as a fraction.
            ratio: ratio.map_or_else(
                || "—".to_owned(),
                |r| {
                    if r >= 0.1 {
                        format!("{r:.2}x")
                    } else {
                        format!("1/{:.0}", 1.0 / r)
                    }
                },
            ),
            goal: goal.to_owned(),
            met,
        }
    }
}

/// Prints the table with aligned columns.
fn print_table(rows: &[Row]) {
    let head = ["measure", "figure", "baseline", "ratio", "goal", "met?"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.measure.clone(),
                r.figure.clone(),
                r.baseline.clone(),
                r.ratio.clone(),
                r.goal.clone(),
                match r.met {
                    Some(true) => "yes".to_owned(),
                    Some(false) => "NO".to_owned(),
                    None => "—".to_owned(),
                },
            ]
        })
        .collect();
    let mut width = head.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: &[String]| {
        let parts: Vec<String> = row
            .iter()
            .zip(width)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        println!("{}", parts.join(" | ").trim_end());
    };
    line(&head.map(str::to_owned));
    println!(
        "{}",
        width
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-|-")
    );
    for row in &cells {
        line(row);
    }
}

/// `VmRSS` and `Pss` of this process, in KiB (`Pss` counts a page mapped
/// at several addresses once; `VmRSS` counts it at each).
fn memory_kib() -> (u64, u64) {
    let field = |file: &str, name: &str| -> u64 {
        std::fs::read_to_string(file)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(name))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or(0)
    };
    (
        field("/proc/self/status", "VmRSS:"),
        field("/proc/self/smaps_rollup", "Pss:"),
    )
}

/// The workspace's `target/` directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Precompiled artifacts, kept between runs (one per engine configuration).
fn cache_options() -> LoadOptions {
    LoadOptions {
        cache_dir: Some(target_dir().join("mail-oauth-bench-cache")),
    }
}

/// The component's bytes: `$MAIL_OAUTH_WASM` when set (another build, e.g.
/// one with its name section for a profiler), else the workspace's build.
fn component_bytes() -> Vec<u8> {
    let path = std::env::var_os("MAIL_OAUTH_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(COMPONENT));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build it first: bash tests/build-component.sh",
            path.display()
        )
    })
}

/// A client that may reach nothing (the calls measured here need no network).
fn no_network() -> Arc<HttpClient> {
    Arc::new(HttpClient::new(
        EgressPolicy::deny_all(),
        HttpLimits::default(),
    ))
}

/// A session configuration with default limits and no mail connections.
fn config(http: &Arc<HttpClient>) -> SessionConfig {
    SessionConfig {
        http: http.clone(),
        transports: None,
        limits: CallLimits::default(),
    }
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        rss_child(&spec);
        return;
    }
    if let Ok(what) = std::env::var(LOOP_ENV) {
        profile_loop(&what);
        return;
    }
    let started = Instant::now();
    let bytes = component_bytes();
    let mut rows = Vec::new();
    println!("mail-oauth performance suite (issue #4); medians unless said otherwise");

    // ------------------------------------------------------------ size
    let kib = bytes.len() as f64 / 1024.0;
    println!("\n[size]");
    raw("component (component profile)", &fmt_kib(kib), "");
    rows.push(Row::new(
        "component size",
        fmt_kib(kib),
        "—".into(),
        None,
        "≤ 250 KiB",
        Some(kib <= 250.0),
    ));

    // ------------------------------------------------------------ load
    println!("\n[load and instantiate]");
    let pooled_rt = Arc::new(Runtime::new(EngineOptions::multi_tenant(1_000)).expect("pool"));
    let compile = median(3, 1, || {
        black_box(
            Plugin::load_into(&pooled_rt, &bytes, &LoadOptions::default()).expect("compiles"),
        );
    });
    let cache = cache_options();
    // The first cached load writes the artifact when it is missing.
    Plugin::load_into(&pooled_rt, &bytes, &cache).expect("caches");
    let precompiled = median(9, 1, || {
        let p = Plugin::load_into(&pooled_rt, &bytes, &cache).expect("loads");
        assert_eq!(p.source(), LoadSource::Precompiled);
        black_box(p);
    });
    raw("load: compile from .wasm (baseline)", &fmt(compile), "");
    raw(
        "load: precompiled artifact from cache",
        &fmt(precompiled),
        &format!(
            "({:.0}x faster)",
            compile.as_secs_f64() / precompiled.as_secs_f64()
        ),
    );
    rows.push(Row::new(
        "load: precompiled artifact",
        fmt(precompiled),
        format!("compile {}", fmt(compile)),
        Some(precompiled.as_secs_f64() / compile.as_secs_f64()),
        "—",
        None,
    ));

    // ------------------------------------------------------------ instantiate
    let pooled = Arc::new(Plugin::load_into(&pooled_rt, &bytes, &cache).expect("loads"));
    let on_demand_rt = Arc::new(Runtime::new(EngineOptions::single_user()).expect("engine"));
    let on_demand = Plugin::load_into(&on_demand_rt, &bytes, &cache).expect("loads");
    let http = no_network();
    let cycle_pool = median(31, 200, || {
        black_box(pooled.session_with(config(&http)).expect("instantiates"));
    });
    let cycle_demand = median(31, 200, || {
        black_box(on_demand.session_with(config(&http)).expect("instantiates"));
    });
    let inst_pool = median_instantiate(&pooled, &http);
    let inst_demand = median_instantiate(&on_demand, &http);
    let vs =
        |a: Duration, b: Duration| format!("({:.2}x on-demand)", a.as_secs_f64() / b.as_secs_f64());
    raw(
        "instantiate, on-demand allocator (baseline)",
        &fmt(inst_demand),
        "",
    );
    raw(
        "instantiate, pooling allocator",
        &fmt(inst_pool),
        &vs(inst_pool, inst_demand),
    );
    raw(
        "instantiate + drop, on-demand allocator",
        &fmt(cycle_demand),
        "",
    );
    raw(
        "instantiate + drop, pooling allocator",
        &fmt(cycle_pool),
        &vs(cycle_pool, cycle_demand),
    );
    rows.push(Row::new(
        "instantiate from InstancePre (pooling)",
        fmt(inst_pool),
        format!("on-demand {}", fmt(inst_demand)),
        Some(inst_pool.as_secs_f64() / inst_demand.as_secs_f64()),
        "≤ 10 µs",
        Some(inst_pool <= Duration::from_micros(10)),
    ));

    // ------------------------------------------------------------ xoauth2
    println!("\n[sasl.xoauth2, one instance, repeated calls]");
    let token = Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    let native = median(31, 2000, || {
        black_box(
            mail_oauth_guest::sasl::xoauth2(black_box(USER), black_box(token.expose()))
                .expect("encodes"),
        );
    });
    let through = |plugin: &Plugin| {
        let mut session = plugin.session_with(config(&http)).expect("instantiates");
        median(31, 2000, || {
            black_box(session.xoauth2(USER, &token).expect("encodes"));
        })
    };
    let via_pool = through(&pooled);
    let via_demand = through(&on_demand);
    raw("native core (baseline)", &fmt(native), "");
    raw(
        "component, on-demand engine (no epoch checks)",
        &fmt(via_demand),
        &format!(
            "({:.2}x native)",
            via_demand.as_secs_f64() / native.as_secs_f64()
        ),
    );
    raw(
        "component, multi-tenant engine (pooling, epochs)",
        &fmt(via_pool),
        &format!(
            "({:.2}x native)",
            via_pool.as_secs_f64() / native.as_secs_f64()
        ),
    );
    let ratio = via_pool.as_secs_f64() / native.as_secs_f64();
    rows.push(Row::new(
        "sasl.xoauth2 through the component",
        fmt(via_pool),
        format!("native {}", fmt(native)),
        Some(ratio),
        "≤ 4x native, ≤ 0.5 µs",
        Some(ratio <= 4.0 && via_pool <= Duration::from_nanos(500)),
    ));
    drop(on_demand);
    drop(on_demand_rt);

    // ------------------------------------------------------------ memory
    println!("\n[resident memory of live tenant instances, each count in a fresh process]");
    let mut memory = Vec::new();
    for n in [1_000usize, 10_000] {
        let pool = rss_in_child(&format!("pool:{n}"))
            .or_else(|e| {
                raw(
                    &format!("pooling, {n} slots, 64 MiB reservation"),
                    "failed",
                    &e,
                );
                rss_in_child(&format!("pool16:{n}"))
            })
            .map_err(|e| raw(&format!("pooling, {n} slots"), "failed", &e))
            .ok();
        let demand = rss_in_child(&format!("ondemand:{n}"))
            .map_err(|e| raw(&format!("on-demand, {n} instances"), "failed", &e))
            .ok();
        for (name, m) in [("pooling", &pool), ("on-demand", &demand)] {
            if let Some(m) = m {
                raw(
                    &format!("{name} {n}: growth per live instance (VmRSS)"),
                    &fmt_kib(m.per_instance_rss()),
                    &format!("Pss {}", fmt_kib(m.per_instance_pss())),
                );
                raw(
                    &format!("{name} {n}: per tenant's HttpClient, no instance"),
                    &fmt_kib(m.per_tenant()),
                    "",
                );
                raw(
                    &format!("{name} {n}: whole process, all live (VmRSS)"),
                    &fmt_kib(m.live.0 as f64),
                    &format!(
                        "Pss {}; host before tenants {}{}",
                        fmt_kib(m.live.1 as f64),
                        fmt_kib(m.base.0 as f64),
                        m.note
                    ),
                );
            }
        }
        memory.push((n, pool, demand));
    }
    for (n, pool, demand) in &memory {
        let figure = pool.as_ref().map(Measured::per_instance_rss);
        let base = demand.as_ref().map(Measured::per_instance_rss);
        rows.push(Row::new(
            &format!("RSS growth per live instance, {n} (pooling)"),
            figure.map_or_else(|| "failed".into(), fmt_kib),
            base.map_or_else(|| "failed".into(), |b| format!("on-demand {}", fmt_kib(b))),
            figure.zip(base).map(|(f, b)| f / b),
            "≤ 100 KiB",
            figure.map(|f| f <= 100.0),
        ));
    }
    if let Some((n, pool, demand)) = memory.last() {
        let figure = pool.as_ref().map(|m| m.live.0 as f64);
        let base = demand.as_ref().map(|m| m.live.0 as f64);
        rows.push(Row::new(
            &format!("RSS, {n} live tenant instances + host (pooling)"),
            figure.map_or_else(|| "failed".into(), fmt_kib),
            base.map_or_else(|| "failed".into(), |b| format!("on-demand {}", fmt_kib(b))),
            figure.zip(base).map(|(f, b)| f / b),
            "≤ 2 GiB",
            figure.map(|f| f <= 2.0 * 1024.0 * 1024.0),
        ));
    }

    // ------------------------------------------------------------ refresh
    println!(
        "\n[token refresh against the local OpenID provider ({REFRESHES} per side, alternating)]"
    );
    peers::ensure_up();
    let (provider, client, tokens, http) = authorize(&pooled);
    let [comp, oauth, core] = refreshes(&pooled, &http, &provider, &client, tokens);
    let outside = |t: &RefreshTimes| format!("outside HttpClient::send: {}", fmt(t.outside_http));
    raw(
        "oauth2 crate natively over HttpClient (baseline)",
        &fmt(oauth.total),
        &outside(&oauth),
    );
    raw(
        "native core (mail_oauth_guest::token::refresh)",
        &fmt(core.total),
        &format!(
            "({:.3}x oauth2) {}",
            core.total.as_secs_f64() / oauth.total.as_secs_f64(),
            outside(&core)
        ),
    );
    let ratio = comp.total.as_secs_f64() / oauth.total.as_secs_f64();
    raw(
        "component, fresh pooled instance per refresh",
        &fmt(comp.total),
        &format!("({ratio:.3}x oauth2) {}", outside(&comp)),
    );
    rows.push(Row::new(
        "token refresh through the component",
        fmt(comp.total),
        format!("oauth2 native {}", fmt(oauth.total)),
        Some(ratio),
        "≤ 1.05x",
        Some(ratio <= 1.05),
    ));

    // ------------------------------------------------------------ throughput
    println!(
        "\n[ensure-fresh + xoauth2, {ACCOUNTS} accounts over {TENANTS} tenants, {THREADS} threads]"
    );
    drop(pooled);
    let ops = throughput(pooled_rt, &bytes, &provider, &client);
    let (comp_ops, native_ops) = (ops.component, ops.native);
    raw("native core (baseline)", &format!("{native_ops:.0}/s"), "");
    raw(
        "TenantHost, fresh instance per op",
        &format!("{comp_ops:.0}/s"),
        &format!("(1/{:.0} of native)", native_ops / comp_ops),
    );
    raw(
        "the same on 1 thread",
        &format!("{:.0}/s", ops.one_thread),
        &format!("({THREADS} threads: {:.2}x)", comp_ops / ops.one_thread),
    );
    rows.push(Row::new(
        "ensure-fresh + xoauth2, 1,000 accounts, 2 threads",
        format!("{comp_ops:.0} ops/s"),
        format!("native {native_ops:.0} ops/s"),
        Some(comp_ops / native_ops),
        "—",
        None,
    ));

    println!("\n[table] (run took {})\n", fmt(started.elapsed()));
    print_table(&rows);
}

/// Repeats one operation for 10 s (see [`LOOP_ENV`]).
fn profile_loop(what: &str) {
    let runtime = Arc::new(Runtime::new(EngineOptions::multi_tenant(1_000)).expect("pool"));
    let plugin = Plugin::load_into(&runtime, &component_bytes(), &cache_options()).expect("loads");
    let http = no_network();
    let token = Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    let provider = Provider {
        id: "bench".into(),
        display_name: "Bench".into(),
        issuer: None,
        authorization_endpoint: "https://as.example.test/auth".into(),
        token_endpoint: "https://as.example.test/token".into(),
        device_authorization_endpoint: None,
        revocation_endpoint: None,
        default_scopes: Vec::new(),
        extra_parameters: Vec::new(),
        client_auth: ClientAuth::Post,
        pkce: true,
        mail_servers: Vec::new(),
    };
    let client = Client {
        id: "bench".into(),
        secret: None,
        redirect_uri: "http://127.0.0.1:1/callback".into(),
    };
    let tokens = TokenSet {
        access_token: token.clone(),
        refresh_token: Some(Secret::new("rt")),
        expires_at: Some(unix_now() + 3600),
        scopes: Vec::new(),
        id_token: None,
        account_email: None,
    };
    // A token endpoint answering every request like the local provider.
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"sub":"alice@example.test","email":"alice@example.test"}"#);
    let token_endpoint = ScriptedHttpServer::start(Behaviour::json(
        200,
        &format!(
            r#"{{"access_token":"{}","expires_in":600,"id_token":"eyJhbGciOiJSUzI1NiJ9.{claims}.c2ln","refresh_token":"{}","scope":"openid email mail","token_type":"Bearer"}}"#,
            "a".repeat(43),
            "r".repeat(43)
        ),
    ));
    let refresh_provider = Provider {
        token_endpoint: format!("{}/token", token_endpoint.url()),
        ..provider.clone()
    };
    let refresh_http = Arc::new(HttpClient::new(
        EgressPolicy::deny_all()
            .allow_loopback(true)
            .allow_origin(&token_endpoint.url())
            .expect("origin"),
        HttpLimits::default(),
    ));
    let mut session = plugin.session_with(config(&http)).expect("instantiates");
    let started = Instant::now();
    let mut n = 0u32;
    while started.elapsed() < Duration::from_secs(10) {
        for _ in 0..100 {
            match what {
                "instantiate" => {
                    black_box(plugin.session_with(config(&http)).expect("instantiates"));
                }
                "xoauth2" => {
                    black_box(session.xoauth2(USER, &token).expect("encodes"));
                }
                "refresh" => {
                    let mut s = plugin
                        .session_with(config(&refresh_http))
                        .expect("instantiates");
                    black_box(
                        s.refresh(&refresh_provider, &client, &tokens, unix_now())
                            .expect("refresh"),
                    );
                }
                _ => {
                    let mut s = plugin.session_with(config(&http)).expect("instantiates");
                    let (fresh, _) = s
                        .ensure_fresh(&provider, &client, &tokens, unix_now(), 60)
                        .expect("fresh");
                    black_box(s.xoauth2(USER, &fresh.access_token).expect("encodes"));
                }
            }
        }
        n += 100;
    }
    let took = started.elapsed();
    println!("{what}: {n} in {} ({} each)", fmt(took), fmt(took / n));
}

// ---------------------------------------------------------------- memory

/// What a child process measured: (VmRSS, Pss) in KiB at each point.
struct Measured {
    /// Live instances.
    n: usize,
    /// After loading the component and one warm-up call.
    base: (u64, u64),
    /// After creating one `HttpClient` per tenant.
    tenants: (u64, u64),
    /// With every instance alive.
    live: (u64, u64),
    /// How the engine was set up, when not as asked.
    note: String,
}

impl Measured {
    /// VmRSS growth per live instance, KiB.
    fn per_instance_rss(&self) -> f64 {
        self.live.0.saturating_sub(self.tenants.0) as f64 / self.n as f64
    }

    /// Pss growth per live instance, KiB.
    fn per_instance_pss(&self) -> f64 {
        self.live.1.saturating_sub(self.tenants.1) as f64 / self.n as f64
    }

    /// VmRSS growth per tenant `HttpClient`, KiB.
    fn per_tenant(&self) -> f64 {
        self.tenants.0.saturating_sub(self.base.0) as f64 / self.n as f64
    }
}

/// Runs this binary again with [`CHILD_ENV`] set to `spec` and reads what it
/// measured; the error text when it failed.
fn rss_in_child(spec: &str) -> Result<Measured, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let run = || Command::new(&exe).env(CHILD_ENV, spec).output();
    let mut out = run().map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&out.stdout).starts_with("RETRY") {
        // The child compiled the component (a new engine configuration) and
        // wrote the artifact; the next one loads it as a host would.
        out = run().map_err(|e| e.to_string())?;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("RESULT "));
    let (Some(line), true) = (line, out.status.success()) else {
        let err = stdout
            .lines()
            .find_map(|l| l.strip_prefix("ERROR "))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let stderr = String::from_utf8_lossy(&out.stderr);
                format!("{}: {}", out.status, stderr.trim())
            });
        return Err(err);
    };
    let mut it = line.split(' ').skip(1);
    let mut num = || -> u64 { it.next().and_then(|s| s.parse().ok()).unwrap_or(0) };
    let n = num() as usize;
    let base = (num(), num());
    let tenants = (num(), num());
    let live = (num(), num());
    let note = if spec.starts_with("pool16:") {
        "; 16 MiB reservation per slot".to_owned()
    } else {
        String::new()
    };
    Ok(Measured {
        n,
        base,
        tenants,
        live,
        note,
    })
}

/// The child's side: `n` tenants (one `HttpClient` each, as `TenantHost`
/// gives them) and one live instance per tenant, each after one `xoauth2`
/// call. Prints `RESULT n` and `rss pss` at each point, `ERROR text`, or
/// `RETRY` when it had to compile the component.
fn rss_child(spec: &str) {
    let (mode, n) = spec.split_once(':').expect("mode:n");
    let n: usize = n.parse().expect("n");
    let slots = u32::try_from(n).expect("n fits") + 8;
    let options = match mode {
        "pool" => EngineOptions::multi_tenant(slots),
        "pool16" => EngineOptions {
            pooling: Some(PoolingOptions {
                max_live_instances: slots,
                memory_reservation: 16 << 20,
                ..PoolingOptions::default()
            }),
            epoch_tick: Some(Duration::from_millis(10)),
        },
        _ => EngineOptions::single_user(),
    };
    let runtime = match Runtime::new(options) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            println!("ERROR engine: {e:#}");
            return;
        }
    };
    let plugin = match Plugin::load_into(&runtime, &component_bytes(), &cache_options()) {
        Ok(p) => p,
        Err(e) => {
            println!("ERROR load: {e:#}");
            return;
        }
    };
    if plugin.source() == LoadSource::Compiled {
        // Compiling leaves its memory in the allocator: measure in a process
        // that loads the precompiled artifact instead.
        println!("RETRY");
        return;
    }
    let token = Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    {
        let mut s = plugin.session(no_network()).expect("instantiates");
        s.xoauth2(USER, &token).expect("encodes");
    }
    let base = memory_kib();
    let clients: Vec<Arc<HttpClient>> = (0..n).map(|_| no_network()).collect();
    let tenants = memory_kib();
    let mut sessions = Vec::with_capacity(n);
    for (i, http) in clients.iter().enumerate() {
        let mut s = match plugin.session_with(config(http)) {
            Ok(s) => s,
            Err(e) => {
                println!("ERROR instance {i}: {e}");
                return;
            }
        };
        black_box(s.xoauth2(USER, &token).expect("encodes"));
        sessions.push(s);
    }
    let live = memory_kib();
    println!(
        "RESULT {n} {} {} {} {} {} {}",
        base.0, base.1, tenants.0, tenants.1, live.0, live.1
    );
    drop(sessions);
}

// ---------------------------------------------------------------- refresh

/// Authorizes alice for real at the local provider with the public client
/// (discovery, PKCE code flow with the scripted browser, code exchange, all
/// through the component) and returns the provider, the client, the tokens
/// and an HTTP client that may reach the token endpoint.
fn authorize(plugin: &Plugin) -> (Provider, Client, TokenSet, Arc<HttpClient>) {
    let discovery = Arc::new(HttpClient::new(
        EgressPolicy::deny_all()
            .allow_loopback(true)
            .allow_origin(peers::AS_ISSUER)
            .expect("origin"),
        HttpLimits::default(),
    ));
    let provider = plugin
        .session_with(config(&discovery))
        .expect("instantiates")
        .discover(peers::AS_ISSUER)
        .expect("discovery at the local provider");
    let client = Client {
        id: peers::PUBLIC_CLIENT_ID.into(),
        secret: None,
        redirect_uri: peers::loopback_redirect_uri(47002),
    };
    let options = AuthorizationOptions {
        scopes: vec!["openid".into(), "email".into(), peers::MAIL_SCOPE.into()],
        login_hint: Some(peers::ALICE.into()),
    };
    let pending = plugin
        .session_with(config(&no_network()))
        .expect("instantiates")
        .begin_authorization(&provider, &client, &options)
        .expect("begin authorization");
    let callback = Browser::new()
        .authorize(&pending.url, &client.redirect_uri)
        .expect("the browser completes login and consent");
    let http = Arc::new(HttpClient::new(
        EgressPolicy::deny_all()
            .allow_loopback(true)
            .allow_url(&provider.token_endpoint)
            .expect("token endpoint"),
        HttpLimits::default(),
    ));
    let tokens = plugin
        .session_with(config(&http))
        .expect("instantiates")
        .complete_authorization(&provider, &client, &pending, &callback, unix_now())
        .expect("code exchange");
    assert!(
        tokens.refresh_token.is_some(),
        "the provider issued no refresh token"
    );
    (provider, client, tokens, http)
}

/// Medians of one refresh side: the whole refresh, and the part of it spent
/// outside `HttpClient::send` (the client's own work: building the request,
/// reading the answer, and for the component instantiation and the calls).
struct RefreshTimes {
    /// The whole refresh.
    total: Duration,
    /// The whole refresh minus the time inside `HttpClient::send`.
    outside_http: Duration,
}

/// Alternates a refresh through the component (fresh instance), one with
/// the `oauth2` crate natively and one with the core natively, all over
/// `http`, each with the newest refresh token; their medians in that order.
fn refreshes(
    plugin: &Plugin,
    http: &Arc<HttpClient>,
    provider: &Provider,
    client: &Client,
    mut tokens: TokenSet,
) -> [RefreshTimes; 3] {
    let core_provider = core_provider(provider);
    let core_client = core_client(client);
    let mut times: [Vec<(Duration, Duration)>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let warm_up = 5;
    for i in 0..REFRESHES + warm_up {
        for (side, t) in times.iter_mut().enumerate() {
            let started = Instant::now();
            let in_http;
            (tokens, in_http) = match side {
                0 => {
                    let mut s = plugin.session_with(config(http)).expect("instantiates");
                    let t = s
                        .refresh(provider, client, &tokens, unix_now())
                        .expect("component refresh");
                    (t, s.total_host_time())
                }
                1 => {
                    let native = NativeHttp::new(http);
                    (
                        refresh_oauth2(&native, provider, client, &tokens),
                        native.spent.get(),
                    )
                }
                _ => {
                    let core = CoreHttp::new(http);
                    let t = mail_oauth_guest::token::refresh(
                        &core,
                        &core_provider,
                        &core_client,
                        &core_tokens(&tokens),
                        unix_now(),
                    )
                    .expect("core refresh");
                    (host_tokens(t), core.spent.get())
                }
            };
            let total = started.elapsed();
            if i >= warm_up {
                t.push((total, total.saturating_sub(in_http)));
            }
        }
    }
    times.map(|v| RefreshTimes {
        total: median_of(v.iter().map(|t| t.0).collect()),
        outside_http: median_of(v.iter().map(|t| t.1).collect()),
    })
}

/// `id_token`, the one extra field of a token response the component reads.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct IdTokenField {
    /// The OpenID Connect ID token, when issued.
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

/// A refresh with the `oauth2` crate, natively: what the component does,
/// with `oauth2`'s own token response type and an adapter over the host's
/// [`HttpClient`] (the one the component's `http` import uses).
fn refresh_oauth2(
    http: &NativeHttp<'_>,
    provider: &Provider,
    client: &Client,
    tokens: &TokenSet,
) -> TokenSet {
    type Response = StandardTokenResponse<IdTokenField, oauth2::basic::BasicTokenType>;
    let oauth = oauth2::Client::<
        oauth2::basic::BasicErrorResponse,
        Response,
        oauth2::basic::BasicTokenIntrospectionResponse,
        oauth2::StandardRevocableToken,
        oauth2::basic::BasicRevocationErrorResponse,
    >::new(ClientId::new(client.id.clone()))
    .set_token_uri(TokenUrl::new(provider.token_endpoint.clone()).expect("token URL"))
    .set_auth_type(match provider.client_auth {
        ClientAuth::Basic => AuthType::BasicAuth,
        ClientAuth::Post => AuthType::RequestBody,
    });
    let old = RefreshToken::new(
        tokens
            .refresh_token
            .as_ref()
            .expect("refresh token")
            .expose()
            .to_owned(),
    );
    let now = unix_now();
    let response = oauth
        .exchange_refresh_token(&old)
        .request(http)
        .expect("oauth2 refresh");
    let id_token = response.extra_fields().id_token.clone();
    TokenSet {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: Some(Secret::new(
            response
                .refresh_token()
                .map_or_else(|| old.secret().clone(), |t| t.secret().clone()),
        )),
        expires_at: response.expires_in().map(|d| now + d.as_secs()),
        scopes: response
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .filter(|s: &Vec<String>| !s.is_empty())
            .unwrap_or_else(|| tokens.scopes.clone()),
        account_email: id_token
            .as_deref()
            .and_then(email_claim)
            .or_else(|| tokens.account_email.clone()),
        id_token: id_token
            .map(Secret::new)
            .or_else(|| tokens.id_token.clone()),
    }
}

/// The unverified `email` claim of a JWT, as the component reads it.
fn email_claim(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["email"].as_str().map(str::to_owned)
}

/// `oauth2::SyncHttpClient` over the host's [`HttpClient`], counting the
/// time spent inside it.
struct NativeHttp<'a> {
    /// The client.
    http: &'a HttpClient,
    /// Time spent in `HttpClient::send`.
    spent: Cell<Duration>,
}

impl<'a> NativeHttp<'a> {
    /// An adapter over `http`.
    fn new(http: &'a HttpClient) -> Self {
        Self {
            http,
            spent: Cell::new(Duration::ZERO),
        }
    }
}

impl oauth2::SyncHttpClient for NativeHttp<'_> {
    type Error = HttpError;

    fn call(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let started = Instant::now();
        let response = self.http.send(HttpRequest {
            method: parts.method.as_str().to_owned(),
            url: parts.uri.to_string(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body,
        });
        self.spent.set(self.spent.get() + started.elapsed());
        let response = response?;
        let mut builder = oauth2::http::Response::builder().status(response.status);
        for (name, value) in &response.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder
            .body(response.body)
            .map_err(|e| HttpError::Other(e.to_string()))
    }
}

/// The core's [`mail_oauth_guest::http::Http`] over the host's
/// [`HttpClient`]: what the component's `http` import does, without the
/// component. Counts the time spent inside the client.
struct CoreHttp<'a> {
    /// The client.
    http: &'a HttpClient,
    /// Time spent in `HttpClient::send`.
    spent: Cell<Duration>,
}

impl<'a> CoreHttp<'a> {
    /// An adapter over `http`.
    fn new(http: &'a HttpClient) -> Self {
        Self {
            http,
            spent: Cell::new(Duration::ZERO),
        }
    }
}

impl mail_oauth_guest::http::Http for CoreHttp<'_> {
    fn send(
        &self,
        req: mail_oauth_guest::http::HttpRequest,
    ) -> Result<mail_oauth_guest::http::HttpResponse, mail_oauth_guest::http::HttpError> {
        use mail_oauth_guest::http::{Header, HttpError as E, HttpResponse};
        let started = Instant::now();
        let response = self.http.send(HttpRequest {
            method: req.method,
            url: req.url,
            headers: req.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: req.body,
        });
        self.spent.set(self.spent.get() + started.elapsed());
        let response = response.map_err(|e| match e {
            HttpError::Denied(s) => E::Denied(s),
            HttpError::Unreachable(s) => E::Unreachable(s),
            HttpError::Timeout => E::Timeout,
            HttpError::Tls(s) => E::Tls(s),
            HttpError::TooLarge => E::TooLarge,
            HttpError::Other(s) => E::Other(s),
        })?;
        Ok(HttpResponse {
            status: response.status,
            headers: response
                .headers
                .into_iter()
                .map(|(n, v)| Header::new(n, v))
                .collect(),
            body: response.body,
        })
    }
}

/// The host's provider as the core's.
fn core_provider(p: &Provider) -> mail_oauth_guest::Provider {
    mail_oauth_guest::Provider {
        id: p.id.clone(),
        display_name: p.display_name.clone(),
        issuer: p.issuer.clone(),
        authorization_endpoint: p.authorization_endpoint.clone(),
        token_endpoint: p.token_endpoint.clone(),
        device_authorization_endpoint: p.device_authorization_endpoint.clone(),
        revocation_endpoint: p.revocation_endpoint.clone(),
        default_scopes: p.default_scopes.clone(),
        extra_parameters: p.extra_parameters.clone(),
        pkce: p.pkce,
        // Discovered providers name no mail server; none is needed here.
        mail_servers: Vec::new(),
        client_auth: match p.client_auth {
            ClientAuth::Basic => mail_oauth_guest::ClientAuth::Basic,
            ClientAuth::Post => mail_oauth_guest::ClientAuth::Post,
        },
    }
}

/// The host's client as the core's.
fn core_client(c: &Client) -> mail_oauth_guest::Client {
    mail_oauth_guest::Client {
        id: c.id.clone(),
        secret: c.secret.as_ref().map(|s| s.expose().to_owned()),
        redirect_uri: c.redirect_uri.clone(),
    }
}

/// The host's tokens as the core's.
fn core_tokens(t: &TokenSet) -> mail_oauth_guest::TokenSet {
    mail_oauth_guest::TokenSet {
        access_token: t.access_token.expose().to_owned(),
        refresh_token: t.refresh_token.as_ref().map(|s| s.expose().to_owned()),
        expires_at: t.expires_at,
        scopes: t.scopes.clone(),
        id_token: t.id_token.as_ref().map(|s| s.expose().to_owned()),
        account_email: t.account_email.clone(),
    }
}

/// The core's tokens as the host's.
fn host_tokens(t: mail_oauth_guest::TokenSet) -> TokenSet {
    TokenSet {
        access_token: Secret::new(t.access_token),
        refresh_token: t.refresh_token.map(Secret::new),
        expires_at: t.expires_at,
        scopes: t.scopes,
        id_token: t.id_token.map(Secret::new),
        account_email: t.account_email,
    }
}

// ---------------------------------------------------------------- throughput

/// Ops per second of `op(account)` on `threads` threads, each looping over
/// its share of [`ACCOUNTS`] for at least `min_time` (after one warm-up pass).
fn ops_per_second(threads: usize, min_time: Duration, op: impl Fn(usize) + Sync) -> f64 {
    let ops = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let barrier = Barrier::new(threads + 1);
    let started = std::thread::scope(|scope| {
        for t in 0..threads {
            let (op, ops, stop, barrier) = (&op, &ops, &stop, &barrier);
            scope.spawn(move || {
                let mine: Vec<usize> = (t..ACCOUNTS).step_by(threads).collect();
                mine.iter().for_each(|&a| op(a));
                barrier.wait();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    for &a in &mine {
                        op(a);
                    }
                    n += mine.len() as u64;
                }
                ops.fetch_add(n, Ordering::Relaxed);
            });
        }
        barrier.wait();
        let started = Instant::now();
        std::thread::sleep(min_time);
        stop.store(true, Ordering::Relaxed);
        started
    });
    // Every pass started before `stop` is finished: count until the last one ends.
    ops.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Ops/s of the throughput run.
struct Throughput {
    /// Through the component on [`THREADS`] threads.
    component: f64,
    /// Through the component on one thread.
    one_thread: f64,
    /// The native core on [`THREADS`] threads.
    native: f64,
}

/// `ensure-fresh` + `xoauth2` for [`ACCOUNTS`] accounts whose tokens are
/// fresh for ten more years (so no HTTP): through a `TenantHost` on the
/// pooled runtime, a fresh instance per op, then the native core; ops/s of
/// each.
fn throughput(
    runtime: Arc<Runtime>,
    bytes: &[u8],
    provider: &Provider,
    client: &Client,
) -> Throughput {
    let now = unix_now();
    let accounts: Vec<(String, TokenSet)> = (0..ACCOUNTS)
        .map(|i| {
            let tokens = TokenSet {
                access_token: Secret::new(format!("at-{i:04}-fake-access-token-for-the-bench")),
                refresh_token: Some(Secret::new(format!("rt-{i:04}-1//0gdftvF9dft4qmTc2N"))),
                expires_at: Some(now + 10 * 365 * 24 * 3600),
                scopes: vec!["openid".into(), "email".into(), peers::MAIL_SCOPE.into()],
                id_token: None,
                account_email: Some(format!("user{i}@example.test")),
            };
            (format!("tenant-{}", i % TENANTS), tokens)
        })
        .collect();
    let host = TenantHost::new(
        runtime,
        bytes,
        HostOptions {
            load: cache_options(),
            tls: None,
        },
    )
    .expect("host loads the component");
    for t in 0..TENANTS {
        host.add_tenant(&format!("tenant-{t}"), TenantConfig::deny_all());
    }
    let op = |a: usize| {
        let (tenant, tokens) = &accounts[a];
        let user = tokens.account_email.as_deref().unwrap_or(USER);
        let r = host
            .call(tenant, |s| {
                let (fresh, refreshed) = s.ensure_fresh(provider, client, tokens, now, 60)?;
                debug_assert!(!refreshed);
                s.xoauth2(user, &fresh.access_token)
            })
            .expect("tenant exists");
        black_box(r.map_err(|e: Error| e).expect("op succeeds"));
    };
    let component = ops_per_second(THREADS, Duration::from_secs(3), op);
    let one_thread = ops_per_second(1, Duration::from_secs(2), op);

    let http = no_network();
    let core_provider = core_provider(provider);
    let core_client = core_client(client);
    let core_accounts: Vec<mail_oauth_guest::TokenSet> =
        accounts.iter().map(|(_, t)| core_tokens(t)).collect();
    let native = ops_per_second(THREADS, Duration::from_secs(1), |a| {
        let tokens = &core_accounts[a];
        let fresh = mail_oauth_guest::token::ensure_fresh(
            &CoreHttp::new(&http),
            &core_provider,
            &core_client,
            tokens,
            now,
            60,
        )
        .expect("fresh");
        let user = fresh.tokens.account_email.as_deref().unwrap_or(USER);
        black_box(
            mail_oauth_guest::sasl::xoauth2(user, &fresh.tokens.access_token).expect("encodes"),
        );
    });
    Throughput {
        component,
        one_thread,
        native,
    }
}
