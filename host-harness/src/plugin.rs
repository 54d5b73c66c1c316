//! Loading the component and calling its exports.
//!
//! [`Plugin`] compiles the component once (or loads a precompiled artifact
//! from its cache), links the imports once and keeps an `InstancePre`. Every
//! operation then gets a fresh [`Session`]: a new `Store` and instance, so that
//! nothing one call leaves in linear memory is seen by the next. The component
//! is stateless by contract, so this costs only the instantiation.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use wasmtime::component::{
    Component, HasSelf, Instance, InstancePre, Linker, Resource, ResourceTable,
};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::engine::{EngineOptions, Runtime};
use crate::error::{Error, MailFailure, OAuthError};
use crate::http_client::{HttpClient, HttpError, HttpRequest};
use crate::limits::{CallLimits, CallMeter, ticks_for};
use crate::model::{
    AuthorizationOptions, Client, ClientAuth, Credentials, MailLogin, MailProtocol, MailReport,
    MailServer, Mechanism, PendingAuthorization, Provider, Secret, Server, Step, TestMessage,
    TokenKind, TokenSet,
};
use crate::transport::{MailConnection, Security, TransportError, Transports};

// Generated bindings stay private: their records derive `Debug` with every
// field, secrets included. Callers get `crate::model` types instead.
mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
        // The guest's `connection` handles are host `MailConnection`s in the
        // store's resource table.
        with: { "mail-oauth:plugin/transport.connection": crate::transport::MailConnection },
        // Every import may trap: a call that passes its hostcall data cap is
        // stopped, not answered.
        imports: { default: trappable },
    });
}

use bindings::exports::mail_oauth::plugin::{
    mail as wit_mail, oauth as wit_oauth, sasl as wit_sasl,
};
use bindings::mail_oauth::plugin::{http as wit_http, transport as wit_transport, types as wit};

/// Where the `mail-oauth` CLI and the tests find the component when no path
/// is given: the workspace's release build of `guest/`.
pub const DEFAULT_COMPONENT_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../target/wasm32-wasip2/component/mail_oauth_guest.wasm"
);

/// How a [`Plugin`] is loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Directory for precompiled artifacts (`<hash>.cwasm`). `None` compiles
    /// on every load.
    pub cache_dir: Option<PathBuf>,
}

/// How a [`Plugin`] was obtained, for diagnostics and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadSource {
    /// Compiled from the component bytes (and written to the cache if any).
    Compiled,
    /// Deserialized from a precompiled artifact in the cache.
    Precompiled,
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

/// Where each exported interface's functions are, resolved once per load.
/// A session type-checks an interface's functions (a walk over their WIT
/// types) only when it first calls into that interface.
struct ExportIndices {
    oauth: wit_oauth::GuestIndices,
    sasl: wit_sasl::GuestIndices,
    mail: wit_mail::GuestIndices,
}

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

/// The per-store state the imports see.
struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    http: Arc<HttpClient>,
    /// `None`: this operation may open no mail connection.
    transports: Option<Arc<Transports>>,
    meter: CallMeter,
}

impl HostState {
    /// Runs an import's host side, counting its time as host time.
    fn timed<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let t = Instant::now();
        let r = f(self);
        self.meter.add_host_time(t.elapsed());
        r
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wit_http::Host for HostState {
    fn send(
        &mut self,
        req: wit_http::Request,
    ) -> wasmtime::Result<Result<wit_http::Response, wit_http::HttpError>> {
        let size = req.url.len()
            + req.method.len()
            + req.body.len()
            + req
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.len())
                .sum::<usize>();
        self.meter.charge(size)?;
        let request = HttpRequest {
            method: req.method,
            url: req.url,
            headers: req.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: req.body,
        };
        let http = self.http.clone();
        let result = self.timed(|_| http.send(request));
        if let Ok(resp) = &result {
            let size = resp.body.len()
                + resp
                    .headers
                    .iter()
                    .map(|(n, v)| n.len() + v.len())
                    .sum::<usize>();
            self.meter.charge(size)?;
        }
        Ok(match result {
            Ok(resp) => Ok(wit_http::Response {
                status: resp.status,
                headers: resp
                    .headers
                    .into_iter()
                    .map(|(name, value)| wit_http::Header { name, value })
                    .collect(),
                body: resp.body,
            }),
            Err(e) => Err(http_error_to_wit(e)),
        })
    }
}

impl wit::Host for HostState {}

impl wit_transport::Host for HostState {
    fn connect(
        &mut self,
        host: String,
        port: u16,
        security: wit_transport::Security,
    ) -> wasmtime::Result<Result<Resource<MailConnection>, wit_transport::TransportError>> {
        self.meter.charge(host.len())?;
        let Some(transports) = self.transports.clone() else {
            return Ok(Err(wit_transport::TransportError::Denied(format!(
                "{host}:{port}: this operation may open no mail connection"
            ))));
        };
        let security = match security {
            wit_transport::Security::ImplicitTls => Security::ImplicitTls,
            wit_transport::Security::Starttls => Security::Starttls,
            wit_transport::Security::Plain => Security::Plain,
        };
        let conn = match self.timed(|_| transports.connect(&host, port, security)) {
            Ok(conn) => conn,
            Err(e) => return Ok(Err(transport_error_to_wit(e))),
        };
        Ok(self
            .table
            .push(conn)
            .map_err(|e| wit_transport::TransportError::Other(e.to_string())))
    }
}

impl wit_transport::HostConnection for HostState {
    fn read_line(
        &mut self,
        conn: Resource<MailConnection>,
        max_len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, wit_transport::TransportError>> {
        let r = self.with_connection(&conn, |c| c.read_line(max_len));
        if let Ok(line) = &r {
            self.meter.charge(line.len())?;
        }
        Ok(r)
    }

    fn read_exact(
        &mut self,
        conn: Resource<MailConnection>,
        len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, wit_transport::TransportError>> {
        let r = self.with_connection(&conn, |c| c.read_exact(len));
        if let Ok(data) = &r {
            self.meter.charge(data.len())?;
        }
        Ok(r)
    }

    fn write(
        &mut self,
        conn: Resource<MailConnection>,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wit_transport::TransportError>> {
        self.meter.charge(data.len())?;
        Ok(self.with_connection(&conn, |c| c.write(&data)))
    }

    fn upgrade_tls(
        &mut self,
        conn: Resource<MailConnection>,
    ) -> wasmtime::Result<Result<(), wit_transport::TransportError>> {
        Ok(self.with_connection(&conn, |c| c.upgrade_tls()))
    }

    fn drop(&mut self, conn: Resource<MailConnection>) -> wasmtime::Result<()> {
        // Dropping the connection closes the socket and frees its slot.
        self.table.delete(conn)?;
        Ok(())
    }
}

impl HostState {
    /// Runs `f` on the connection behind `conn`, as host time.
    fn with_connection<R>(
        &mut self,
        conn: &Resource<MailConnection>,
        f: impl FnOnce(&mut MailConnection) -> Result<R, TransportError>,
    ) -> Result<R, wit_transport::TransportError> {
        self.timed(|s| {
            let c = s
                .table
                .get_mut(conn)
                .map_err(|e| wit_transport::TransportError::Other(e.to_string()))?;
            f(c).map_err(transport_error_to_wit)
        })
    }
}

fn transport_error_to_wit(e: TransportError) -> wit_transport::TransportError {
    match e {
        TransportError::Denied(s) => wit_transport::TransportError::Denied(s),
        TransportError::Refused(s) => wit_transport::TransportError::Refused(s),
        TransportError::Timeout => wit_transport::TransportError::Timeout,
        TransportError::Tls(s) => wit_transport::TransportError::Tls(s),
        TransportError::Closed => wit_transport::TransportError::Closed,
        TransportError::LineTooLong => wit_transport::TransportError::LineTooLong,
        TransportError::Other(s) => wit_transport::TransportError::Other(s),
    }
}

fn transport_error_from_wit(e: wit_transport::TransportError) -> TransportError {
    match e {
        wit_transport::TransportError::Denied(s) => TransportError::Denied(s),
        wit_transport::TransportError::Refused(s) => TransportError::Refused(s),
        wit_transport::TransportError::Timeout => TransportError::Timeout,
        wit_transport::TransportError::Tls(s) => TransportError::Tls(s),
        wit_transport::TransportError::Closed => TransportError::Closed,
        wit_transport::TransportError::LineTooLong => TransportError::LineTooLong,
        wit_transport::TransportError::Other(s) => TransportError::Other(s),
    }
}

fn http_error_to_wit(e: HttpError) -> wit_http::HttpError {
    match e {
        HttpError::Denied(s) => wit_http::HttpError::Denied(s),
        HttpError::Unreachable(s) => wit_http::HttpError::Unreachable(s),
        HttpError::Timeout => wit_http::HttpError::Timeout,
        HttpError::Tls(s) => wit_http::HttpError::Tls(s),
        HttpError::TooLarge => wit_http::HttpError::TooLarge,
        HttpError::Other(s) => wit_http::HttpError::Other(s),
    }
}

fn http_error_from_wit(e: wit_http::HttpError) -> HttpError {
    match e {
        wit_http::HttpError::Denied(s) => HttpError::Denied(s),
        wit_http::HttpError::Unreachable(s) => HttpError::Unreachable(s),
        wit_http::HttpError::Timeout => HttpError::Timeout,
        wit_http::HttpError::Tls(s) => HttpError::Tls(s),
        wit_http::HttpError::TooLarge => HttpError::TooLarge,
        wit_http::HttpError::Other(s) => HttpError::Other(s),
    }
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

    /// Loads the component into a shared runtime: every version of the
    /// component loaded into one runtime shares its instance pool and ticker.
    pub fn load_into(
        runtime: &Arc<Runtime>,
        bytes: &[u8],
        options: &LoadOptions,
    ) -> anyhow::Result<Self> {
        let engine = runtime.engine();
        let (component, source) = match &options.cache_dir {
            Some(dir) => load_cached(engine, bytes, dir)?,
            None => (Component::new(engine, bytes)?, LoadSource::Compiled),
        };
        let mut linker = Linker::<HostState>::new(engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
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
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let mut limits = config.limits;
        if let Some(cap) = self.runtime.pooled_memory_cap() {
            limits.max_memory_bytes = limits.max_memory_bytes.min(cap);
        }
        let mut store = Store::new(
            self.engine(),
            HostState {
                wasi,
                table: ResourceTable::new(),
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
        Ok(Session {
            store,
            instance,
            exports: self.exports.clone(),
            oauth: None,
            sasl: None,
            mail: None,
            tick,
        })
    }

    fn engine(&self) -> &Engine {
        self.runtime.engine()
    }
}

/// A precompiled artifact is valid for one component and one engine
/// configuration: the file name hashes both.
fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let mut h = Sha256::new();
    h.update(bytes);
    h.update(engine_hash.finish().to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let digest = h.finalize();
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

fn load_cached(
    engine: &Engine,
    bytes: &[u8],
    dir: &Path,
) -> anyhow::Result<(Component, LoadSource)> {
    let path = dir.join(format!("{}.cwasm", cache_key(engine, bytes)));
    if path.exists() {
        match deserialize_artifact(engine, &path) {
            Ok(c) => return Ok((c, LoadSource::Precompiled)),
            // A truncated or foreign file is rebuilt rather than trusted.
            Err(_) => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let component = Component::new(engine, bytes)?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the cache dir {}", dir.display()))?;
    // Written aside, then renamed into place: readers never see half a file.
    // The name is unique per load, since threads of one process (and other
    // processes) may compile the same component at once; the last rename wins
    // and every copy is equally good.
    let tmp = temporary_path(&path);
    std::fs::write(&tmp, component.serialize()?)?;
    if let Err(e) = std::fs::rename(&tmp, &path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok((component, LoadSource::Compiled))
}

/// A name beside `path`, unique to this process and this call.
fn temporary_path(path: &Path) -> PathBuf {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    path.with_extension(format!(
        "tmp{}-{}",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ))
}

#[expect(
    unsafe_code,
    reason = "wasmtime trusts precompiled code; we only read artifacts we wrote into our own cache dir, named by the hash of the component and engine"
)]
fn deserialize_artifact(engine: &Engine, path: &Path) -> anyhow::Result<Component> {
    // SAFETY: the file was produced by `Component::serialize` of this same
    // engine configuration (its name is the hash of both) in a directory the
    // host owns; wasmtime additionally checks the header and version.
    Ok(unsafe { Component::deserialize_file(engine, path) }?)
}

/// One instance of the component in its own store.
pub struct Session {
    store: Store<HostState>,
    instance: Instance,
    exports: Arc<ExportIndices>,
    oauth: Option<wit_oauth::Guest>,
    sasl: Option<wit_sasl::Guest>,
    mail: Option<wit_mail::Guest>,
    tick: Option<Duration>,
}

impl Session {
    fn oauth(&mut self) -> wasmtime::Result<wit_oauth::Guest> {
        if let Some(guest) = &self.oauth {
            return Ok(guest.clone());
        }
        let guest = self.exports.oauth.load(&mut self.store, &self.instance)?;
        self.oauth = Some(guest.clone());
        Ok(guest)
    }

    fn sasl(&mut self) -> wasmtime::Result<wit_sasl::Guest> {
        if let Some(guest) = &self.sasl {
            return Ok(guest.clone());
        }
        let guest = self.exports.sasl.load(&mut self.store, &self.instance)?;
        self.sasl = Some(guest.clone());
        Ok(guest)
    }

    fn mail(&mut self) -> wasmtime::Result<wit_mail::Guest> {
        if let Some(guest) = &self.mail {
            return Ok(guest.clone());
        }
        let guest = self.exports.mail.load(&mut self.store, &self.instance)?;
        self.mail = Some(guest.clone());
        Ok(guest)
    }

    /// Restarts the per-call limits: each export call gets the full budget.
    fn begin(&mut self) {
        self.store.data_mut().meter.start();
        if let Some(tick) = self.tick {
            let budget = self.store.data().meter.limits().max_guest_time;
            self.store.set_epoch_deadline(ticks_for(budget, tick));
        }
    }

    /// Time this session's calls spent in host imports (HTTP, sockets).
    pub fn total_host_time(&self) -> Duration {
        self.store.data().meter.total_host_time
    }

    /// The built-in provider presets.
    pub fn providers(&mut self) -> Result<Vec<Provider>, Error> {
        self.begin();
        let list = self.oauth()?.call_providers(&mut self.store)?;
        Ok(list.into_iter().map(provider_from_wit).collect())
    }

    /// Google.
    pub fn google(&mut self) -> Result<Provider, Error> {
        self.preset(wit::PresetKind::Google)
    }

    /// Microsoft identity platform v2 for `tenant`.
    pub fn microsoft(&mut self, tenant: &str) -> Result<Provider, Error> {
        self.preset(wit::PresetKind::Microsoft(tenant.to_owned()))
    }

    fn preset(&mut self, kind: wit::PresetKind) -> Result<Provider, Error> {
        self.begin();
        let p = self.oauth()?.call_preset(&mut self.store, &kind)??;
        Ok(provider_from_wit(p))
    }

    /// OIDC / RFC 8414 discovery from an issuer URL.
    pub fn discover(&mut self, issuer: &str) -> Result<Provider, Error> {
        self.begin();
        let p = self.oauth()?.call_discover(&mut self.store, issuer)??;
        Ok(provider_from_wit(p))
    }

    /// Builds the authorization URL and the secrets to keep.
    pub fn begin_authorization(
        &mut self,
        provider: &Provider,
        client: &Client,
        options: &AuthorizationOptions,
    ) -> Result<PendingAuthorization, Error> {
        self.begin();
        let options = wit::AuthorizationOptions {
            scopes: options.scopes.clone(),
            login_hint: options.login_hint.clone(),
        };
        let p = self.oauth()?.call_begin_authorization(
            &mut self.store,
            &provider_to_wit(provider),
            &client_to_wit(client),
            &options,
        )??;
        Ok(PendingAuthorization {
            url: p.url,
            state: Secret::new(p.state),
            pkce_verifier: Secret::new(p.pkce_verifier),
            nonce: p.nonce.map(Secret::new),
            redirect_uri: p.redirect_uri,
            scopes: p.scopes,
        })
    }

    /// Checks the callback and exchanges the code.
    pub fn complete_authorization(
        &mut self,
        provider: &Provider,
        client: &Client,
        pending: &PendingAuthorization,
        callback: &str,
        now: u64,
    ) -> Result<TokenSet, Error> {
        self.begin();
        let pending = wit::PendingAuthorization {
            url: pending.url.clone(),
            state: pending.state.expose().to_owned(),
            pkce_verifier: pending.pkce_verifier.expose().to_owned(),
            nonce: pending.nonce.as_ref().map(|n| n.expose().to_owned()),
            redirect_uri: pending.redirect_uri.clone(),
            scopes: pending.scopes.clone(),
        };
        let t = self.oauth()?.call_complete_authorization(
            &mut self.store,
            &provider_to_wit(provider),
            &client_to_wit(client),
            &pending,
            callback,
            now,
        )??;
        Ok(tokens_from_wit(t))
    }

    /// Refreshes unconditionally.
    pub fn refresh(
        &mut self,
        provider: &Provider,
        client: &Client,
        tokens: &TokenSet,
        now: u64,
    ) -> Result<TokenSet, Error> {
        self.begin();
        let t = self.oauth()?.call_refresh(
            &mut self.store,
            &provider_to_wit(provider),
            &client_to_wit(client),
            &tokens_to_wit(tokens),
            now,
        )??;
        Ok(tokens_from_wit(t))
    }

    /// Refreshes when the access token expires within `skew` seconds; the
    /// boolean says whether it did (and so whether to store the result).
    pub fn ensure_fresh(
        &mut self,
        provider: &Provider,
        client: &Client,
        tokens: &TokenSet,
        now: u64,
        skew: u32,
    ) -> Result<(TokenSet, bool), Error> {
        self.begin();
        let f = self.oauth()?.call_ensure_fresh(
            &mut self.store,
            &provider_to_wit(provider),
            &client_to_wit(client),
            &tokens_to_wit(tokens),
            now,
            skew,
        )??;
        Ok((tokens_from_wit(f.tokens), f.refreshed))
    }

    /// Revokes a token at the provider.
    pub fn revoke(
        &mut self,
        provider: &Provider,
        client: &Client,
        token: &Secret,
        kind: TokenKind,
    ) -> Result<(), Error> {
        self.begin();
        let kind = match kind {
            TokenKind::AccessToken => wit::TokenKind::AccessToken,
            TokenKind::RefreshToken => wit::TokenKind::RefreshToken,
        };
        self.oauth()?.call_revoke(
            &mut self.store,
            &provider_to_wit(provider),
            &client_to_wit(client),
            token.expose(),
            kind,
        )??;
        Ok(())
    }

    /// The XOAUTH2 initial client response (base64).
    pub fn xoauth2(&mut self, user: &str, access_token: &Secret) -> Result<Secret, Error> {
        self.begin();
        let s = self
            .sasl()?
            .call_xoauth2(&mut self.store, user, access_token.expose())??;
        Ok(Secret::new(s))
    }

    /// The OAUTHBEARER initial client response (base64).
    pub fn oauthbearer(
        &mut self,
        user: &str,
        host: &str,
        port: u16,
        access_token: &Secret,
    ) -> Result<Secret, Error> {
        self.begin();
        let s = self.sasl()?.call_oauthbearer(
            &mut self.store,
            user,
            host,
            port,
            access_token.expose(),
        )??;
        Ok(Secret::new(s))
    }

    /// Decodes a server's SASL error challenge.
    pub fn parse_sasl_failure(&mut self, challenge: &str) -> Result<SaslFailure, Error> {
        self.begin();
        let f = self
            .sasl()?
            .call_parse_failure(&mut self.store, challenge)??;
        Ok(SaslFailure {
            status: f.status,
            schemes: f.schemes,
            scope: f.scope,
        })
    }
}

impl Session {
    /// Authenticates on IMAP, examines INBOX, logs out.
    pub fn verify_imap(
        &mut self,
        server: &Server,
        login: &MailLogin,
    ) -> Result<MailReport, MailFailure> {
        self.begin();
        let r = self.mail()?.call_verify_imap(
            &mut self.store,
            &server_to_wit(server),
            &login_to_wit(login),
        )?;
        mail_result(r)
    }

    /// Authenticates on POP3, STAT, QUIT.
    pub fn verify_pop3(
        &mut self,
        server: &Server,
        login: &MailLogin,
    ) -> Result<MailReport, MailFailure> {
        self.begin();
        let r = self.mail()?.call_verify_pop3(
            &mut self.store,
            &server_to_wit(server),
            &login_to_wit(login),
        )?;
        mail_result(r)
    }

    /// EHLO, STARTTLS when asked, AUTH, QUIT.
    pub fn verify_smtp(
        &mut self,
        server: &Server,
        login: &MailLogin,
    ) -> Result<MailReport, MailFailure> {
        self.begin();
        let r = self.mail()?.call_verify_smtp(
            &mut self.store,
            &server_to_wit(server),
            &login_to_wit(login),
        )?;
        mail_result(r)
    }

    /// Authenticates on SMTP and sends a test message.
    pub fn send_test_message(
        &mut self,
        server: &Server,
        login: &MailLogin,
        message: &TestMessage,
    ) -> Result<MailReport, MailFailure> {
        self.begin();
        let message = wit_mail::TestMessage {
            sender: message.sender.clone(),
            recipients: message.recipients.clone(),
            subject: message.subject.clone(),
            body: message.body.clone(),
            send_as: message.send_as,
            now: message.now,
        };
        let r = self.mail()?.call_send_test_message(
            &mut self.store,
            &server_to_wit(server),
            &login_to_wit(login),
            &message,
        )?;
        mail_result(r)
    }
}

fn security_to_wit(s: Security) -> wit_transport::Security {
    match s {
        Security::ImplicitTls => wit_transport::Security::ImplicitTls,
        Security::Starttls => wit_transport::Security::Starttls,
        Security::Plain => wit_transport::Security::Plain,
    }
}

fn server_to_wit(s: &Server) -> wit::Server {
    wit::Server {
        host: s.host.clone(),
        port: s.port,
        security: security_to_wit(s.security),
    }
}

fn server_from_wit(s: wit::Server) -> Server {
    Server {
        host: s.host,
        port: s.port,
        security: match s.security {
            wit_transport::Security::ImplicitTls => Security::ImplicitTls,
            wit_transport::Security::Starttls => Security::Starttls,
            wit_transport::Security::Plain => Security::Plain,
        },
    }
}

fn login_to_wit(login: &MailLogin) -> wit_mail::Login {
    wit_mail::Login {
        user: login.user.clone(),
        credentials: match &login.credentials {
            Credentials::AccessToken(t) => {
                wit_mail::Credentials::AccessToken(t.expose().to_owned())
            }
            Credentials::Refreshable(r) => {
                wit_mail::Credentials::Refreshable(wit_mail::Refreshable {
                    provider: provider_to_wit(&r.provider),
                    client: client_to_wit(&r.client),
                    tokens: tokens_to_wit(&r.tokens),
                    now: r.now,
                })
            }
        },
        mechanism: login.mechanism.map(|m| match m {
            Mechanism::Xoauth2 => wit_mail::Mechanism::Xoauth2,
            Mechanism::Oauthbearer => wit_mail::Mechanism::Oauthbearer,
        }),
    }
}

fn mail_result(
    r: Result<wit_mail::Report, wit_mail::MailFailure>,
) -> Result<MailReport, MailFailure> {
    match r {
        Ok(report) => Ok(MailReport {
            greeting: report.greeting,
            capabilities: report.capabilities,
            mechanism: match report.mechanism {
                wit_mail::Mechanism::Xoauth2 => Mechanism::Xoauth2,
                wit_mail::Mechanism::Oauthbearer => Mechanism::Oauthbearer,
            },
            steps: report
                .steps
                .into_iter()
                .map(|s| Step {
                    name: s.name,
                    millis: s.millis,
                    detail: s.detail,
                })
                .collect(),
            refreshed: report.refreshed.map(tokens_from_wit),
        }),
        Err(f) => Err(MailFailure {
            error: f.error.into(),
            refreshed: f.refreshed.map(|t| Box::new(tokens_from_wit(t))),
        }),
    }
}

/// A decoded SASL error challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslFailure {
    /// `status`, e.g. `401` or `invalid_token`.
    pub status: String,
    /// `schemes`, e.g. `bearer`.
    pub schemes: Option<String>,
    /// `scope` the server requires.
    pub scope: Option<String>,
}

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Self {
        let failure = |f: wit::ProviderFailure| (f.code, f.description);
        Error::OAuth(match e {
            wit::Error::ReauthorizeRequired(f) => {
                let (code, description) = failure(f);
                OAuthError::ReauthorizeRequired { code, description }
            }
            wit::Error::AccessDenied(d) => OAuthError::AccessDenied(d),
            wit::Error::StateMismatch => OAuthError::StateMismatch,
            wit::Error::IssuerMismatch(m) => OAuthError::IssuerMismatch {
                expected: m.expected,
                received: m.received,
            },
            wit::Error::ProviderError(f) => {
                let (code, description) = failure(f);
                OAuthError::ProviderError { code, description }
            }
            wit::Error::Http(e) => OAuthError::Http(http_error_from_wit(e)),
            wit::Error::InvalidResponse(r) => OAuthError::InvalidResponse {
                status: r.status,
                detail: r.detail,
            },
            wit::Error::InvalidInput(s) => OAuthError::InvalidInput(s),
            wit::Error::Transport(e) => OAuthError::Transport(transport_error_from_wit(e)),
            wit::Error::SaslRejected(r) => OAuthError::SaslRejected {
                status: r.status,
                scope: r.scope,
                server_text: r.server_text,
            },
            wit::Error::NoMechanism(offered) => OAuthError::NoMechanism(offered),
            wit::Error::TlsUnavailable(s) => OAuthError::TlsUnavailable(s),
            wit::Error::CommandRejected(r) => OAuthError::CommandRejected {
                step: r.step,
                reply: r.reply,
            },
            wit::Error::MailProtocol(r) => OAuthError::MailProtocol {
                step: r.step,
                reply: r.reply,
            },
            wit::Error::SenderNotAuthorized(m) => OAuthError::SenderNotAuthorized {
                sender: m.sender,
                user: m.user,
            },
        })
    }
}

fn provider_from_wit(p: wit::Provider) -> Provider {
    Provider {
        id: p.id,
        display_name: p.display_name,
        issuer: p.issuer,
        authorization_endpoint: p.authorization_endpoint,
        token_endpoint: p.token_endpoint,
        revocation_endpoint: p.revocation_endpoint,
        default_scopes: p.default_scopes,
        extra_parameters: p.extra_parameters,
        client_auth: match p.client_auth {
            wit::ClientAuth::Basic => ClientAuth::Basic,
            wit::ClientAuth::Post => ClientAuth::Post,
        },
        mail_servers: p
            .mail_servers
            .into_iter()
            .map(|m| MailServer {
                protocol: match m.protocol {
                    wit::MailProtocol::Imap => MailProtocol::Imap,
                    wit::MailProtocol::Pop3 => MailProtocol::Pop3,
                    wit::MailProtocol::Smtp => MailProtocol::Smtp,
                },
                server: server_from_wit(m.server),
            })
            .collect(),
    }
}

fn provider_to_wit(p: &Provider) -> wit::Provider {
    wit::Provider {
        id: p.id.clone(),
        display_name: p.display_name.clone(),
        issuer: p.issuer.clone(),
        authorization_endpoint: p.authorization_endpoint.clone(),
        token_endpoint: p.token_endpoint.clone(),
        revocation_endpoint: p.revocation_endpoint.clone(),
        default_scopes: p.default_scopes.clone(),
        extra_parameters: p.extra_parameters.clone(),
        client_auth: match p.client_auth {
            ClientAuth::Basic => wit::ClientAuth::Basic,
            ClientAuth::Post => wit::ClientAuth::Post,
        },
        mail_servers: p
            .mail_servers
            .iter()
            .map(|m| wit::MailServer {
                protocol: match m.protocol {
                    MailProtocol::Imap => wit::MailProtocol::Imap,
                    MailProtocol::Pop3 => wit::MailProtocol::Pop3,
                    MailProtocol::Smtp => wit::MailProtocol::Smtp,
                },
                server: server_to_wit(&m.server),
            })
            .collect(),
    }
}

fn client_to_wit(c: &Client) -> wit::Client {
    wit::Client {
        id: c.id.clone(),
        secret: c.secret.as_ref().map(|s| s.expose().to_owned()),
        redirect_uri: c.redirect_uri.clone(),
    }
}

fn tokens_from_wit(t: wit::TokenSet) -> TokenSet {
    TokenSet {
        access_token: Secret::new(t.access_token),
        refresh_token: t.refresh_token.map(Secret::new),
        expires_at: t.expires_at,
        scopes: t.scopes,
        id_token: t.id_token.map(Secret::new),
        account_email: t.account_email,
    }
}

fn tokens_to_wit(t: &TokenSet) -> wit::TokenSet {
    wit::TokenSet {
        access_token: t.access_token.expose().to_owned(),
        refresh_token: t.refresh_token.as_ref().map(|s| s.expose().to_owned()),
        expires_at: t.expires_at,
        scopes: t.scopes.clone(),
        id_token: t.id_token.as_ref().map(|s| s.expose().to_owned()),
        account_email: t.account_email.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cache_write_gets_its_own_temporary_file() {
        // Threads of one process compiling the same component at once must
        // not write (and rename away) each other's temporary file.
        let artifact = Path::new("/cache/0123abcd.cwasm");
        let (a, b) = (temporary_path(artifact), temporary_path(artifact));
        assert_ne!(a, b);
        assert_eq!(a.parent(), artifact.parent());
        assert_ne!(a, artifact);
    }
}
