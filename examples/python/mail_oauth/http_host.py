"""The `http` import over http.client/ssl under a Policy: no redirects (a 3xx
is returned as it is), no proxy from the environment, timeouts, request and
response size caps, and the connection made to exactly an address the policy
checked, with TLS validating the certificate for the URL's host name."""

import http.client
import socket
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


def send(policy: Policy, limits: Limits, request):
    """Performs one `request` (wasmtime-py's Record); returns a `response`
    Record or an `http-error` Variant."""
    body = bytes(request.body)
    if len(body) > limits.max_request_bytes:
        return Variant("too-large")
    try:
        scheme, host, port = policy.check_url(request.url)
        addresses = policy.resolve_url_target(scheme, host, port)
    except Denied as error:
        return Variant("denied", str(error))
    except OSError as error:
        return Variant("unreachable", str(error))
    try:
        sock = _connect(addresses, host, port, limits)
    except _Unreachable as failed:
        return failed.variant
    try:
        if scheme == "https":
            sock.settimeout(limits.connect_timeout)
            try:
                sock = policy.ssl_context().wrap_socket(sock, server_hostname=host)
            except TimeoutError:
                return Variant("timeout")
            except OSError as error:
                return Variant(
                    "tls", f"{host}:{port}: {getattr(error, 'verify_message', None) or type(error).__name__}"
                )
        sock.settimeout(limits.io_timeout)
        # The class only sets the default port of the Host header: `sock` is
        # connected (and TLS for https) already, to the checked address.
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = kind(host, port, timeout=limits.io_timeout)
        connection.sock = sock
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
            return Variant("too-large")
        data = response.read(limits.max_response_bytes + 1)
        if len(data) > limits.max_response_bytes:
            return Variant("too-large")
        headers = [_record(name=name.lower(), value=value) for name, value in response.getheaders()]
        return _record(status=response.status, headers=headers, body=data)
    except TimeoutError:
        return Variant("timeout")
    except (OSError, http.client.HTTPException) as error:
        return Variant("other", f"{host}:{port}: {type(error).__name__}")
    finally:
        sock.close()
