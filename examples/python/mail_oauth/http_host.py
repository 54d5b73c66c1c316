"""The `http` import over http.client/ssl under a Policy: no redirects (a 3xx
is returned as it is), no proxy from the environment, timeouts, request and
response size caps, and the connection made to exactly an address the policy
checked, with TLS validating the certificate for the URL's host name."""

import http.client
import select
import socket
import threading
import time
from urllib.parse import urlsplit

from wasmtime.component import Record, Variant

from .policy import Denied, Limits, Policy


def _record(**fields):
    value = Record()
    for name, field_value in fields.items():
        setattr(value, name.replace("_", "-"), field_value)
    return value


def _connect(addresses, host, port, limits: Limits):
    last = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(limits.connect_timeout)
        try:
            sock.connect(sockaddr)
            # As urllib3 does: no Nagle delay on a kept-alive connection.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except TimeoutError:
            sock.close()
            last = Variant("timeout")
        except OSError as error:
            sock.close()
            last = Variant("unreachable", f"{host}:{port}: {error.strerror or type(error).__name__}")
    raise _Unreachable(last or Variant("unreachable", f"{host}:{port}: no address"))


class _Unreachable(Exception):
    def __init__(self, variant):
        super().__init__(variant.tag)
        self.variant = variant


class Pool:
    """Idle keep-alive connections per origin (as any HTTP client keeps
    them): a reused connection goes to an address the policy checked when it
    was opened, for the same origin. Shared by the calls of one Plugin;
    a connection serves one request at a time."""

    MAX_IDLE_PER_ORIGIN = 2
    MAX_IDLE_SECONDS = 30.0

    def __init__(self):
        self._idle = {}
        self._lock = threading.Lock()

    def take(self, key):
        """An idle connection still open at both ends, or None. One the
        server closed meanwhile is readable (EOF) and is dropped here, so that
        a request is never sent twice (a token request must not be)."""
        with self._lock:
            idle = self._idle.get(key, [])
            while idle:
                connection, since = idle.pop()
                fresh = time.monotonic() - since < self.MAX_IDLE_SECONDS
                if fresh and not select.select([connection.sock], [], [], 0)[0]:
                    return connection
                connection.close()
        return None

    def give(self, key, connection):
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.MAX_IDLE_PER_ORIGIN:
                idle.append((connection, time.monotonic()))
                return
        connection.close()


def _open(policy: Policy, limits: Limits, scheme, host, port, addresses):
    """A new connection to a checked address, TLS done for https."""
    sock = _connect(addresses, host, port, limits)
    if scheme == "https":
        sock.settimeout(limits.connect_timeout)
        try:
            sock = policy.ssl_context().wrap_socket(sock, server_hostname=host)
        except TimeoutError:
            sock.close()
            raise _Unreachable(Variant("timeout")) from None
        except OSError as error:
            sock.close()
            detail = getattr(error, "verify_message", None) or type(error).__name__
            raise _Unreachable(Variant("tls", f"{host}:{port}: {detail}")) from None
    sock.settimeout(limits.io_timeout)
    # The class only sets the default port of the Host header: `sock` is
    # connected (and TLS for https) already, to the checked address.
    kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = kind(host, port, timeout=limits.io_timeout)
    connection.sock = sock
    return connection


def _exchange(connection, request, body, limits: Limits):
    """(response Record or Variant, whether the connection can be reused)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection.putrequest(request.method, target, skip_accept_encoding=True)
    for header in request.headers:
        connection.putheader(header.name, header.value)
    if body or request.method in ("POST", "PUT", "PATCH"):
        connection.putheader("content-length", str(len(body)))
    connection.endheaders(body or None)
    response = connection.getresponse()  # a 3xx comes back as it is
    declared = response.getheader("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_response_bytes:
        return Variant("too-large"), False
    data = response.read(limits.max_response_bytes + 1)
    if len(data) > limits.max_response_bytes:
        return Variant("too-large"), False
    headers = [_record(name=name.lower(), value=value) for name, value in response.getheaders()]
    reusable = response.isclosed() and not response.will_close
    return _record(status=response.status, headers=headers, body=data), reusable


def send(policy: Policy, limits: Limits, request, pool: Pool | None = None):
    """Performs one `request` (wasmtime-py's Record); returns a `response`
    Record or an `http-error` Variant. With a `pool`, connections are kept
    alive per origin."""
    body = bytes(request.body)
    if len(body) > limits.max_request_bytes:
        return Variant("too-large")
    try:
        scheme, host, port = policy.check_url(request.url)
    except Denied as error:
        return Variant("denied", str(error))
    key = (scheme, host, port)
    reused = pool.take(key) if pool else None
    if reused is not None:
        try:
            result, reusable = _exchange(reused, request, body, limits)
        except TimeoutError:
            reused.close()
            return Variant("timeout")
        except (OSError, http.client.HTTPException) as error:
            reused.close()
            return Variant("other", f"{host}:{port}: {type(error).__name__}")
        else:
            if reusable:
                pool.give(key, reused)
            else:
                reused.close()
            return result
    try:
        addresses = policy.resolve_url_target(scheme, host, port)
    except Denied as error:
        return Variant("denied", str(error))
    except OSError as error:
        return Variant("unreachable", str(error))
    try:
        connection = _open(policy, limits, scheme, host, port, addresses)
    except _Unreachable as failed:
        return failed.variant
    keep = False
    try:
        result, keep = _exchange(connection, request, body, limits)
        return result
    except TimeoutError:
        return Variant("timeout")
    except (OSError, http.client.HTTPException) as error:
        return Variant("other", f"{host}:{port}: {type(error).__name__}")
    finally:
        if keep and pool:
            pool.give(key, connection)
        else:
            connection.close()
