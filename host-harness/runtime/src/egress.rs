//! The host's egress policy: which network targets the component may reach.
//!
//! Deny by default. A target is reachable only when the policy names it, and
//! even then every address its name resolves to is checked again, so that a
//! permitted public name that resolves to `127.0.0.1` or to the cloud metadata
//! service is refused (DNS rebinding). The same policy is meant to govern the
//! raw TCP `transport` import later (IMAP, POP3, SMTP): [`EgressPolicy::allow_host_port`]
//! and [`EgressPolicy::check_host_port`] are its half.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// What kind of network an IP address belongs to, as far as egress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// A globally routable unicast address: allowed when the target is.
    Public,
    /// `127.0.0.0/8`, `::1`: allowed only with [`EgressPolicy::allow_loopback`].
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), shared address space
    /// (`100.64/10`), benchmarking (`198.18/15`), unique local (`fc00::/7`) and
    /// site-local (`fec0::/10`): allowed only with [`EgressPolicy::allow_private`].
    Private,
    /// `169.254/16`, `fe80::/10`: allowed only with [`EgressPolicy::allow_private`].
    LinkLocal,
    /// A cloud instance metadata or credential service: `169.254.169.254` and
    /// `fd00:ec2::254` (AWS, GCP, Azure, …), `100.100.100.200` (Alibaba),
    /// `169.254.170.2`, `169.254.170.23` and `fd00:ec2::23` (AWS ECS/EKS task
    /// credentials), `fd20:ce::254` (GCP over IPv6), `168.63.129.16` (Azure's
    /// wire server): never allowed, even with [`EgressPolicy::allow_private`];
    /// they hand out credentials.
    Metadata,
    /// `0.0.0.0`, `::`: never allowed (it means "this host" to `connect`).
    Unspecified,
    /// Multicast and broadcast: never allowed.
    Multicast,
    /// Reserved, documentation and "this network" ranges, and the local-use
    /// NAT64 prefix `64:ff9b:1::/48` (RFC 8215: its IPv4 destination is not at a
    /// fixed place, so it cannot be classified by it): never allowed.
    Reserved,
}

impl AddressClass {
    /// Classifies an address. IPv4-mapped (`::ffff:a.b.c.d`) and NAT64
    /// (`64:ff9b::a.b.c.d`) IPv6 addresses are classified by the IPv4 address
    /// they carry, since that is where the packets end up.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => classify_v4(v4),
            IpAddr::V6(v6) => classify_v6(v6),
        }
    }

    /// A short lowercase name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local",
            Self::Metadata => "cloud metadata",
            Self::Unspecified => "unspecified",
            Self::Multicast => "multicast or broadcast",
            Self::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    const METADATA: [Ipv4Addr; 5] = [
        Ipv4Addr::new(169, 254, 169, 254),
        Ipv4Addr::new(100, 100, 100, 200),
        Ipv4Addr::new(169, 254, 170, 2),
        Ipv4Addr::new(169, 254, 170, 23),
        Ipv4Addr::new(168, 63, 129, 16),
    ];
    if METADATA.contains(&ip) {
        AddressClass::Metadata
    } else if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if ip.is_private()
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
    {
        AddressClass::Private
    } else if ip.is_multicast() || ip.is_broadcast() {
        AddressClass::Multicast
    } else if a == 0 || a >= 240 || (a == 192 && b == 0 && c == 0) || ip.is_documentation() {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 well-known prefix 64:ff9b::/96 carries an IPv4 destination.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = seg[6].to_be_bytes();
        let [c, d] = seg[7].to_be_bytes();
        return classify_v4(Ipv4Addr::new(a, b, c, d));
    }
    const METADATA: [Ipv6Addr; 3] = [
        Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254),
        Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0023),
        Ipv6Addr::new(0xfd20, 0x00ce, 0, 0, 0, 0, 0, 0x0254),
    ];
    if METADATA.contains(&ip) {
        AddressClass::Metadata
    } else if seg[..3] == [0x64, 0xff9b, 0x0001] {
        AddressClass::Reserved
    } else if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_multicast() {
        AddressClass::Multicast
    } else if (seg[0] & 0xffc0) == 0xfe80 {
        AddressClass::LinkLocal
    } else if (seg[0] & 0xfe00) == 0xfc00 || (seg[0] & 0xffc0) == 0xfec0 {
        AddressClass::Private
    } else if seg[..6] == [0; 6] || (seg[0] == 0x2001 && seg[1] == 0x0db8) {
        // The rest of ::/96 (deprecated IPv4-compatible) and documentation.
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

/// Why the policy refused a target. The text names the target (scheme, host,
/// port or address) and never a header, a body or URL credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyDenial {
    /// The scheme is neither `http` nor `https`.
    #[error("scheme `{0}` is not allowed (only https, and http to loopback)")]
    UnsupportedScheme(String),
    /// The URL has no host (e.g. `data:` or a relative URL).
    #[error("the URL has no host")]
    MissingHost,
    /// The URL carries a user name or password.
    #[error("URLs with credentials are not allowed (host {host})")]
    Credentials {
        /// The URL's host.
        host: String,
    },
    /// The (scheme,) host and port are not in the policy.
    #[error("{scheme}://{host}:{port} is not in the egress policy")]
    NotAllowed {
        /// `https`, `http`, or `tcp` for a transport target.
        scheme: String,
        /// The host as written in the target.
        host: String,
        /// The port (the scheme's default when the URL named none).
        port: u16,
    },
    /// Plain `http` to something that is not an allowed loopback address.
    #[error("plain http to {host}:{port} is refused: http is allowed only to loopback")]
    PlainHttp {
        /// The target host.
        host: String,
        /// The target port.
        port: u16,
    },
    /// A resolved (or literal) address is in a class the policy forbids.
    #[error("{host} resolves to {addr}, a {class} address, which the egress policy forbids")]
    ForbiddenAddress {
        /// The name that was resolved (the address itself for a literal).
        host: String,
        /// The refused address.
        addr: SocketAddr,
        /// Its class.
        class: AddressClass,
    },
}

/// A target string that cannot be put in a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid egress target `{target}`: {reason}")]
pub struct InvalidTarget {
    /// The target as given (policy configuration, not a secret).
    pub target: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Which targets the component may reach. Empty (deny all) by default.
///
/// HTTP targets are `(scheme, host, port)` triples; transport targets are
/// `(host, port)` pairs. Hosts are compared after normalization (lowercase,
/// IDNA, IPv6 without brackets), never by suffix: allowing `example.com`
/// does not allow `evil.example.com`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    http_targets: BTreeSet<(String, String, u16)>,
    transport_targets: BTreeSet<(String, u16)>,
    allow_loopback: bool,
    allow_private: bool,
}

impl EgressPolicy {
    /// A policy that allows nothing.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Allows the scheme, host and port of `url` (its path is ignored):
    /// `allow_url("https://oauth2.googleapis.com/token")` allows
    /// `https://oauth2.googleapis.com:443`.
    pub fn allow_url(mut self, url: &str) -> Result<Self, InvalidTarget> {
        let invalid = |reason: &str| InvalidTarget {
            target: url.to_owned(),
            reason: reason.to_owned(),
        };
        let parsed = Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
        let scheme = parsed.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(invalid("scheme must be http or https"));
        }
        let host = parsed
            .host()
            .map(|h| host_key(&h))
            .ok_or_else(|| invalid("no host"))?;
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| invalid("no port"))?;
        self.http_targets.insert((scheme.to_owned(), host, port));
        Ok(self)
    }

    /// Allows an origin (`https://login.microsoftonline.com`,
    /// `http://127.0.0.1:8080`); the same as [`Self::allow_url`] but refuses a
    /// path, query or fragment, so that a typo is not silently widened.
    pub fn allow_origin(self, origin: &str) -> Result<Self, InvalidTarget> {
        let parsed = Url::parse(origin).map_err(|e| InvalidTarget {
            target: origin.to_owned(),
            reason: e.to_string(),
        })?;
        if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(InvalidTarget {
                target: origin.to_owned(),
                reason: "an origin has no path, query or fragment".to_owned(),
            });
        }
        self.allow_url(origin)
    }

    /// Allows a raw TCP target for the `transport` import (`imap.gmail.com`,
    /// 993). `host` is a name, an IPv4 address or an IPv6 address with or
    /// without brackets.
    pub fn allow_host_port(mut self, host: &str, port: u16) -> Result<Self, InvalidTarget> {
        let host = parse_host(host).map_err(|reason| InvalidTarget {
            target: format!("{host}:{port}"),
            reason,
        })?;
        self.transport_targets.insert((host_key(&host), port));
        Ok(self)
    }

    /// Lets allowed targets resolve to loopback addresses, and lets plain
    /// `http` reach them. Off by default; for tests and local development.
    pub fn allow_loopback(mut self, allow: bool) -> Self {
        self.allow_loopback = allow;
        self
    }

    /// Lets allowed targets resolve to private and link-local addresses
    /// (an on-premises mail server). Off by default. The cloud metadata
    /// address stays refused.
    pub fn allow_private(mut self, allow: bool) -> Self {
        self.allow_private = allow;
        self
    }

    /// Whether loopback addresses are allowed.
    pub fn loopback_allowed(&self) -> bool {
        self.allow_loopback
    }

    /// Whether private and link-local addresses are allowed.
    pub fn private_allowed(&self) -> bool {
        self.allow_private
    }

    /// Checks a URL before any connection: scheme, credentials, the
    /// (scheme, host, port) triple, and, when the host is an IP literal, its
    /// address class. Names are checked again after resolution by
    /// [`Self::check_resolved`].
    pub fn check_url(&self, url: &Url) -> Result<(), PolicyDenial> {
        let scheme = url.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(PolicyDenial::UnsupportedScheme(scheme.to_owned()));
        }
        let host = url.host().ok_or(PolicyDenial::MissingHost)?;
        let host_str = host_key(&host);
        if !url.username().is_empty() || url.password().is_some() {
            return Err(PolicyDenial::Credentials { host: host_str });
        }
        let port = url
            .port_or_known_default()
            .ok_or(PolicyDenial::MissingHost)?;
        if scheme == "http" && !self.allow_loopback {
            return Err(PolicyDenial::PlainHttp {
                host: host_str,
                port,
            });
        }
        let key = (scheme.to_owned(), host_str, port);
        if !self.http_targets.contains(&key) {
            let (scheme, host, port) = key;
            return Err(PolicyDenial::NotAllowed { scheme, host, port });
        }
        if let Some(ip) = host_ip(&host) {
            self.check_resolved(scheme, &key.1, &[SocketAddr::new(ip, port)])?;
        }
        Ok(())
    }

    /// Checks one address: its class must be public, or loopback with
    /// `allow_loopback`, or private/link-local with `allow_private`.
    pub fn check_addr(&self, addr: SocketAddr) -> Result<(), PolicyDenial> {
        self.check_addr_for(&addr.ip().to_string(), addr)
    }

    /// Checks every address a name resolved to (all must pass: one forbidden
    /// address refuses the name, since a resolver may rotate them). For
    /// `http`, every address must also be loopback.
    pub fn check_resolved(
        &self,
        scheme: &str,
        host: &str,
        addrs: &[SocketAddr],
    ) -> Result<(), PolicyDenial> {
        for addr in addrs {
            self.check_addr_for(host, *addr)?;
            if scheme == "http" && AddressClass::of(addr.ip()) != AddressClass::Loopback {
                return Err(PolicyDenial::PlainHttp {
                    host: host.to_owned(),
                    port: addr.port(),
                });
            }
        }
        Ok(())
    }

    /// Checks a raw TCP target (before resolution) against the transport
    /// targets; resolved addresses go through [`Self::check_resolved`] with
    /// scheme `tcp`.
    pub fn check_host_port(&self, host: &str, port: u16) -> Result<(), PolicyDenial> {
        let parsed = parse_host(host).map_err(|_| PolicyDenial::MissingHost)?;
        let key = (host_key(&parsed), port);
        if !self.transport_targets.contains(&key) {
            return Err(PolicyDenial::NotAllowed {
                scheme: "tcp".to_owned(),
                host: key.0,
                port,
            });
        }
        if let Some(ip) = host_ip(&parsed) {
            self.check_addr_for(&key.0, SocketAddr::new(ip, port))?;
        }
        Ok(())
    }

    fn check_addr_for(&self, host: &str, addr: SocketAddr) -> Result<(), PolicyDenial> {
        let class = AddressClass::of(addr.ip());
        let allowed = match class {
            AddressClass::Public => true,
            AddressClass::Loopback => self.allow_loopback,
            AddressClass::Private | AddressClass::LinkLocal => self.allow_private,
            AddressClass::Metadata
            | AddressClass::Unspecified
            | AddressClass::Multicast
            | AddressClass::Reserved => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(PolicyDenial::ForbiddenAddress {
                host: host.to_owned(),
                addr,
                class,
            })
        }
    }
}

/// The host of a raw TCP target as the transport connects to it: an IP
/// address, or a lowercase ASCII (IDNA-encoded) DNS name. Parsed and
/// normalized exactly as [`EgressPolicy::check_host_port`] normalizes the
/// host it checks, so what is checked is what is connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerName {
    /// An IPv4 or IPv6 address (given with or without brackets).
    Ip(IpAddr),
    /// Lowercase ASCII (IDNA-encoded) name.
    Dns(String),
}

impl PeerName {
    /// Parses a bare host: a name, an IPv4 address, or an IPv6 address with
    /// or without brackets.
    pub fn parse(host: &str) -> Result<Self, String> {
        Ok(match parse_host(host)? {
            Host::Domain(name) => Self::Dns(name.to_ascii_lowercase()),
            Host::Ipv4(v4) => Self::Ip(IpAddr::V4(v4)),
            Host::Ipv6(v6) => Self::Ip(IpAddr::V6(v6)),
        })
    }

    /// `host:port` for messages, with IPv6 in brackets.
    pub fn target(&self, port: u16) -> String {
        match self {
            Self::Ip(IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
            other => format!("{other}:{port}"),
        }
    }
}

/// The policy's key for the host: the name, or the address without brackets.
impl fmt::Display for PeerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Dns(name) => f.write_str(name),
        }
    }
}

/// Parses a bare host (name, IPv4, IPv6 with or without brackets).
fn parse_host(host: &str) -> Result<Host, String> {
    if let Ok(ip) = host.parse::<Ipv6Addr>() {
        return Ok(Host::Ipv6(ip));
    }
    Host::parse(host).map_err(|e| e.to_string())
}

/// The normalized host used as a policy key: lowercase name, dotted IPv4,
/// IPv6 without brackets.
fn host_key<S: AsRef<str>>(host: &Host<S>) -> String {
    match host {
        Host::Domain(d) => d.as_ref().to_ascii_lowercase(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
    }
}

fn host_ip<S>(host: &Host<S>) -> Option<IpAddr> {
    match host {
        Host::Domain(_) => None,
        Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> AddressClass {
        AddressClass::of(s.parse().unwrap())
    }

    #[test]
    fn classifies_ipv4() {
        assert_eq!(class("8.8.8.8"), AddressClass::Public);
        assert_eq!(class("142.250.1.1"), AddressClass::Public);
        assert_eq!(class("127.0.0.1"), AddressClass::Loopback);
        assert_eq!(class("127.255.1.2"), AddressClass::Loopback);
        assert_eq!(class("10.1.2.3"), AddressClass::Private);
        assert_eq!(class("172.16.0.1"), AddressClass::Private);
        assert_eq!(class("172.31.255.255"), AddressClass::Private);
        assert_eq!(class("172.32.0.1"), AddressClass::Public);
        assert_eq!(class("192.168.1.1"), AddressClass::Private);
        assert_eq!(class("100.64.0.1"), AddressClass::Private);
        assert_eq!(class("169.254.1.1"), AddressClass::LinkLocal);
        assert_eq!(class("169.254.169.254"), AddressClass::Metadata);
        assert_eq!(class("100.100.100.200"), AddressClass::Metadata);
        assert_eq!(class("0.0.0.0"), AddressClass::Unspecified);
        assert_eq!(class("0.1.2.3"), AddressClass::Reserved);
        assert_eq!(class("224.0.0.1"), AddressClass::Multicast);
        assert_eq!(class("255.255.255.255"), AddressClass::Multicast);
        assert_eq!(class("240.0.0.1"), AddressClass::Reserved);
        assert_eq!(class("192.0.2.1"), AddressClass::Reserved);
    }

    #[test]
    fn classifies_ipv6() {
        assert_eq!(class("2a00:1450:4001::1"), AddressClass::Public);
        assert_eq!(class("::1"), AddressClass::Loopback);
        assert_eq!(class("::"), AddressClass::Unspecified);
        assert_eq!(class("fc00::1"), AddressClass::Private);
        assert_eq!(class("fd12:3456::1"), AddressClass::Private);
        assert_eq!(class("fe80::1"), AddressClass::LinkLocal);
        assert_eq!(class("febf::1"), AddressClass::LinkLocal);
        assert_eq!(class("fd00:ec2::254"), AddressClass::Metadata);
        assert_eq!(class("ff02::1"), AddressClass::Multicast);
        assert_eq!(class("2001:db8::1"), AddressClass::Reserved);
        assert_eq!(class("::7f00:1"), AddressClass::Reserved);
    }

    #[test]
    fn classifies_embedded_ipv4_by_the_ipv4_address() {
        assert_eq!(class("::ffff:127.0.0.1"), AddressClass::Loopback);
        assert_eq!(class("::ffff:10.0.0.1"), AddressClass::Private);
        assert_eq!(class("::ffff:169.254.169.254"), AddressClass::Metadata);
        assert_eq!(class("::ffff:8.8.8.8"), AddressClass::Public);
        assert_eq!(class("64:ff9b::127.0.0.1"), AddressClass::Loopback);
        assert_eq!(class("64:ff9b::8.8.8.8"), AddressClass::Public);
        assert_eq!(class("64:ff9b::169.254.170.2"), AddressClass::Metadata);
    }

    #[test]
    fn refuses_every_cloud_credential_service_even_with_allow_private() {
        let policy = EgressPolicy::deny_all()
            .allow_private(true)
            .allow_loopback(true);
        for address in [
            "169.254.170.2",
            "169.254.170.23",
            "fd00:ec2::23",
            "fd20:ce::254",
            "168.63.129.16",
            "::ffff:168.63.129.16",
        ] {
            let ip: IpAddr = address.parse().unwrap();
            assert_eq!(AddressClass::of(ip), AddressClass::Metadata, "{address}");
            assert!(
                policy.check_addr(SocketAddr::new(ip, 443)).is_err(),
                "{address}"
            );
        }
        // The local-use NAT64 prefix hides where the packets go.
        for address in ["64:ff9b:1::a9fe:a9fe", "64:ff9b:1:ffff::1"] {
            let ip: IpAddr = address.parse().unwrap();
            assert_eq!(AddressClass::of(ip), AddressClass::Reserved, "{address}");
            assert!(
                policy.check_addr(SocketAddr::new(ip, 443)).is_err(),
                "{address}"
            );
        }
        // Their neighbours stay what they were.
        assert_eq!(class("169.254.170.3"), AddressClass::LinkLocal);
        assert_eq!(class("168.63.129.17"), AddressClass::Public);
        assert_eq!(class("64:ff9b:2::1"), AddressClass::Public);
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn google() -> EgressPolicy {
        EgressPolicy::deny_all()
            .allow_url("https://oauth2.googleapis.com/token")
            .unwrap()
    }

    #[test]
    fn empty_policy_denies_everything() {
        let policy = EgressPolicy::deny_all();
        assert!(matches!(
            policy.check_url(&url("https://oauth2.googleapis.com/token")),
            Err(PolicyDenial::NotAllowed { .. })
        ));
        assert!(policy.check_host_port("imap.gmail.com", 993).is_err());
        assert!(policy.check_addr("127.0.0.1:80".parse().unwrap()).is_err());
    }

    #[test]
    fn allow_url_allows_scheme_host_and_port_only() {
        let policy = google();
        assert_eq!(
            policy.check_url(&url("https://oauth2.googleapis.com/other?x=1")),
            Ok(())
        );
        assert_eq!(
            policy.check_url(&url("https://OAuth2.GoogleAPIs.com:443/token")),
            Ok(())
        );
        let err = policy
            .check_url(&url("https://oauth2.googleapis.com:8443/token"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "https://oauth2.googleapis.com:8443 is not in the egress policy"
        );
        assert!(
            policy
                .check_url(&url("https://evil.oauth2.googleapis.com/token"))
                .is_err()
        );
        assert!(
            policy
                .check_url(&url("https://oauth2.googleapis.com.evil.test/"))
                .is_err()
        );
    }

    #[test]
    fn refuses_other_schemes_credentials_and_plain_http() {
        let policy = google();
        assert_eq!(
            policy.check_url(&url("ftp://oauth2.googleapis.com/")),
            Err(PolicyDenial::UnsupportedScheme("ftp".into()))
        );
        assert!(matches!(
            policy.check_url(&url("https://user:pw@oauth2.googleapis.com/")),
            Err(PolicyDenial::Credentials { .. })
        ));
        let with_http = EgressPolicy::deny_all()
            .allow_url("http://oauth2.googleapis.com/")
            .unwrap();
        assert!(matches!(
            with_http.check_url(&url("http://oauth2.googleapis.com/")),
            Err(PolicyDenial::PlainHttp { .. })
        ));
    }

    #[test]
    fn plain_http_needs_loopback_and_allow_loopback() {
        let base = EgressPolicy::deny_all()
            .allow_url("http://127.0.0.1:8080/")
            .unwrap();
        assert!(matches!(
            base.check_url(&url("http://127.0.0.1:8080/x")),
            Err(PolicyDenial::PlainHttp { .. })
        ));
        let open = base.allow_loopback(true);
        assert_eq!(open.check_url(&url("http://127.0.0.1:8080/x")), Ok(()));
        // A name allowed for http must still resolve to loopback only.
        let named = EgressPolicy::deny_all()
            .allow_url("http://auth.example.test/")
            .unwrap()
            .allow_loopback(true);
        assert_eq!(named.check_url(&url("http://auth.example.test/")), Ok(()));
        assert!(matches!(
            named.check_resolved(
                "http",
                "auth.example.test",
                &["8.8.8.8:80".parse().unwrap()]
            ),
            Err(PolicyDenial::PlainHttp { .. })
        ));
        assert_eq!(
            named.check_resolved(
                "http",
                "auth.example.test",
                &["127.0.0.1:80".parse().unwrap()]
            ),
            Ok(())
        );
    }

    #[test]
    fn literal_addresses_are_classified_before_connecting() {
        let policy = EgressPolicy::deny_all()
            .allow_url("https://127.0.0.1/")
            .unwrap()
            .allow_url("https://169.254.169.254/")
            .unwrap()
            .allow_url("https://[::ffff:127.0.0.1]/")
            .unwrap();
        assert!(matches!(
            policy.check_url(&url("https://127.0.0.1/")),
            Err(PolicyDenial::ForbiddenAddress {
                class: AddressClass::Loopback,
                ..
            })
        ));
        assert!(matches!(
            policy.check_url(&url("https://[::ffff:127.0.0.1]/")),
            Err(PolicyDenial::ForbiddenAddress {
                class: AddressClass::Loopback,
                ..
            })
        ));
        let permissive = policy.allow_loopback(true).allow_private(true);
        assert_eq!(permissive.check_url(&url("https://127.0.0.1/")), Ok(()));
        assert!(matches!(
            permissive.check_url(&url("https://169.254.169.254/")),
            Err(PolicyDenial::ForbiddenAddress {
                class: AddressClass::Metadata,
                ..
            })
        ));
    }

    #[test]
    fn one_forbidden_resolved_address_refuses_the_name() {
        let policy = google();
        let addrs: Vec<SocketAddr> = vec![
            "142.250.1.1:443".parse().unwrap(),
            "10.0.0.5:443".parse().unwrap(),
        ];
        let err = policy
            .check_resolved("https", "oauth2.googleapis.com", &addrs)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "oauth2.googleapis.com resolves to 10.0.0.5:443, a private address, \
             which the egress policy forbids"
        );
        assert_eq!(
            policy.check_resolved("https", "oauth2.googleapis.com", &addrs[..1]),
            Ok(())
        );
    }

    #[test]
    fn check_addr_follows_the_flags() {
        let policy = EgressPolicy::deny_all();
        let lo: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let private: SocketAddr = "192.168.0.1:1".parse().unwrap();
        let link: SocketAddr = "[fe80::1]:1".parse().unwrap();
        assert!(policy.check_addr(lo).is_err());
        assert!(policy.check_addr(private).is_err());
        assert!(policy.check_addr("1.1.1.1:443".parse().unwrap()).is_ok());
        let policy = policy.allow_loopback(true);
        assert!(policy.check_addr(lo).is_ok());
        assert!(policy.check_addr(private).is_err());
        let policy = policy.allow_private(true);
        assert!(policy.check_addr(private).is_ok());
        assert!(policy.check_addr(link).is_ok());
        assert!(policy.check_addr("0.0.0.0:1".parse().unwrap()).is_err());
        assert!(policy.check_addr("[ff02::1]:1".parse().unwrap()).is_err());
    }

    #[test]
    fn transport_targets_are_separate_from_http_targets() {
        let policy = google()
            .allow_host_port("IMAP.gmail.com", 993)
            .unwrap()
            .allow_host_port("[::1]", 143)
            .unwrap()
            .allow_loopback(true);
        assert_eq!(policy.check_host_port("imap.gmail.com", 993), Ok(()));
        assert!(policy.check_host_port("imap.gmail.com", 143).is_err());
        assert!(
            policy
                .check_host_port("oauth2.googleapis.com", 443)
                .is_err()
        );
        assert_eq!(policy.check_host_port("::1", 143), Ok(()));
        assert!(
            policy
                .check_url(&url("https://imap.gmail.com:993/"))
                .is_err()
        );
    }

    #[test]
    fn invalid_targets_are_rejected() {
        assert!(EgressPolicy::deny_all().allow_url("not a url").is_err());
        assert!(EgressPolicy::deny_all().allow_url("ftp://x.test/").is_err());
        assert!(
            EgressPolicy::deny_all()
                .allow_origin("https://x.test/path")
                .is_err()
        );
        assert!(
            EgressPolicy::deny_all()
                .allow_origin("https://x.test:8443")
                .is_ok()
        );
        assert!(EgressPolicy::deny_all().allow_host_port("", 1).is_err());
    }
}
