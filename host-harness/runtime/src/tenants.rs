//! A host for many tenants in one process.
//!
//! A [`TenantHost`] loads the component once into a pooled [`Runtime`] and
//! serves any number of tenants, each with its own egress policy, HTTP and
//! socket limits and per-call limits. Every call gets a fresh instance in its
//! own store: whatever one tenant's call does (exhaust its memory, loop,
//! flood the imports), it stops that call only; the tenant's next call and
//! every other tenant's calls run in fresh instances.
//!
//! The component can be replaced while calls are in flight: calls started
//! before [`TenantHost::replace_component`] finish on the version they
//! started with, calls started after use the new one.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use crate::egress::EgressPolicy;
use crate::engine::Runtime;
use crate::error::{Error, MailFailure};
use crate::http_client::{HttpClient, HttpLimits};
use crate::limits::CallLimits;
use crate::model::Secret;
use crate::plugin::{LoadOptions, LoadSource, Plugin, SessionConfig};
use crate::session::Session;
use crate::transport::{TransportLimits, Transports};

/// What one tenant may reach and use.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// Where the `http` import may go (token, revocation, discovery URLs).
    pub http_policy: EgressPolicy,
    /// Timeouts and size caps of HTTP requests.
    pub http_limits: HttpLimits,
    /// Where the `transport` import may connect (IMAP, POP3, SMTP servers).
    pub mail_policy: EgressPolicy,
    /// Timeouts, line cap and connection count of mail connections.
    pub transport_limits: TransportLimits,
    /// Memory, time and hostcall data caps of each call.
    pub call_limits: CallLimits,
}

impl TenantConfig {
    /// A tenant that may reach nothing, with default limits; open it with
    /// the policy builders.
    pub fn deny_all() -> Self {
        Self {
            http_policy: EgressPolicy::deny_all(),
            http_limits: HttpLimits::default(),
            mail_policy: EgressPolicy::deny_all(),
            transport_limits: TransportLimits::default(),
            call_limits: CallLimits::default(),
        }
    }
}

/// A failure a tenant call can end with; its [`kind`](Self::kind) is what
/// the metrics count.
pub trait CallFailure: From<Error> {
    /// A stable machine name for the case.
    fn kind(&self) -> &'static str;
}

impl CallFailure for Error {
    fn kind(&self) -> &'static str {
        Error::kind(self)
    }
}

impl CallFailure for MailFailure {
    fn kind(&self) -> &'static str {
        self.error.kind()
    }
}

/// A tenant's counters since it was added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantMetrics {
    /// Calls made (sessions opened), failed or not.
    pub calls: u64,
    /// Failed calls by error kind (`Error::kind`: `reauthorize_required`,
    /// `http`, `limit_memory`, `trap`, …).
    pub failures: BTreeMap<String, u64>,
    /// Time spent outside host imports: guest code, instantiation and the
    /// copying of arguments and results.
    pub guest_time: Duration,
    /// Time spent inside host imports (HTTP, mail sockets).
    pub host_time: Duration,
}

#[derive(Default)]
struct Metrics {
    calls: AtomicU64,
    failures: Mutex<BTreeMap<&'static str, u64>>,
    guest_nanos: AtomicU64,
    host_nanos: AtomicU64,
}

impl Metrics {
    fn record(&self, kind: Option<&'static str>, guest: Duration, host: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.guest_nanos.fetch_add(nanos(guest), Ordering::Relaxed);
        self.host_nanos.fetch_add(nanos(host), Ordering::Relaxed);
        if let Some(kind) = kind {
            let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            *f.entry(kind).or_default() += 1;
        }
    }

    fn snapshot(&self) -> TenantMetrics {
        TenantMetrics {
            calls: self.calls.load(Ordering::Relaxed),
            failures: self
                .failures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            guest_time: Duration::from_nanos(self.guest_nanos.load(Ordering::Relaxed)),
            host_time: Duration::from_nanos(self.host_nanos.load(Ordering::Relaxed)),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

struct Tenant {
    http: Arc<HttpClient>,
    transports: Arc<Transports>,
    limits: CallLimits,
    metrics: Metrics,
}

/// Which component version is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentInfo {
    /// SHA-256 of the component's bytes, hex.
    pub digest: String,
    /// Compiled now, or loaded from the precompiled cache.
    pub source: LoadSource,
    /// How many times the component was replaced since the host started.
    pub generation: u64,
}

/// What [`TenantHost::health`] found.
#[derive(Debug, Clone)]
pub struct Health {
    /// The probe call succeeded and returned the expected answer.
    pub ok: bool,
    /// Why not, when not ok.
    pub problem: Option<String>,
    /// The component version answering new calls.
    pub component: ComponentInfo,
    /// How long the probe (instantiate + one call) took.
    pub probe_time: Duration,
    /// Tenants registered.
    pub tenants: usize,
    /// Calls in progress, all tenants.
    pub calls_in_flight: usize,
    /// Component instances alive in the pool (calls in flight plus this
    /// probe), when the runtime pools.
    pub pooled_instances: Option<u64>,
}

/// How a [`TenantHost`] loads components and verifies mail servers.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Precompiled-artifact cache for every component version loaded.
    pub load: LoadOptions,
    /// TLS roots for mail servers (the system's when `None`).
    pub tls: Option<Arc<ClientConfig>>,
}

/// One component, many tenants. `Sync`: share it between threads.
pub struct TenantHost {
    runtime: Arc<Runtime>,
    options: HostOptions,
    tls: Arc<ClientConfig>,
    current: RwLock<(Arc<Plugin>, u64)>,
    tenants: RwLock<HashMap<String, Arc<Tenant>>>,
    in_flight: AtomicUsize,
}

impl std::fmt::Debug for TenantHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantHost")
            .field("runtime", &self.runtime)
            .field("component", &self.component())
            .field("tenants", &self.tenant_count())
            .finish_non_exhaustive()
    }
}

impl TenantHost {
    /// Loads `component` into `runtime`.
    pub fn new(
        runtime: Arc<Runtime>,
        component: &[u8],
        options: HostOptions,
    ) -> anyhow::Result<Self> {
        let plugin = Plugin::load_into(&runtime, component, &options.load)?;
        let tls = match &options.tls {
            Some(tls) => tls.clone(),
            None => crate::transport::TlsRoots::system().client_config()?,
        };
        Ok(Self {
            runtime,
            options,
            tls,
            current: RwLock::new((Arc::new(plugin), 0)),
            tenants: RwLock::new(HashMap::new()),
            in_flight: AtomicUsize::new(0),
        })
    }

    /// The runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Compiles (or loads from the cache) a new version of the component and
    /// makes it answer every call started from now on. Calls in flight finish
    /// on the version they started with. On error the current version stays.
    pub fn replace_component(&self, component: &[u8]) -> anyhow::Result<ComponentInfo> {
        let plugin = Arc::new(Plugin::load_into(
            &self.runtime,
            component,
            &self.options.load,
        )?);
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        *current = (plugin, current.1 + 1);
        Ok(info(&current.0, current.1))
    }

    /// The version answering new calls.
    pub fn component(&self) -> ComponentInfo {
        let (plugin, generation) = self.plugin();
        info(&plugin, generation)
    }

    fn plugin(&self) -> (Arc<Plugin>, u64) {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        (current.0.clone(), current.1)
    }

    /// Adds a tenant, or replaces its configuration (calls in flight keep the
    /// old one; its metrics start again from zero).
    pub fn add_tenant(&self, id: &str, config: TenantConfig) {
        let tenant = Arc::new(Tenant {
            http: Arc::new(HttpClient::new(config.http_policy, config.http_limits)),
            transports: Arc::new(Transports::new(
                config.mail_policy,
                config.transport_limits,
                self.tls.clone(),
            )),
            limits: config.call_limits,
            metrics: Metrics::default(),
        });
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned(), tenant);
    }

    /// Removes a tenant; true when it existed.
    pub fn remove_tenant(&self, id: &str) -> bool {
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
            .is_some()
    }

    /// Calls in progress, all tenants.
    pub fn calls_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// How many tenants are registered.
    pub fn tenant_count(&self) -> usize {
        self.tenants.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn tenant(&self, id: &str) -> Option<Arc<Tenant>> {
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Runs `f` in a fresh instance with `tenant`'s policy and limits, and
    /// counts the call in the tenant's metrics. `None` when there is no such
    /// tenant. Whatever `f` does with the session ends with the call.
    pub fn call<R, E: CallFailure>(
        &self,
        tenant: &str,
        f: impl FnOnce(&mut Session) -> Result<R, E>,
    ) -> Option<Result<R, E>> {
        let tenant = self.tenant(tenant)?;
        let (plugin, _) = self.plugin();
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let _in_flight = InFlight(&self.in_flight);
        let started = Instant::now();
        let config = SessionConfig {
            http: tenant.http.clone(),
            transports: Some(tenant.transports.clone()),
            limits: tenant.limits.clone(),
        };
        let (result, host) = match plugin.session_with(config) {
            Ok(mut session) => {
                let r = f(&mut session);
                (r, session.total_host_time())
            }
            Err(e) => (Err(E::from(e)), Duration::ZERO),
        };
        let guest = started.elapsed().saturating_sub(host);
        let kind = result.as_ref().err().map(CallFailure::kind);
        tenant.metrics.record(kind, guest, host);
        Some(result)
    }

    /// The tenant's counters, `None` when there is no such tenant.
    pub fn metrics(&self, tenant: &str) -> Option<TenantMetrics> {
        self.tenant(tenant).map(|t| t.metrics.snapshot())
    }

    /// Instantiates the current component with no network and calls
    /// `sasl.xoauth2` on a known input: the component loads, runs and
    /// answers correctly.
    pub fn health(&self) -> Health {
        let (plugin, generation) = self.plugin();
        let started = Instant::now();
        let (problem, pooled_instances) = probe(&plugin);
        Health {
            ok: problem.is_none(),
            problem,
            component: info(&plugin, generation),
            probe_time: started.elapsed(),
            tenants: self.tenant_count(),
            calls_in_flight: self.in_flight.load(Ordering::Relaxed),
            pooled_instances,
        }
    }
}

fn info(plugin: &Plugin, generation: u64) -> ComponentInfo {
    ComponentInfo {
        digest: plugin.digest(),
        source: plugin.source(),
        generation,
    }
}

/// The health probe: a call with a known answer, no network; and the pool's
/// live instance count, read while the probe holds a slot.
fn probe(plugin: &Plugin) -> (Option<String>, Option<u64>) {
    let mut pooled = None;
    let problem = probe_call(plugin, &mut pooled).err();
    (problem, pooled)
}

fn probe_call(plugin: &Plugin, pooled: &mut Option<u64>) -> Result<(), String> {
    use base64::Engine as _;
    let http = Arc::new(HttpClient::new(
        EgressPolicy::deny_all(),
        HttpLimits::default(),
    ));
    let mut session = plugin
        .session_with(SessionConfig {
            http,
            transports: None,
            limits: CallLimits::default(),
        })
        .map_err(|e| format!("cannot instantiate the component: {e}"))?;
    *pooled = plugin
        .runtime()
        .engine()
        .pooling_allocator_metrics()
        .map(|m| m.component_instances());
    let user = "health@mail-oauth.invalid";
    let got = session
        .xoauth2(user, &Secret::new("probe".to_owned()))
        .map_err(|e| format!("sasl.xoauth2 failed: {e}"))?;
    let want = base64::engine::general_purpose::STANDARD
        .encode(format!("user={user}\x01auth=Bearer probe\x01\x01"));
    if got.expose() == want {
        Ok(())
    } else {
        Err("sasl.xoauth2 returned a wrong answer".to_owned())
    }
}

struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
