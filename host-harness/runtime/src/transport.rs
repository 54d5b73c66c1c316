//! Real TCP and TLS for the component's `transport` import (IMAP, POP3, SMTP),
//! under an [`EgressPolicy`].
//!
//! A connection is checked against the policy twice, as HTTP requests are: the
//! `(host, port)` pair before anything is resolved or connected, then every
//! address the host resolves to (a permitted name that resolves to loopback or
//! a private address is refused: DNS rebinding). The socket connects only to
//! the addresses that were checked. `plain` (no TLS at all) is refused unless
//! the policy allows loopback and the server is on loopback: credentials must
//! never travel in clear to a remote server.
//!
//! The host does all TLS with rustls, certificate validation included; the
//! component only ever sees plaintext lines. Reads are buffered, and the buffer
//! must be empty when a `starttls` connection is upgraded: bytes the server
//! sent after its "go ahead" and before the handshake were never protected by
//! TLS, and accepting them as if they came after it is the STARTTLS command
//! injection of CVE-2011-0411.
//!
//! Error texts name the target host and port, never a byte that was read or
//! written: the dialogue carries tokens.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use crate::egress::{AddressClass, EgressPolicy, PeerName};
use crate::http_client::find_source;

/// How much one socket read may bring in at most. Lines and literals are
/// assembled from chunks of this size, so a server sending an endless line
/// costs at most the line cap plus one chunk, never what it sent.
const READ_CHUNK: usize = 8 * 1024;

/// Time, size and count limits of one [`Transports`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportLimits {
    /// How long name resolution may take, then how long the TCP connection
    /// may take (over all the resolved addresses), then how long each read or
    /// write of the TLS handshake may wait (default 10 s).
    pub connect_timeout: Duration,
    /// How long one read or one write may wait for the server (default 30 s).
    /// A server that accepts and never answers costs this much per call.
    pub io_timeout: Duration,
    /// The longest line [`MailConnection::read_line`] returns and the largest
    /// [`MailConnection::read_exact`] (default 64 KiB). The component's own
    /// `max-len` is lowered to this, never raised above it.
    pub max_line_bytes: u32,
    /// How many connections may be open at once through one [`Transports`]
    /// (default 16); `None` for no limit. One mail dialogue needs one.
    pub max_connections: Option<u32>,
}

impl Default for TransportLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            io_timeout: Duration::from_secs(30),
            max_line_bytes: 64 * 1024,
            max_connections: Some(16),
        }
    }
}

/// How a connection is secured; mirrors the WIT `security` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Security {
    /// TLS from the first byte (IMAP 993, POP3 995, SMTP 465): the handshake
    /// is done when [`Transports::connect`] returns.
    ImplicitTls,
    /// Plain at first; TLS after [`MailConnection::upgrade_tls`] (IMAP 143,
    /// POP3 110, SMTP 587).
    Starttls,
    /// No TLS at all: only to loopback, and only when the policy allows
    /// loopback (local test servers).
    Plain,
}

/// Why the host could not connect, read or write; mirrors the WIT
/// `transport-error` variant case for case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The egress policy forbids the host, port, a resolved address or the
    /// security (`plain` to a non-loopback server), or the [`Transports`] has
    /// [`TransportLimits::max_connections`] open already. Nothing was
    /// connected.
    #[error("denied: {0}")]
    Denied(String),
    /// Name resolution failed, or the server refused the connection or was
    /// unreachable.
    #[error("refused: {0}")]
    Refused(String),
    /// Resolution, the connection, the handshake, or a read or write took
    /// longer than [`TransportLimits`] allows.
    #[error("timeout")]
    Timeout,
    /// The TLS handshake or certificate validation failed, or the server sent
    /// a bad TLS record.
    #[error("tls: {0}")]
    Tls(String),
    /// The server closed (or reset) the connection, possibly in the middle of
    /// a line.
    #[error("closed")]
    Closed,
    /// No LF came within the line cap, or `read_exact` asked for more than
    /// the cap. The connection is unusable afterwards.
    #[error("line too long")]
    LineTooLong,
    /// Anything else: an upgrade on a connection that cannot be upgraded,
    /// unexpected plaintext before TLS, a connection unusable after an
    /// earlier error, an unexpected I/O error.
    #[error("other: {0}")]
    Other(String),
}

/// A CA certificate source that could not be used. Host configuration, not a
/// guest-visible error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CA certificates from {origin}: {reason}")]
pub struct TlsRootsError {
    /// Where the certificates came from: a file path or `PEM data`.
    pub origin: String,
    /// What is wrong with them.
    pub reason: String,
}

/// The certificate authorities the transport trusts.
#[derive(Debug, Clone)]
pub struct TlsRoots {
    store: RootCertStore,
}

impl TlsRoots {
    /// The operating system's trusted roots (as `rustls-native-certs` finds
    /// them, honouring `SSL_CERT_FILE` / `SSL_CERT_DIR`); when none can be
    /// loaded (a minimal container), the Mozilla roots built into
    /// `webpki-roots` instead, so that a host never ends up trusting nothing
    /// by accident.
    pub fn system() -> Self {
        // Unreadable or unparsable system certificates are skipped: one bad
        // file in /etc/ssl/certs must not take every other root with it.
        let loaded = rustls_native_certs::load_native_certs();
        let mut store = RootCertStore::empty();
        let (added, _ignored) = store.add_parsable_certificates(loaded.certs);
        if added == 0 {
            return Self::webpki();
        }
        Self { store }
    }

    /// The Mozilla roots built into `webpki-roots`, whatever the system has.
    pub fn webpki() -> Self {
        let mut store = RootCertStore::empty();
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Self { store }
    }

    /// No roots at all: only what [`Self::add_pem`] or
    /// [`Self::add_pem_file`] adds is trusted (tests against a local CA).
    pub fn empty() -> Self {
        Self {
            store: RootCertStore::empty(),
        }
    }

    /// Also trusts the certificates in `pem` (one or more `CERTIFICATE`
    /// blocks; other blocks are ignored). Returns how many were added; a PEM
    /// without any certificate, or with one that does not parse, is an error
    /// and adds nothing.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<usize, TlsRootsError> {
        self.add_certs(CertificateDer::pem_slice_iter(pem), "PEM data")
    }

    /// Also trusts the certificates in the PEM file at `path`, like
    /// [`Self::add_pem`].
    pub fn add_pem_file(&mut self, path: &Path) -> Result<usize, TlsRootsError> {
        let origin = path.display().to_string();
        let certs = CertificateDer::pem_file_iter(path).map_err(|e| TlsRootsError {
            origin: origin.clone(),
            reason: e.to_string(),
        })?;
        self.add_certs(certs, &origin)
    }

    fn add_certs<E: fmt::Display>(
        &mut self,
        certs: impl Iterator<Item = Result<CertificateDer<'static>, E>>,
        origin: &str,
    ) -> Result<usize, TlsRootsError> {
        let invalid = |reason: String| TlsRootsError {
            origin: origin.to_owned(),
            reason,
        };
        let certs = certs
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(e.to_string()))?;
        if certs.is_empty() {
            return Err(invalid("no CERTIFICATE block".to_owned()));
        }
        // Validate all before adding any, so that an error leaves the store
        // as it was.
        let mut staged = RootCertStore::empty();
        for cert in certs {
            staged.add(cert).map_err(|e| invalid(e.to_string()))?;
        }
        let added = staged.len();
        self.store.roots.extend(staged.roots);
        Ok(added)
    }

    /// How many roots are trusted.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether no root is trusted (every TLS connection would fail).
    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// A rustls client configuration trusting these roots, with the `ring`
    /// provider and rustls' safe default protocol versions (TLS 1.2 and 1.3),
    /// no client certificate. Share it between [`Transports`].
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsRootsError> {
        let config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| TlsRootsError {
                    origin: "the ring provider".to_owned(),
                    reason: e.to_string(),
                })?
                .with_root_certificates(self.store.clone())
                .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

/// Opens the component's mail connections under an [`EgressPolicy`] and
/// [`TransportLimits`]. Clones share the policy, the TLS configuration and
/// the count of open connections.
#[derive(Clone)]
pub struct Transports {
    policy: Arc<EgressPolicy>,
    limits: TransportLimits,
    tls: Arc<ClientConfig>,
    live: Arc<AtomicU32>,
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transports")
            .field("policy", &self.policy)
            .field("limits", &self.limits)
            .field("live_connections", &self.live_connections())
            .finish_non_exhaustive()
    }
}

impl Transports {
    /// Connections allowed by `policy`, within `limits`, validating servers
    /// with `tls` (see [`TlsRoots::client_config`]).
    pub fn new(policy: EgressPolicy, limits: TransportLimits, tls: Arc<ClientConfig>) -> Self {
        Self {
            policy: Arc::new(policy),
            limits,
            tls,
            live: Arc::new(AtomicU32::new(0)),
        }
    }

    /// The policy these connections obey.
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    /// The limits these connections obey.
    pub fn limits(&self) -> &TransportLimits {
        &self.limits
    }

    /// How many connections opened here are still open (not dropped).
    pub fn live_connections(&self) -> u32 {
        self.live.load(Ordering::SeqCst)
    }

    /// Opens a connection to `host` (a name, an IPv4 address, or an IPv6
    /// address with or without brackets) and `port`.
    ///
    /// In order: the `(host, port)` pair must be in the policy (nothing is
    /// resolved or connected otherwise); `plain` needs the policy to allow
    /// loopback; a slot must be free under
    /// [`TransportLimits::max_connections`]; every resolved address must pass
    /// the policy, and for `plain` be loopback; then the first address that
    /// accepts within [`TransportLimits::connect_timeout`] is used. With
    /// [`Security::ImplicitTls`] the handshake is done before this returns,
    /// with the host name (or the IP address) as the TLS server name.
    pub fn connect(
        &self,
        host: &str,
        port: u16,
        security: Security,
    ) -> Result<MailConnection, TransportError> {
        self.connect_until(host, port, security, None)
    }

    /// [`Self::connect`] within `deadline` as well: resolution, the TCP
    /// connection and the handshake each wait at most until then (and at
    /// most their own [`TransportLimits`]), and the connection keeps the
    /// deadline for every later read, write and upgrade
    /// ([`MailConnection::set_deadline`]). The host passes the call's
    /// deadline, so that one call never outlives its limits however slowly
    /// a server drips its bytes.
    pub fn connect_until(
        &self,
        host: &str,
        port: u16,
        security: Security,
        deadline: Option<Instant>,
    ) -> Result<MailConnection, TransportError> {
        self.policy
            .check_host_port(host, port)
            .map_err(|denial| TransportError::Denied(denial.to_string()))?;
        let peer = PeerName::parse(host)
            .map_err(|reason| TransportError::Other(format!("invalid host: {reason}")))?;
        let target = peer.target(port);
        if security == Security::Plain && !self.policy.loopback_allowed() {
            return Err(plain_denied(&target));
        }
        let slot = ConnectionSlot::acquire(&self.live, self.limits.max_connections)
            .ok_or_else(|| TransportError::Denied("too many connections".to_owned()))?;

        let addrs = match &peer {
            PeerName::Ip(ip) => vec![SocketAddr::new(*ip, port)],
            PeerName::Dns(name) => resolve(
                name,
                port,
                within(self.limits.connect_timeout, deadline)?,
                &target,
            )?,
        };
        check_addresses(&self.policy, &peer, &target, &addrs, security)?;
        let server_name = match security {
            Security::Plain => None,
            Security::ImplicitTls | Security::Starttls => Some(server_name(&peer, &target)?),
        };

        let tcp = connect_any(
            &addrs,
            within(self.limits.connect_timeout, deadline)?,
            &target,
        )?;
        let peer_addr = tcp
            .peer_addr()
            .map_err(|e| map_io(&e, &target, Phase::Connect))?;
        // Mail commands are small and each waits for its reply: do not let
        // Nagle hold them back.
        tcp.set_nodelay(true)
            .map_err(|e| map_io(&e, &target, Phase::Connect))?;
        set_timeouts(&tcp, self.limits.io_timeout, &target)?;

        let mut conn = MailConnection {
            io: Io::Tcp(tcp),
            security,
            upgraded: false,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
            pos: 0,
            filled: 0,
            target,
            peer_addr,
            server_name,
            tls: Arc::clone(&self.tls),
            connect_timeout: self.limits.connect_timeout,
            io_timeout: self.limits.io_timeout,
            armed: self.limits.io_timeout,
            deadline,
            max_line_bytes: self.limits.max_line_bytes,
            failed: None,
            _slot: slot,
        };
        if security == Security::ImplicitTls {
            conn.start_tls()?;
        }
        Ok(conn)
    }
}

/// One open connection to a mail server. Dropping it closes the socket (after
/// a TLS `close_notify` when the connection is TLS and healthy) and frees its
/// slot in the [`Transports`].
///
/// After any error other than a refused `upgrade_tls` on the wrong kind of
/// connection, the connection is unusable: later calls return
/// [`TransportError::Closed`] if the server had closed it, else
/// [`TransportError::Other`].
pub struct MailConnection {
    io: Io,
    security: Security,
    upgraded: bool,
    /// Read buffer: `buf[pos..filled]` has been read from the socket (or from
    /// TLS) and not yet returned.
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    target: String,
    peer_addr: SocketAddr,
    server_name: Option<ServerName<'static>>,
    tls: Arc<ClientConfig>,
    connect_timeout: Duration,
    io_timeout: Duration,
    /// The socket's read and write timeouts as last set.
    armed: Duration,
    /// No read, write or handshake step waits past this.
    deadline: Option<Instant>,
    max_line_bytes: u32,
    failed: Option<Failure>,
    _slot: ConnectionSlot,
}

impl fmt::Debug for MailConnection {
    // The buffer holds server data (possibly a token echoed back): never
    // print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailConnection")
            .field("target", &self.target)
            .field("peer_addr", &self.peer_addr)
            .field("security", &self.security)
            .field("tls", &self.is_tls())
            .field("buffered", &(self.filled - self.pos))
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl MailConnection {
    /// `host:port` as the component asked for it (`[v6]:port` for IPv6).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The address actually connected to.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The security the connection was opened with.
    pub fn security(&self) -> Security {
        self.security
    }

    /// Whether the connection is TLS now (implicit, or upgraded).
    pub fn is_tls(&self) -> bool {
        matches!(self.io, Io::Tls(_))
    }

    /// Sets the instant after which every read, write and handshake step
    /// fails with [`TransportError::Timeout`] (and the connection is
    /// unusable); `None` for none. Each socket wait is bounded by what is
    /// left of it as well as by [`TransportLimits::io_timeout`].
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// Reads one line, up to and including its LF, of at most `max_len`
    /// bytes (lowered to [`TransportLimits::max_line_bytes`]). No LF within
    /// that many bytes is [`TransportError::LineTooLong`], found without
    /// reading more than the cap plus one socket read; end of stream before
    /// the LF is [`TransportError::Closed`].
    pub fn read_line(&mut self, max_len: u32) -> Result<Vec<u8>, TransportError> {
        self.usable()?;
        let cap = max_len.min(self.max_line_bytes) as usize;
        if cap == 0 {
            // Nothing was consumed: the connection stays usable.
            return Err(TransportError::LineTooLong);
        }
        let mut line = Vec::new();
        loop {
            if self.pos == self.filled {
                self.fill()?;
            }
            let room = cap - line.len();
            let window = &self.buf[self.pos..self.filled.min(self.pos + room)];
            if let Some(lf) = window.iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&window[..=lf]);
                self.pos += lf + 1;
                return Ok(line);
            }
            line.extend_from_slice(window);
            self.pos += window.len();
            if line.len() == cap {
                return Err(self.fail(TransportError::LineTooLong));
            }
        }
    }

    /// Reads exactly `len` bytes (an IMAP literal). More than
    /// [`TransportLimits::max_line_bytes`] is [`TransportError::LineTooLong`]
    /// before anything is read; end of stream before `len` bytes is
    /// [`TransportError::Closed`].
    pub fn read_exact(&mut self, len: u32) -> Result<Vec<u8>, TransportError> {
        self.usable()?;
        if len > self.max_line_bytes {
            // The component would lose track of the dialogue if it went on
            // after skipping a literal: the connection is done.
            return Err(self.fail(TransportError::LineTooLong));
        }
        let len = len as usize;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            if self.pos == self.filled {
                self.fill()?;
            }
            let take = (len - out.len()).min(self.filled - self.pos);
            out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
        }
        Ok(out)
    }

    /// Writes all of `data` and flushes it (through TLS when the connection
    /// is TLS).
    ///
    /// On a [`Security::Starttls`] connection not upgraded yet, only what a
    /// client says before TLS is written: one line of IMAP `CAPABILITY`,
    /// `STARTTLS`, `NOOP` or `LOGOUT` (tagged), POP3 `CAPA`, `STLS`, `NOOP`
    /// or `QUIT`, SMTP `EHLO`/`HELO` with a domain, `STARTTLS`, `NOOP`,
    /// `RSET` or `QUIT`. Anything else (an `AUTHENTICATE` with a token, a
    /// message) is [`TransportError::Denied`] and nothing is written: the
    /// host does not rely on the component to keep credentials off a
    /// cleartext connection. The connection stays usable.
    pub fn write(&mut self, data: &[u8]) -> Result<(), TransportError> {
        self.usable()?;
        if self.security == Security::Starttls && !self.upgraded && !pre_tls_command(data) {
            return Err(TransportError::Denied(format!(
                "{}: only the commands before STARTTLS may be sent before TLS",
                self.target
            )));
        }
        let (io_timeout, deadline) = (self.io_timeout, self.deadline);
        let armed = &mut self.armed;
        let result = match &mut self.io {
            Io::Tcp(tcp) => write_plain(tcp, data, armed, io_timeout, deadline),
            Io::Tls(tls) => tls.write(data, armed, io_timeout, deadline),
            Io::Gone => return Err(self.unusable()),
        };
        result.map_err(|e| {
            let err = e.into_transport(&self.target, Phase::Data);
            self.fail(err)
        })
    }

    /// Starts TLS on a [`Security::Starttls`] connection after the server
    /// agreed (IMAP `OK` to STARTTLS, POP3 `+OK` to STLS, SMTP `220`), with
    /// the host name (or IP address) as the TLS server name.
    ///
    /// [`TransportError::Other`] (and the connection stays as it was) on a
    /// connection that is `plain`, implicit TLS or already upgraded.
    /// [`TransportError::Other`] ("unexpected data before TLS", and the
    /// connection is unusable) when the server sent anything after its
    /// go-ahead line: those bytes came in clear and could have been injected.
    pub fn upgrade_tls(&mut self) -> Result<(), TransportError> {
        self.usable()?;
        if self.security != Security::Starttls || self.upgraded {
            let what = if self.upgraded || self.security == Security::ImplicitTls {
                "already TLS"
            } else {
                "plain"
            };
            return Err(TransportError::Other(format!(
                "{}: cannot upgrade to TLS: the connection is {what}",
                self.target
            )));
        }
        if self.pos < self.filled {
            return Err(self.fail(self.injection()));
        }
        let Io::Tcp(tcp) = &self.io else {
            return Err(self.unusable());
        };
        // The read buffer is empty, but the socket may hold more: a server
        // says nothing between its go-ahead and our ClientHello, so anything
        // already waiting is injected plaintext as well.
        match pending_bytes(tcp) {
            Ok(false) => {}
            Ok(true) => return Err(self.fail(self.injection())),
            Err(e) => {
                let err = map_io(&e, &self.target, Phase::Data);
                return Err(self.fail(err));
            }
        }
        self.upgraded = true;
        self.start_tls()
    }

    fn injection(&self) -> TransportError {
        TransportError::Other(format!(
            "unexpected data before TLS from {}: refusing to upgrade",
            self.target
        ))
    }

    /// Replaces the plain socket by a TLS stream over it, handshake done.
    fn start_tls(&mut self) -> Result<(), TransportError> {
        let Io::Tcp(tcp) = std::mem::replace(&mut self.io, Io::Gone) else {
            return Err(self.unusable());
        };
        let Some(server_name) = self.server_name.clone() else {
            return Err(self.fail(TransportError::Other(format!(
                "{}: no TLS server name",
                self.target
            ))));
        };
        let conn = match ClientConnection::new(Arc::clone(&self.tls), server_name) {
            Ok(conn) => conn,
            Err(e) => {
                let err = TransportError::Tls(format!("{}: {e}", self.target));
                return Err(self.fail(err));
            }
        };
        let mut tls = Box::new(Tls { conn, sock: tcp });
        // Each handshake step waits at most the connect timeout (and what is
        // left of the deadline).
        if let Err(e) = tls.handshake(&mut self.armed, self.connect_timeout, self.deadline) {
            let err = e.into_transport(&self.target, Phase::Handshake);
            return Err(self.fail(err));
        }
        self.io = Io::Tls(tls);
        Ok(())
    }

    /// Refills the empty read buffer with one socket (or TLS) read.
    fn fill(&mut self) -> Result<(), TransportError> {
        debug_assert_eq!(self.pos, self.filled);
        let (io_timeout, deadline) = (self.io_timeout, self.deadline);
        let armed = &mut self.armed;
        let result = match &mut self.io {
            Io::Tcp(tcp) => arm(tcp, armed, io_timeout, deadline)
                .and_then(|()| tcp.read(&mut self.buf).map_err(IoFailure::Io)),
            Io::Tls(tls) => tls.read(&mut self.buf, armed, io_timeout, deadline),
            Io::Gone => return Err(self.unusable()),
        };
        match result {
            Ok(0) => Err(self.fail(TransportError::Closed)),
            Ok(n) => {
                self.pos = 0;
                self.filled = n;
                Ok(())
            }
            Err(e) => {
                let err = e.into_transport(&self.target, Phase::Data);
                Err(self.fail(err))
            }
        }
    }

    /// Records that the connection is unusable and passes `err` on.
    fn fail(&mut self, err: TransportError) -> TransportError {
        self.failed = Some(if err == TransportError::Closed {
            Failure::Closed
        } else {
            Failure::Broken
        });
        err
    }

    fn usable(&self) -> Result<(), TransportError> {
        match self.failed {
            None => Ok(()),
            Some(_) => Err(self.unusable()),
        }
    }

    fn unusable(&self) -> TransportError {
        match self.failed {
            Some(Failure::Closed) => TransportError::Closed,
            _ => TransportError::Other(format!(
                "{}: the connection is unusable after an earlier error",
                self.target
            )),
        }
    }
}

impl Drop for MailConnection {
    fn drop(&mut self) {
        match &mut self.io {
            Io::Tls(tls) => {
                // Tell a healthy TLS peer we are done (it may otherwise log a
                // truncation); best effort, the socket closes anyway, and
                // never past the deadline.
                if self.failed.is_none()
                    && arm(&tls.sock, &mut self.armed, self.io_timeout, self.deadline).is_ok()
                {
                    tls.conn.send_close_notify();
                    let _ = tls.conn.write_tls(&mut tls.sock);
                }
                let _ = tls.sock.shutdown(Shutdown::Both);
            }
            Io::Tcp(tcp) => {
                let _ = tcp.shutdown(Shutdown::Both);
            }
            Io::Gone => {}
        }
    }
}

/// The byte stream under a [`MailConnection`].
enum Io {
    Tcp(TcpStream),
    Tls(Box<Tls>),
    /// Between taking the plain socket for the handshake and a failed
    /// handshake: the connection is unusable.
    Gone,
}

/// A TLS connection driven by hand (rather than through rustls's
/// `StreamOwned`, whose one `read` may wait on the socket many times): every
/// socket read or write below is armed with what is left of the deadline.
struct Tls {
    conn: ClientConnection,
    sock: TcpStream,
}

/// An I/O failure below [`MailConnection`], before it is named.
enum IoFailure {
    /// The deadline passed before the operation could wait again.
    Deadline,
    Io(io::Error),
    Tls(rustls::Error),
}

impl IoFailure {
    fn into_transport(self, target: &str, phase: Phase) -> TransportError {
        match self {
            IoFailure::Deadline => TransportError::Timeout,
            IoFailure::Io(e) => map_io(&e, target, phase),
            IoFailure::Tls(e) => TransportError::Tls(format!("{target}: {e}")),
        }
    }
}

impl Tls {
    /// Reads some plaintext into `buf`: `Ok(0)` at the end of the stream.
    fn read(
        &mut self,
        buf: &mut [u8],
        armed: &mut Duration,
        limit: Duration,
        deadline: Option<Instant>,
    ) -> Result<usize, IoFailure> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(IoFailure::Io(e)),
            }
            if self.receive(armed, limit, deadline)? == 0 {
                return Ok(0);
            }
        }
    }

    /// Writes all of `data` through TLS and flushes the records.
    fn write(
        &mut self,
        mut data: &[u8],
        armed: &mut Duration,
        limit: Duration,
        deadline: Option<Instant>,
    ) -> Result<(), IoFailure> {
        while !data.is_empty() {
            let n = self.conn.writer().write(data).map_err(IoFailure::Io)?;
            data = &data[n..];
            if n == 0 && !self.conn.wants_write() {
                return Err(IoFailure::Io(io::ErrorKind::WriteZero.into()));
            }
            self.flush(armed, limit, deadline)?;
        }
        self.flush(armed, limit, deadline)
    }

    /// Completes the handshake, then sends what it left to send.
    fn handshake(
        &mut self,
        armed: &mut Duration,
        limit: Duration,
        deadline: Option<Instant>,
    ) -> Result<(), IoFailure> {
        while self.conn.is_handshaking() {
            if self.conn.wants_write() {
                self.flush(armed, limit, deadline)?;
            } else if self.receive(armed, limit, deadline)? == 0 {
                return Err(IoFailure::Io(io::ErrorKind::UnexpectedEof.into()));
            }
        }
        self.flush(armed, limit, deadline)
    }

    /// Sends every pending TLS record.
    fn flush(
        &mut self,
        armed: &mut Duration,
        limit: Duration,
        deadline: Option<Instant>,
    ) -> Result<(), IoFailure> {
        while self.conn.wants_write() {
            arm(&self.sock, armed, limit, deadline)?;
            self.conn.write_tls(&mut self.sock).map_err(IoFailure::Io)?;
        }
        Ok(())
    }

    /// One socket read into rustls, then its processing (and any record it
    /// must answer, an alert or a key update); `Ok(0)` at end of stream.
    fn receive(
        &mut self,
        armed: &mut Duration,
        limit: Duration,
        deadline: Option<Instant>,
    ) -> Result<usize, IoFailure> {
        arm(&self.sock, armed, limit, deadline)?;
        let n = self.conn.read_tls(&mut self.sock).map_err(IoFailure::Io)?;
        if n == 0 {
            return Ok(0);
        }
        if let Err(e) = self.conn.process_new_packets() {
            // Best effort: tell the server why (an alert), then fail.
            let _ = self.flush(armed, limit, deadline);
            return Err(IoFailure::Tls(e));
        }
        self.flush(armed, limit, deadline)?;
        Ok(n)
    }
}

/// Writes all of `data` to a plain socket, each write armed.
fn write_plain(
    tcp: &mut TcpStream,
    mut data: &[u8],
    armed: &mut Duration,
    limit: Duration,
    deadline: Option<Instant>,
) -> Result<(), IoFailure> {
    while !data.is_empty() {
        arm(tcp, armed, limit, deadline)?;
        match tcp.write(data) {
            Ok(0) => return Err(IoFailure::Io(io::ErrorKind::WriteZero.into())),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(IoFailure::Io(e)),
        }
    }
    Ok(())
}

/// Sets the socket's timeouts for its next wait: `limit`, or what is left
/// until `deadline` when that is less; the deadline passed is
/// [`IoFailure::Deadline`]. Touches the socket only when the value changes
/// (far from the deadline, never).
fn arm(
    tcp: &TcpStream,
    armed: &mut Duration,
    limit: Duration,
    deadline: Option<Instant>,
) -> Result<(), IoFailure> {
    let wait = wait_for(limit, deadline).ok_or(IoFailure::Deadline)?;
    if wait != *armed {
        tcp.set_read_timeout(Some(wait))
            .and_then(|()| tcp.set_write_timeout(Some(wait)))
            .map_err(IoFailure::Io)?;
        *armed = wait;
    }
    Ok(())
}

/// `limit`, or what is left until `deadline` when that is less; `Timeout`
/// when it has passed.
fn within(limit: Duration, deadline: Option<Instant>) -> Result<Duration, TransportError> {
    wait_for(limit, deadline).ok_or(TransportError::Timeout)
}

/// `limit`, or what is left until `deadline` when that is less; `None`
/// when it has passed.
fn wait_for(limit: Duration, deadline: Option<Instant>) -> Option<Duration> {
    match deadline {
        None => Some(limit),
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            (!left.is_zero()).then(|| limit.min(left))
        }
    }
}

/// Whether `data` is one line a client may send on a STARTTLS connection
/// before TLS (see [`MailConnection::write`]): printable ASCII words ended
/// by CRLF (or LF), at most 512 octets (RFC 5321's command line).
fn pre_tls_command(data: &[u8]) -> bool {
    let Some(line) = data
        .strip_suffix(b"\r\n")
        .or_else(|| data.strip_suffix(b"\n"))
    else {
        return false;
    };
    if data.len() > 512 || !line.iter().all(|b| (0x20..0x7f).contains(b)) {
        return false;
    }
    let Ok(line) = std::str::from_utf8(line) else {
        return false;
    };
    let words: Vec<&str> = line.split(' ').collect();
    let is = |word: &str, names: &[&str]| names.iter().any(|n| word.eq_ignore_ascii_case(n));
    let atom = |word: &str| !word.is_empty() && word.bytes().all(|b| b.is_ascii_graphic());
    match words.as_slice() {
        // POP3 and SMTP commands without an argument.
        [command] => is(
            command,
            &["CAPA", "STLS", "STARTTLS", "NOOP", "QUIT", "RSET"],
        ),
        // SMTP's greeting with the client's name.
        [command, domain] if is(command, &["EHLO", "HELO"]) => atom(domain),
        // IMAP: a tag and the command.
        [tag, command] => atom(tag) && is(command, &["CAPABILITY", "STARTTLS", "NOOP", "LOGOUT"]),
        _ => false,
    }
}

/// Why a connection became unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The server closed it: later calls say [`TransportError::Closed`] too.
    Closed,
    /// Anything else.
    Broken,
}

/// One of the [`TransportLimits::max_connections`] slots of a
/// [`Transports`], freed when dropped.
struct ConnectionSlot(Arc<AtomicU32>);

impl ConnectionSlot {
    fn acquire(live: &Arc<AtomicU32>, max: Option<u32>) -> Option<Self> {
        live.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match max {
            Some(max) if n >= max => None,
            _ => n.checked_add(1),
        })
        .ok()
        .map(|_| Self(Arc::clone(live)))
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A host as the component gave it, normalized like the policy's keys.
/// The TLS server name for `peer`: SNI and the name the certificate must
/// carry. For an IP address, the certificate must carry it as an IP SAN
/// (and no SNI is sent, as RFC 6066 wants).
fn server_name(peer: &PeerName, target: &str) -> Result<ServerName<'static>, TransportError> {
    match peer {
        PeerName::Ip(ip) => Ok(ServerName::IpAddress((*ip).into())),
        PeerName::Dns(name) => ServerName::try_from(name.clone()).map_err(|_| {
            TransportError::Tls(format!("{target}: the host is not a valid TLS server name"))
        }),
    }
}

fn plain_denied(target: &str) -> TransportError {
    TransportError::Denied(format!(
        "plain (unencrypted) connection to {target} is refused: \
         plain is allowed only to loopback, when the egress policy allows loopback"
    ))
}

/// Checks the addresses `peer` resolved to before connecting to any: each
/// must pass the policy (DNS rebinding), and for `plain` each must be
/// loopback, with the policy allowing loopback.
fn check_addresses(
    policy: &EgressPolicy,
    peer: &PeerName,
    target: &str,
    addrs: &[SocketAddr],
    security: Security,
) -> Result<(), TransportError> {
    policy
        .check_resolved("tcp", &peer.to_string(), addrs)
        .map_err(|denial| TransportError::Denied(denial.to_string()))?;
    let all_loopback = addrs
        .iter()
        .all(|a| AddressClass::of(a.ip()) == AddressClass::Loopback);
    if security == Security::Plain && !(policy.loopback_allowed() && all_loopback) {
        return Err(plain_denied(target));
    }
    Ok(())
}

/// Resolves `name` with the system resolver, giving up after `timeout`. The
/// system call cannot be interrupted, so it runs on its own thread, which
/// ends when the resolver does.
fn resolve(
    name: &str,
    port: u16,
    timeout: Duration,
    target: &str,
) -> Result<Vec<SocketAddr>, TransportError> {
    let (tx, rx) = mpsc::sync_channel(1);
    let query = (name.to_owned(), port);
    thread::Builder::new()
        .name("transport-resolve".to_owned())
        .spawn(move || {
            let result = query.to_socket_addrs().map(Iterator::collect::<Vec<_>>);
            let _ = tx.send(result);
        })
        .map_err(|e| TransportError::Other(format!("cannot resolve {target}: {e}")))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(TransportError::Refused(format!(
            "cannot resolve {target}: no address"
        ))),
        Ok(Err(e)) => Err(TransportError::Refused(format!(
            "cannot resolve {target}: {e}"
        ))),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(TransportError::Timeout),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(TransportError::Other(format!(
            "cannot resolve {target}: the resolver thread died"
        ))),
    }
}

/// Connects to the first of `addrs` that accepts, all within `timeout`.
fn connect_any(
    addrs: &[SocketAddr],
    timeout: Duration,
    target: &str,
) -> Result<TcpStream, TransportError> {
    let deadline = Instant::now() + timeout;
    let mut last = TransportError::Timeout;
    for addr in addrs {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(TransportError::Timeout);
        }
        match TcpStream::connect_timeout(addr, remaining) {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = map_io(&e, target, Phase::Connect),
        }
    }
    Err(last)
}

fn set_timeouts(tcp: &TcpStream, timeout: Duration, target: &str) -> Result<(), TransportError> {
    tcp.set_read_timeout(Some(timeout))
        .and_then(|()| tcp.set_write_timeout(Some(timeout)))
        .map_err(|e| map_io(&e, target, Phase::Connect))
}

/// Whether the socket has bytes waiting to be read, without waiting.
/// End of stream counts as an error ([`io::ErrorKind::UnexpectedEof`]).
fn pending_bytes(tcp: &TcpStream) -> io::Result<bool> {
    tcp.set_nonblocking(true)?;
    let peeked = tcp.peek(&mut [0u8; 1]);
    tcp.set_nonblocking(false)?;
    match peeked {
        Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    }
}

/// What a connection was doing when an I/O error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connecting the TCP socket: a reset or refusal is `refused`.
    Connect,
    /// The TLS handshake: the server hanging up is a failed handshake.
    Handshake,
    /// Reading or writing the dialogue: the server hanging up is `closed`.
    Data,
}

/// Maps an I/O error onto the WIT variant, naming `target` (host:port).
fn map_io(err: &io::Error, target: &str, phase: Phase) -> TransportError {
    // rustls reports handshake, certificate and record failures as an
    // `io::Error` wrapping a `rustls::Error`.
    if let Some(tls) = find_source::<rustls::Error>(err) {
        return TransportError::Tls(format!("{target}: {tls}"));
    }
    let hung_up = matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    );
    match (err.kind(), phase) {
        (io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock, _) => TransportError::Timeout,
        (_, Phase::Handshake) if hung_up => TransportError::Tls(format!(
            "{target}: the server closed the connection during the TLS handshake"
        )),
        (_, Phase::Data) if hung_up => TransportError::Closed,
        (
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable,
            Phase::Connect,
        ) => TransportError::Refused(format!("cannot connect to {target}: {err}")),
        (kind, _) => TransportError::Other(format!("I/O error with {target}: {kind}")),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread::JoinHandle;

    use super::*;

    // ---- helpers ----------------------------------------------------------

    fn loopback_policy(host: &str, port: u16) -> EgressPolicy {
        EgressPolicy::deny_all()
            .allow_host_port(host, port)
            .unwrap()
            .allow_loopback(true)
    }

    /// No TLS handshake completes in these tests: no root is needed.
    fn transports(policy: EgressPolicy, limits: TransportLimits) -> Transports {
        Transports::new(policy, limits, TlsRoots::empty().client_config().unwrap())
    }

    /// Serves one connection on 127.0.0.1 with `script`.
    fn serve<T: Send + 'static>(
        script: impl FnOnce(TcpStream) -> T + Send + 'static,
    ) -> (SocketAddr, JoinHandle<T>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            script(stream)
        });
        (addr, handle)
    }

    // The behaviour through the public API is tested in tests/all/transport.rs;
    // these need private items (`check_addresses`, `PeerName`, the read buffer).

    #[test]
    fn plain_is_allowed_only_when_every_address_is_loopback() {
        let lo: SocketAddr = "127.0.0.1:143".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:143".parse().unwrap();
        let private: SocketAddr = "10.0.0.1:143".parse().unwrap();
        let public: SocketAddr = "142.250.1.1:143".parse().unwrap();
        let open = EgressPolicy::deny_all()
            .allow_loopback(true)
            .allow_private(true);
        let peer = PeerName::Dns("mail.example.test".into());
        let check = |policy: &EgressPolicy, addrs: &[SocketAddr], security| {
            check_addresses(policy, &peer, "mail.example.test:143", addrs, security)
        };
        assert_eq!(check(&open, &[lo, mapped], Security::Plain), Ok(()));
        for addrs in [&[private][..], &[public], &[lo, private]] {
            let err = check(&open, addrs, Security::Plain).unwrap_err();
            let TransportError::Denied(text) = &err else {
                panic!("expected Denied, got {err:?}");
            };
            assert!(text.contains("plain"), "{text}");
            assert!(text.contains("mail.example.test:143"), "{text}");
            assert_eq!(check(&open, addrs, Security::Starttls), Ok(()));
        }
        // Without allow_loopback, loopback is refused whatever the security.
        let closed = EgressPolicy::deny_all();
        for security in [Security::Plain, Security::Starttls, Security::ImplicitTls] {
            assert!(matches!(
                check(&closed, &[lo], security),
                Err(TransportError::Denied(_))
            ));
        }
        assert_eq!(check(&closed, &[public], Security::ImplicitTls), Ok(()));
    }

    #[test]
    fn plaintext_arriving_after_the_go_ahead_line_is_refused() {
        // The injected line comes in a second packet, after the client read
        // the go-ahead: it sits in the socket, not in the read buffer.
        let (go_on, wait) = mpsc::channel::<()>();
        let (addr, server) = serve(move |mut tcp| {
            tcp.write_all(b"a OK begin TLS\r\n").unwrap();
            wait.recv().unwrap();
            tcp.write_all(b"INJECTED\r\n").unwrap();
            let mut rest = Vec::new();
            let _ = tcp.read_to_end(&mut rest);
            rest
        });
        let t = transports(
            loopback_policy("localhost", addr.port()),
            TransportLimits::default(),
        );
        let mut conn = t
            .connect("localhost", addr.port(), Security::Starttls)
            .unwrap();
        assert_eq!(conn.read_line(100).unwrap(), b"a OK begin TLS\r\n");
        assert_eq!(conn.pos, conn.filled, "the read buffer must be empty here");
        go_on.send(()).unwrap();
        // Wait (a blocking peek, bounded by the I/O timeout) until the
        // injected bytes are in the socket.
        let Io::Tcp(tcp) = &conn.io else {
            panic!("not plain before the upgrade");
        };
        assert_eq!(tcp.peek(&mut [0u8; 1]).unwrap(), 1);
        let err = conn.upgrade_tls().unwrap_err();
        assert!(
            matches!(&err, TransportError::Other(t) if t.contains("unexpected data before TLS")),
            "{err:?}"
        );
        drop(conn);
        assert_eq!(server.join().unwrap(), b"", "the client sent a ClientHello");
    }

    #[test]
    fn only_the_commands_before_starttls_pass_before_tls() {
        for ok in [
            &b"a1 CAPABILITY\r\n"[..],
            b"A2 starttls\r\n",
            b"x LOGOUT\r\n",
            b"CAPA\r\n",
            b"STLS\r\n",
            b"QUIT\r\n",
            b"EHLO client.example\r\n",
            b"HELO [127.0.0.1]\r\n",
            b"STARTTLS\n",
        ] {
            assert!(pre_tls_command(ok), "{:?}", String::from_utf8_lossy(ok));
        }
        for refused in [
            &b"a1 AUTHENTICATE XOAUTH2 dXNlcj1h\r\n"[..],
            b"a1 AUTHENTICATE XOAUTH2\r\n",
            b"AUTH XOAUTH2 dXNlcj1h\r\n",
            b"AUTH XOAUTH2\r\n",
            b"dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2tlbgEB\r\n",
            b"MAIL FROM:<a@example.com>\r\n",
            b"a1 LOGIN alice secret\r\n",
            b"USER alice\r\n",
            b"a1 CAPABILITY\r\na2 AUTHENTICATE XOAUTH2 x\r\n",
            b"a1 CAPABILITY",
            b"EHLO\r\n",
            b"EHLO a b\r\n",
            b"a1 CAPABILITY \r\n",
            b"\r\n",
            b"",
        ] {
            assert!(
                !pre_tls_command(refused),
                "{:?}",
                String::from_utf8_lossy(refused)
            );
        }
        let long = format!("EHLO {}\r\n", "a".repeat(600));
        assert!(!pre_tls_command(long.as_bytes()));
    }

    #[test]
    fn a_token_is_not_written_on_a_starttls_connection_before_tls() {
        let (addr, server) = serve(move |mut tcp| {
            tcp.write_all(b"* OK ready\r\n").unwrap();
            let mut got = Vec::new();
            let _ = tcp.read_to_end(&mut got);
            got
        });
        let t = transports(
            loopback_policy("localhost", addr.port()),
            TransportLimits::default(),
        );
        let mut conn = t
            .connect("localhost", addr.port(), Security::Starttls)
            .unwrap();
        assert_eq!(conn.read_line(100).unwrap(), b"* OK ready\r\n");
        let err = conn
            .write(b"a1 AUTHENTICATE XOAUTH2 dXNlcj1hbGljZQ==\r\n")
            .unwrap_err();
        assert!(
            matches!(&err, TransportError::Denied(t) if t.contains("before TLS")),
            "{err:?}"
        );
        // Still usable for what may be said in clear.
        conn.write(b"a2 LOGOUT\r\n").unwrap();
        drop(conn);
        assert_eq!(server.join().unwrap(), b"a2 LOGOUT\r\n");
    }

    #[test]
    fn a_server_dripping_bytes_is_cut_at_the_deadline() {
        // One byte every 50 ms, never a newline: each read returns well within
        // the I/O timeout, only the deadline ends the line.
        let (stop, stopped) = mpsc::channel::<()>();
        let (addr, server) = serve(move |mut tcp| {
            tcp.write_all(b"* OK").unwrap();
            while stopped.recv_timeout(Duration::from_millis(50)).is_err() {
                if tcp.write_all(b"x").is_err() {
                    break;
                }
            }
        });
        let t = transports(
            loopback_policy("localhost", addr.port()),
            TransportLimits::default(),
        );
        let started = Instant::now();
        let deadline = started + Duration::from_millis(600);
        let mut conn = t
            .connect_until("localhost", addr.port(), Security::Plain, Some(deadline))
            .unwrap();
        assert_eq!(conn.read_line(60_000), Err(TransportError::Timeout));
        let ended = Instant::now();
        assert!(ended >= deadline, "ended before the deadline");
        // Bounded by the deadline, not by the 30 s I/O timeout (a generous
        // margin for a loaded machine).
        assert!(
            ended - deadline < Duration::from_secs(5),
            "{:?}",
            ended - started
        );
        // The connection is done; a write fails at once as well.
        assert!(conn.write(b"x\r\n").is_err());
        drop(conn);
        let _ = stop.send(());
        server.join().unwrap();
    }

    #[test]
    fn a_deadline_already_passed_connects_nothing() {
        let (addr, _server) = serve(drop);
        let t = transports(
            loopback_policy("localhost", addr.port()),
            TransportLimits::default(),
        );
        let past = Instant::now();
        assert_eq!(
            t.connect_until("localhost", addr.port(), Security::Plain, Some(past))
                .map(|_| ())
                .unwrap_err(),
            TransportError::Timeout
        );
    }

    #[test]
    fn peer_names_are_normalized_like_the_policy() {
        assert_eq!(
            PeerName::parse("IMAP.Example.COM").unwrap(),
            PeerName::Dns("imap.example.com".into())
        );
        assert_eq!(
            PeerName::parse("[::1]").unwrap(),
            PeerName::Ip("::1".parse().unwrap())
        );
        assert_eq!(PeerName::parse("::1").unwrap().target(993), "[::1]:993");
        assert_eq!(
            PeerName::parse("127.0.0.1").unwrap().target(1),
            "127.0.0.1:1"
        );
        assert!(PeerName::parse("").is_err());
    }
}
