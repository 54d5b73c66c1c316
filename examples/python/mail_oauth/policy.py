"""The egress policy, mirroring host-harness/runtime/src/egress.rs: deny by
default, allowed origins (HTTP) and host:port targets (mail), and every
resolved address classified so that an allowed name resolving to loopback,
a private range or the cloud metadata service is refused."""

import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Cloud metadata and credential services (AWS, GCP, Azure, Alibaba; ECS/EKS task credentials).
METADATA = {
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "100.100.100.200",
        "fd00:ec2::254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::23",
        "fd20:ce::254",
        "168.63.129.16",
    )
}
# RFC 8215 local-use NAT64: the IPv4 destination is not at a fixed place.
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
PRIVATE_V4 = [
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "198.18.0.0/15")
]
PRIVATE_V6 = [ipaddress.ip_network(n) for n in ("fc00::/7", "fec0::/10")]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Denied(Exception):
    """The policy refuses a target; the text names it (never a secret)."""


def classify(address) -> str:
    """`public`, `loopback`, `private`, `link-local`, `metadata`,
    `unspecified`, `multicast` or `reserved`, like egress.rs's AddressClass."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return classify(ip.ipv4_mapped)
        if ip in NAT64:
            return classify(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in NAT64_LOCAL:
            return "reserved"
    if ip in METADATA:
        return "metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if any(ip in net for net in (PRIVATE_V4 if ip.version == 4 else PRIVATE_V6)):
        return "private"
    if ip.is_multicast or ip == ipaddress.ip_address("255.255.255.255"):
        return "multicast"
    if ip.is_global:
        return "public"
    return "reserved"


def origin(url: str) -> tuple:
    """(scheme, host, port) of an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Denied(f"{url!r} is not an absolute http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname.lower(), port


@dataclass(frozen=True)
class Limits:
    """Time, size and count limits of the kit's imports (the Rust host's
    defaults): seconds for connecting (resolution, TCP, TLS handshake) and for
    each read or write; bytes for a request body, a response body and a mail
    line or literal; connections open at once in one call."""

    connect_timeout: float = 10.0
    io_timeout: float = 30.0
    max_request_bytes: int = 1 << 20
    max_response_bytes: int = 1 << 20
    max_line_bytes: int = 64 * 1024
    max_connections: int = 16


@dataclass
class Policy:
    """Which targets the component may reach. `allow_origins` holds
    `https://host[:port]` origins for `http`, `allow_targets` `host:port`
    pairs for `transport`. Loopback needs `allow_loopback`, private and
    link-local ranges `allow_private`; metadata, unspecified, multicast and
    reserved addresses are never allowed."""

    allow_origins: list = field(default_factory=list)
    allow_targets: list = field(default_factory=list)
    allow_loopback: bool = False
    allow_private: bool = False
    ca_file: str | None = None

    def ssl_context(self) -> ssl.SSLContext:
        """The system's trusted roots, plus `ca_file` when set; certificate
        and host name checked."""
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
        return context

    def check_url(self, url: str) -> tuple:
        scheme, host, port = origin(url)
        if scheme == "http" and not self.allow_loopback:
            raise Denied(f"plain http to {host}:{port} is refused: http is allowed only to loopback")
        if not any(origin(allowed) == (scheme, host, port) for allowed in self.allow_origins):
            raise Denied(f"{scheme}://{host}:{port}: origin not allowed")
        return scheme, host, port

    def check_host_port(self, host: str, port: int) -> None:
        wanted = f"{host.lower()}:{port}"
        if wanted not in (target.lower() for target in self.allow_targets):
            raise Denied(f"{wanted}: target not allowed")

    def check_address(self, host: str, address: str) -> None:
        kind = classify(address)
        allowed = (
            kind == "public"
            or (kind == "loopback" and self.allow_loopback)
            or (kind in ("private", "link-local") and self.allow_private)
        )
        if not allowed:
            raise Denied(f"{host}: resolves to {kind} address {address}")

    def resolve_url_target(self, scheme: str, host: str, port: int) -> list:
        """`resolve`, and for plain `http` every address must be loopback."""
        addresses = self.resolve(host, port)
        if scheme == "http" and any(classify(sockaddr[0]) != "loopback" for _, sockaddr in addresses):
            raise Denied(f"plain http to {host}:{port} is refused: http is allowed only to loopback")
        return addresses

    def resolve(self, host: str, port: int) -> list:
        """The checked socket addresses of `host`; every resolved address must
        pass, so a name resolving to one forbidden address is refused."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise OSError(f"{host}: name resolution failed: {error}") from None
        addresses = []
        for family, _type, _proto, _name, sockaddr in infos:
            self.check_address(host, sockaddr[0])
            addresses.append((family, sockaddr))
        return addresses
