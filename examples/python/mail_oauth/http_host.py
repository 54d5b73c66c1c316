"""The `http` import over http.client/ssl under a Policy: no redirects, no
environment proxy, timeouts, a response size cap, and the connection made to
exactly the address the policy checked."""

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from wasmtime.component import Record, Variant

from .policy import Denied, Policy

MAX_BODY = 1 << 20
TIMEOUT = 15.0


def _record(**fields):
    value = Record()
    for name, field_value in fields.items():
        setattr(value, name.replace("_", "-"), field_value)
    return value


def send(policy: Policy, request):
    """Performs one `request`; returns a `response` Record or an `http-error` Variant."""
    try:
        scheme, host, port = policy.check_url(request.url)
        addresses = policy.resolve(host, port)
    except Denied as error:
        return Variant("denied", str(error))
    except OSError as error:
        return Variant("unreachable", str(error))
    family, sockaddr = addresses[0]
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        sock.connect(sockaddr)
    except TimeoutError:
        return Variant("timeout")
    except OSError as error:
        return Variant("unreachable", f"{host}:{port}: {error}")
    try:
        if scheme == "https":
            context = ssl.create_default_context(cafile=policy.ca_file)
            try:
                sock = context.wrap_socket(sock, server_hostname=host)
            except ssl.SSLError as error:
                return Variant("tls", f"{host}: {error}")
            connection = http.client.HTTPSConnection(host, port, timeout=TIMEOUT, context=context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        connection.sock = sock  # exactly the checked address; no proxy
        parts = urlsplit(request.url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        connection.putrequest(request.method, target, skip_accept_encoding=True)
        for header in request.headers:
            connection.putheader(header.name, header.value)
        body = bytes(request.body)
        if body:
            connection.putheader("content-length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()  # never follows redirects
        data = response.read(MAX_BODY + 1)
        if len(data) > MAX_BODY:
            return Variant("too-large")
        headers = [_record(name=name.lower(), value=value) for name, value in response.getheaders()]
        return _record(status=response.status, headers=headers, body=data)
    except TimeoutError:
        return Variant("timeout")
    except (OSError, http.client.HTTPException) as error:
        return Variant("other", f"{host}:{port}: {type(error).__name__}")
    finally:
        sock.close()
