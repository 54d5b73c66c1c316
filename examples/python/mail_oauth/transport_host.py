"""The `transport` import over socket/ssl under a Policy: implicit TLS,
STARTTLS on the same socket, certificate and name validation, bounded reads,
timeouts, and a cap on connections per call.

As in the Rust host (host-harness/runtime/src/transport.rs), the socket
connects only to addresses the policy checked, `plain` is refused but to
loopback when loopback is allowed, and a STARTTLS upgrade is refused while
plaintext the server sent after its go-ahead is still unread (the command
injection of CVE-2011-0411). Error texts name the target, never a byte read
or written: the dialogue carries tokens.
"""

import socket
import ssl

from wasmtime.component import Variant

from .policy import Denied, Limits, Policy, classify

READ_CHUNK = 8 * 1024


class TransportFailure(Exception):
    """A `transport-error` to return: `.variant`."""

    def __init__(self, variant):
        super().__init__(variant.tag)
        self.variant = variant


class Connection:
    """One open connection: a socket, TLS or not, and a read buffer."""

    def __init__(self, sock, host, port, security, policy: Policy, limits: Limits):
        self.sock = sock
        self.host, self.port, self.security = host, port, security
        self.policy, self.limits = policy, limits
        self.buffer = bytearray()
        self.tls = security == "implicit-tls"
        self.broken = False

    @property
    def target(self):
        return f"{self.host}:{self.port}"

    def _fill(self):
        if self.broken:
            raise TransportFailure(Variant("other", f"{self.target}: connection unusable after an earlier error"))
        try:
            chunk = self.sock.recv(READ_CHUNK)
        except TimeoutError:
            raise TransportFailure(Variant("timeout")) from None
        except ssl.SSLError:
            self.broken = True
            raise TransportFailure(Variant("tls", f"{self.target}: bad TLS record")) from None
        except OSError:
            raise TransportFailure(Variant("closed")) from None
        if not chunk:
            raise TransportFailure(Variant("closed"))
        self.buffer += chunk

    def read_line(self, max_len: int) -> bytes:
        cap = min(max_len, self.limits.max_line_bytes)
        while True:
            end = self.buffer.find(b"\n", 0, cap)
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) >= cap:
                self.broken = True
                raise TransportFailure(Variant("line-too-long"))
            self._fill()

    def read_exact(self, length: int) -> bytes:
        if length > self.limits.max_line_bytes:
            self.broken = True
            raise TransportFailure(Variant("line-too-long"))
        while len(self.buffer) < length:
            self._fill()
        data = bytes(self.buffer[:length])
        del self.buffer[:length]
        return data

    def write(self, data: bytes) -> None:
        if self.broken:
            raise TransportFailure(Variant("other", f"{self.target}: connection unusable after an earlier error"))
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise TransportFailure(Variant("timeout")) from None
        except OSError:
            raise TransportFailure(Variant("closed")) from None

    def upgrade_tls(self) -> None:
        if self.security != "starttls" or self.tls:
            raise TransportFailure(Variant("other", f"{self.target}: only a starttls connection upgrades, once"))
        if self.buffer:
            self.broken = True
            raise TransportFailure(Variant("other", f"{self.target}: plaintext received ahead of the TLS handshake"))
        self.sock = _handshake(self.sock, self.host, self.port, self.policy, self.limits)
        self.tls = True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _handshake(sock, host, port, policy: Policy, limits: Limits):
    sock.settimeout(limits.connect_timeout)
    try:
        wrapped = policy.ssl_context().wrap_socket(sock, server_hostname=host)
    except TimeoutError:
        sock.close()
        raise TransportFailure(Variant("timeout")) from None
    except ssl.SSLCertVerificationError as error:
        sock.close()
        raise TransportFailure(
            Variant("tls", f"{host}:{port}: certificate not valid: {error.verify_message}")
        ) from None
    except (ssl.SSLError, OSError) as error:
        sock.close()
        raise TransportFailure(Variant("tls", f"{host}:{port}: handshake failed: {type(error).__name__}")) from None
    wrapped.settimeout(limits.io_timeout)
    return wrapped


def open_connection(policy: Policy, limits: Limits, host: str, port: int, security: str) -> Connection:
    """Checks, resolves, checks again, connects; raises TransportFailure."""
    try:
        policy.check_host_port(host, port)
        addresses = policy.resolve(host, port)
        if security == "plain" and not (
            policy.allow_loopback and all(classify(sockaddr[0]) == "loopback" for _, sockaddr in addresses)
        ):
            raise Denied(f"{host}:{port}: plain (no TLS) is allowed only to loopback")
    except Denied as error:
        raise TransportFailure(Variant("denied", str(error))) from None
    except OSError as error:
        raise TransportFailure(Variant("refused", str(error))) from None
    sock, last = None, None
    for family, sockaddr in addresses:
        candidate = socket.socket(family, socket.SOCK_STREAM)
        candidate.settimeout(limits.connect_timeout)
        try:
            candidate.connect(sockaddr)
            sock = candidate
            break
        except TimeoutError:
            candidate.close()
            last = Variant("timeout")
        except OSError as error:
            candidate.close()
            last = Variant("refused", f"{host}:{port}: {error.strerror or type(error).__name__}")
    if sock is None:
        raise TransportFailure(last or Variant("refused", f"{host}:{port}: no address"))
    if security == "implicit-tls":
        sock = _handshake(sock, host, port, policy, limits)
    sock.settimeout(limits.io_timeout)
    return Connection(sock, host, port, security, policy, limits)


class Connections:
    """The connections of one call: a handle table, the cap, and closing
    what the component left open when the call ends."""

    def __init__(self, policy: Policy, limits: Limits):
        self.policy, self.limits = policy, limits
        self.open = {}
        self.next_rep = 1

    def connect(self, host, port, security):
        if len(self.open) >= self.limits.max_connections:
            return Variant("denied", f"{host}:{port}: {self.limits.max_connections} connections already open")
        try:
            connection = open_connection(self.policy, self.limits, host, port, security)
        except TransportFailure as failure:
            return failure.variant
        rep, self.next_rep = self.next_rep, self.next_rep + 1
        self.open[rep] = connection
        return rep

    def call(self, rep, method, *args):
        connection = self.open.get(rep)
        if connection is None:
            return Variant("other", "no such connection")
        try:
            return getattr(connection, method)(*args)
        except TransportFailure as failure:
            return failure.variant

    def drop(self, rep):
        connection = self.open.pop(rep, None)
        if connection is not None:
            connection.close()

    def close_all(self):
        for rep in list(self.open):
            self.drop(rep)
