//! Loading the component.
//!
//! [`Plugin`] compiles the component once (or loads a precompiled artifact
//! from its cache, [`crate::cache`]), links the imports once and keeps an
//! `InstancePre`. Every operation then gets a fresh [`Session`]: a new
//! `Store` and instance, so that nothing one call leaves in linear memory is
//! seen by the next. The component is stateless by contract, so this costs
//! only the instantiation.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, InstancePre, Linker, ResourceTable};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::WasiCtx;

use crate::bindings::{self, mail as wit_mail, oauth as wit_oauth, sasl as wit_sasl};
use crate::cache;
pub use crate::cache::LoadSource;
use crate::engine::{EngineOptions, Runtime};
use crate::error::Error;
use crate::host::HostState;
use crate::http_client::HttpClient;
use crate::limits::{CallLimits, CallMeter, ticks_for};
use crate::session::{ExportIndices, Session};
use crate::transport::Transports;

/// How a [`Plugin`] is loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Directory for precompiled artifacts (`<hash>.cwasm`). `None` compiles
    /// on every load.
    pub cache_dir: Option<PathBuf>,
}

/// The loaded component: compiled code plus linked imports, ready to
/// instantiate many times, from many threads.
pub struct Plugin {
    runtime: Arc<Runtime>,
    pre: InstancePre<HostState>,
    exports: Arc<ExportIndices>,
    source: LoadSource,
    digest: [u8; 32],
}

/// The most bytes one `wasi:random` call may ask for (wasmtime's default is
/// 64 MiB, allocated by the host before it is copied into the guest).
pub const MAX_RANDOM_BYTES: u64 = 64 << 10;
/// The most resources (streams, pollables, mail connections) one session's
/// table may hold at once (wasmtime's default is 1,000,000).
pub const MAX_RESOURCES: usize = 1_000;

/// What one session may do and use.
#[derive(Clone)]
pub struct SessionConfig {
    /// The `http` import's client, with its egress policy and limits.
    pub http: Arc<HttpClient>,
    /// The `transport` import's connections; `None`: no mail connection.
    pub transports: Option<Arc<Transports>>,
    /// Memory, time and hostcall data caps of each call.
    pub limits: CallLimits,
}
impl Plugin {
    /// Loads the component at `path` into a runtime of its own
    /// ([`EngineOptions::single_user`]).
    pub fn load(path: &Path, options: &LoadOptions) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the component {}", path.display()))?;
        Self::from_bytes(&bytes, options)
    }

    /// Loads the component from its bytes into a runtime of its own, using
    /// the precompiled cache when `options.cache_dir` is set.
    pub fn from_bytes(bytes: &[u8], options: &LoadOptions) -> anyhow::Result<Self> {
        let runtime = Arc::new(Runtime::new(EngineOptions::single_user())?);
        Self::load_into(&runtime, bytes, options)
    }

    /// Loads the component from its bytes and from `precompiled`, the same
    /// component compiled ahead of time by [`crate::engine::precompile`] for
    /// [`EngineOptions::single_user`] (a host binary embeds both). When the
    /// artifact does not fit this machine or this wasmtime (another CPU,
    /// another version), the component is loaded as [`Plugin::from_bytes`]
    /// does instead, through `options`' cache.
    ///
    /// `precompiled` must come from the host's own build, never from
    /// outside: wasmtime runs precompiled code as it is.
    pub fn from_precompiled(
        bytes: &[u8],
        precompiled: &[u8],
        options: &LoadOptions,
    ) -> anyhow::Result<Self> {
        let runtime = Arc::new(Runtime::new(EngineOptions::single_user())?);
        match cache::deserialize_embedded(runtime.engine(), precompiled) {
            Ok(component) => Self::link(&runtime, component, LoadSource::Embedded, bytes),
            Err(_) => Self::load_into(&runtime, bytes, options),
        }
    }

    /// Loads the component into a shared runtime: every version of the
    /// component loaded into one runtime shares its instance pool and ticker.
    pub fn load_into(
        runtime: &Arc<Runtime>,
        bytes: &[u8],
        options: &LoadOptions,
    ) -> anyhow::Result<Self> {
        let engine = runtime.engine();
        let (component, source) = match &options.cache_dir {
            Some(dir) => cache::load_cached(engine, bytes, dir)?,
            None => (Component::new(engine, bytes)?, LoadSource::Compiled),
        };
        Self::link(runtime, component, source, bytes)
    }

    /// Links the imports to a compiled `component` (whose source is `bytes`)
    /// and checks its exports.
    fn link(
        runtime: &Arc<Runtime>,
        component: Component,
        source: LoadSource,
        bytes: &[u8],
    ) -> anyhow::Result<Self> {
        let engine = runtime.engine();
        crate::wasi::check_imports(engine, &component)?;
        let mut linker = Linker::<HostState>::new(engine);
        crate::wasi::add_to_linker(&mut linker)?;
        bindings::Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
        let pre = linker.instantiate_pre(&component)?;
        let exports = Arc::new(ExportIndices {
            oauth: wit_oauth::GuestIndices::new(&pre)?,
            sasl: wit_sasl::GuestIndices::new(&pre)?,
            mail: wit_mail::GuestIndices::new(&pre)?,
        });
        let plugin = Self {
            runtime: runtime.clone(),
            pre,
            exports,
            source,
            digest: Sha256::digest(bytes).into(),
        };
        // Type-check every export now, once: a component built against
        // another contract fails here rather than on its first call.
        let mut probe = plugin.session_with(SessionConfig {
            http: Arc::new(HttpClient::new(
                crate::egress::EgressPolicy::deny_all(),
                crate::http_client::HttpLimits::default(),
            )),
            transports: None,
            limits: CallLimits::default(),
        })?;
        probe.oauth()?;
        probe.sasl()?;
        probe.mail()?;
        Ok(plugin)
    }

    /// Whether this load compiled the component or used the cache.
    pub fn source(&self) -> LoadSource {
        self.source
    }

    /// The SHA-256 of the component's bytes, in hex: which version this is.
    pub fn digest(&self) -> String {
        self.digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The runtime the component is loaded into.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// A fresh instance whose `http` import goes through `http`; it may open
    /// no mail connection. Default [`CallLimits`].
    pub fn session(&self, http: Arc<HttpClient>) -> Result<Session, Error> {
        self.session_with(SessionConfig {
            http,
            transports: None,
            limits: CallLimits::default(),
        })
    }

    /// A fresh instance that may also open mail connections through
    /// `transports` (under their own egress policy). Default [`CallLimits`].
    pub fn mail_session(
        &self,
        http: Arc<HttpClient>,
        transports: Arc<Transports>,
    ) -> Result<Session, Error> {
        self.session_with(SessionConfig {
            http,
            transports: Some(transports),
            limits: CallLimits::default(),
        })
    }

    /// A fresh instance in its own store, with `config`'s imports and limits.
    /// After a call fails with [`Error::Limit`] or [`Error::Trap`] the
    /// session is unusable: drop it and take a new one.
    pub fn session_with(&self, config: SessionConfig) -> Result<Session, Error> {
        // The guest sees no environment, arguments, files, sockets or stdio:
        // its only ways out are the `http` and `transport` imports.
        // Host-side allocations a guest can ask for are capped: random bytes
        // (the component needs 32 at a time) and resource-table entries
        // (a few stdio handles, pollables and mail connections).
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .max_random_size(MAX_RANDOM_BYTES)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        let mut limits = config.limits;
        if let Some(cap) = self.runtime.pooled_memory_cap() {
            limits.max_memory_bytes = limits.max_memory_bytes.min(cap);
        }
        let mut store = Store::new(
            self.engine(),
            HostState {
                wasi,
                table,
                http: config.http,
                transports: config.transports,
                meter: CallMeter::new(limits),
            },
        );
        store.limiter(|s| &mut s.meter);
        let tick = self.runtime.epoch_tick();
        if let Some(tick) = tick {
            store.set_epoch_deadline(ticks_for(store.data().meter.limits().max_guest_time, tick));
            store.epoch_deadline_callback(move |ctx| {
                let ticks = ctx.data().meter.check_time(tick)?;
                Ok(UpdateDeadline::Continue(ticks))
            });
        }
        let instance = self.pre.instantiate(&mut store)?;
        Ok(Session::new(store, instance, self.exports.clone(), tick))
    }

    fn engine(&self) -> &Engine {
        self.runtime.engine()
    }
}
