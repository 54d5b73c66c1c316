"""Tests of the mail_oauth kit without the peers: the egress policy, plain
data and its redaction, typed errors, and the imports' behaviour on faults no
real server produces on demand (local scripted sockets on 127.0.0.1)."""

import asyncio
import ctypes
import http.server
import os
import socket
import threading
import unittest
from pathlib import Path
from typing import ClassVar

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime.component import Record

from mail_oauth import (
    AsyncPlugin,
    Denied,
    Limits,
    MailFailure,
    OAuthError,
    Plugin,
    Policy,
    SaslError,
    WitRecord,
    WitVariant,
    _fast_bytes,
    classify,
    http_host,
    transport_host,
)

WASM = Path(
    os.environ.get("MAIL_OAUTH_WASM") or Path(__file__).resolve().parents[2] / "target/artifacts/mail_oauth_guest.wasm"
)


class PolicyTest(unittest.TestCase):
    def test_classify(self):
        for address, kind in [
            ("127.0.0.1", "loopback"),
            ("::1", "loopback"),
            ("10.1.2.3", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "private"),
            ("169.254.1.1", "link-local"),
            ("169.254.169.254", "metadata"),
            ("::ffff:169.254.169.254", "metadata"),
            ("fd00:ec2::254", "metadata"),
            ("169.254.170.2", "metadata"),
            ("169.254.170.23", "metadata"),
            ("fd00:ec2::23", "metadata"),
            ("fd20:ce::254", "metadata"),
            ("168.63.129.16", "metadata"),
            ("::ffff:168.63.129.16", "metadata"),
            ("64:ff9b:1::a9fe:a9fe", "reserved"),
            ("169.254.170.3", "link-local"),
            ("168.63.129.17", "public"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("8.8.8.8", "public"),
            ("64:ff9b::a00:1", "private"),
        ]:
            self.assertEqual(classify(address), kind, address)

    def test_loopback_refused_without_allow_loopback(self):
        with self.assertRaises(Denied):
            Policy().check_address("localhost", "127.0.0.1")
        Policy(allow_loopback=True).check_address("localhost", "127.0.0.1")

    def test_metadata_never_allowed(self):
        with self.assertRaises(Denied):
            Policy(allow_loopback=True, allow_private=True).check_address("x", "169.254.169.254")

    def test_origins_and_targets_deny_by_default(self):
        with self.assertRaises(Denied):
            Policy().check_url("https://accounts.google.com/.well-known/openid-configuration")
        policy = Policy(allow_origins=["https://accounts.google.com"])
        self.assertEqual(policy.check_url("https://accounts.google.com/x"), ("https", "accounts.google.com", 443))
        with self.assertRaises(Denied):
            policy.check_url("https://accounts.google.com:8443/x")
        with self.assertRaises(Denied):
            Policy().check_host_port("imap.example.com", 993)

    def test_plain_http_only_to_loopback(self):
        with self.assertRaises(Denied):
            Policy(allow_origins=["http://example.com"]).check_url("http://example.com/")
        policy = Policy(allow_origins=["http://localhost:8080"], allow_loopback=True)
        policy.check_url("http://localhost:8080/")
        self.assertTrue(policy.resolve_url_target("http", "localhost", 8080))

    def test_an_allowed_name_resolving_to_loopback_is_refused(self):
        # DNS rebinding: the name is allowed, the address it resolves to is not.
        with self.assertRaises(Denied):
            Policy(allow_targets=["localhost:993"]).resolve("localhost", 993)


@unittest.skipUnless(WASM.is_file(), f"{WASM} not built")
class PluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plugin = Plugin(WASM)

    def test_digest(self):
        self.assertEqual(len(self.plugin.sha256), 64)
        Plugin(WASM, sha256=self.plugin.sha256.upper())
        with self.assertRaises(ValueError):
            Plugin(WASM, sha256="0" * 64)

    def test_xoauth2_vector(self):
        self.assertEqual(
            self.plugin.sasl.xoauth2("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52Yj"
            "NSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
        )

    def test_sasl_error_is_typed_and_secret_free(self):
        with self.assertRaises(SaslError) as caught:
            self.plugin.sasl.xoauth2("user@example.com", "secret-token\r\nA1 LOGOUT")
        self.assertEqual(caught.exception.tag, "invalid-input")
        self.assertNotIn("secret-token", str(caught.exception) + repr(caught.exception))

    def test_discover_is_denied_by_the_policy(self):
        with self.assertRaises(OAuthError) as caught:
            self.plugin.oauth.discover("https://accounts.google.com")
        self.assertEqual(caught.exception.tag, "http")
        self.assertEqual(caught.exception.value["tag"], "denied")

    def test_variants_in_and_out(self):
        with self.assertRaises(OAuthError) as caught:
            self.plugin.oauth.preset({"tag": "microsoft", "val": ""})
        self.assertEqual(caught.exception.tag, "invalid-input")
        google = self.plugin.oauth.preset({"tag": "google"})
        self.assertIsInstance(google, WitRecord)
        self.assertEqual(google["token_endpoint"], "https://oauth2.googleapis.com/token")
        self.assertEqual(self.plugin.oauth.preset_for_host("me@outlook.com"), WitVariant(tag="microsoft", val="common"))
        self.assertIsNone(self.plugin.oauth.preset_for_host("mail.example.org"))

    def test_arguments_are_checked_by_the_wit_types(self):
        with self.assertRaisesRegex(ValueError, "unknown field"):
            self.plugin.mail.verify_imap(
                {"host": "h", "port": 993, "security": "implicit-tls", "tls": 1},
                {"user": "u", "credentials": {"tag": "access-token", "val": "t"}, "mechanism": None},
            )
        with self.assertRaisesRegex(ValueError, "not one of"):
            self.plugin.mail.verify_imap(
                {"host": "h", "port": 993, "security": "tls"},
                {"user": "u", "credentials": {"tag": "access-token", "val": "t"}, "mechanism": None},
            )
        with self.assertRaisesRegex(TypeError, "takes 1 arguments"):
            self.plugin.oauth.discover("https://a.example", "extra")

    def test_verify_imap_transport_denied_and_secret_free(self):
        login = {
            "user": "u@example.com",
            "credentials": {"tag": "access-token", "val": "tok-SECRET"},
            "mechanism": None,
        }
        with self.assertRaises(MailFailure) as caught:
            self.plugin.mail.verify_imap({"host": "imap.example.com", "port": 993, "security": "implicit-tls"}, login)
        self.assertEqual(caught.exception.tag, "transport")
        self.assertEqual(caught.exception.value["tag"], "denied")
        self.assertIsNone(caught.exception.refreshed)
        self.assertNotIn("tok-SECRET", str(caught.exception) + repr(caught.exception))

    def test_async_plugin_runs_calls_off_the_event_loop(self):
        async def main():
            kit = AsyncPlugin(WASM)
            self.assertEqual(kit.sha256, self.plugin.sha256)
            results = await asyncio.gather(*(kit.sasl.xoauth2(f"u{i}@example.com", "t") for i in range(4)))
            with self.assertRaises(OAuthError):
                await kit.oauth.discover("https://accounts.google.com")
            return results

        results = asyncio.run(main())
        self.assertEqual(results[2], self.plugin.sasl.xoauth2("u2@example.com", "t"))

    def test_calls_from_threads_are_independent(self):
        results, errors = [], []

        def run(i):
            try:
                results.append(self.plugin.sasl.xoauth2(f"u{i}@example.com", f"t{i}"))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(set(results)), 8)


@unittest.skipUnless(WASM.is_file(), f"{WASM} not built")
class FastBytesTest(unittest.TestCase):
    """mail_oauth._fast_bytes against wasmtime-py's own list<u8> conversion."""

    def test_same_values_both_ways(self):
        self.assertTrue(_fast_bytes.install(), "installed on the pinned wasmtime-py")
        plugin = Plugin(WASM)
        http = plugin.component.type.imports(plugin.engine)["mail-oauth:plugin/http@0.2.0"].ty
        send = http.exports(plugin.engine)["send"].ty
        body = dict(send.params[0][1].fields)["body"]
        store = wasmtime.Store(plugin.engine)
        for data in (b"", b"\x00", bytes(range(256)) * 3):
            for to_c, from_c in (
                (_fast_bytes._to_c, _fast_bytes._original_from_c),
                (_fast_bytes._original_to_c, _fast_bytes._from_c),
            ):
                raw = ffi.wasmtime_component_val_t()
                to_c(body, store, data, ctypes.pointer(raw))
                self.assertEqual(bytes(from_c(body, raw)), data)


class RedactionTest(unittest.TestCase):
    def test_records_and_variants_hide_secrets(self):
        tokens = WitRecord(
            access_token="AT-123",
            refresh_token="RT-456",
            expires_at=5,
            scopes=["mail"],
            id_token=None,
            account_email="a@example.com",
        )
        shown = repr(tokens) + str([tokens]) + str(WitVariant(tag="access-token", val="AT-789"))
        for secret in ("AT-123", "RT-456", "AT-789"):
            self.assertNotIn(secret, shown)
        self.assertIn("a@example.com", shown)
        self.assertEqual(tokens["access_token"], "AT-123")

    def test_errors_show_tag_and_redacted_payload(self):
        error = OAuthError("provider-error", WitRecord(code="invalid_client", description=None))
        self.assertEqual(str(error), "provider-error: {'code': 'invalid_client', 'description': None}")


# ------------------------------------------------------------------ scripted servers for faults
class Server:
    """A one-connection TCP server on 127.0.0.1 running `script(conn)`."""

    def __init__(self, script):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.done = threading.Event()

        def serve():
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed by a test whose connection was refused
                return
            with conn:
                try:
                    script(conn)
                finally:
                    self.done.set()

        threading.Thread(target=serve, daemon=True).start()

    def close(self):
        self.listener.close()


def read_until(conn, marker):
    data = b""
    while marker not in data:
        chunk = conn.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


class TransportFaultTest(unittest.TestCase):
    def policy(self, port):
        return Policy(allow_targets=[f"127.0.0.1:{port}"], allow_loopback=True)

    def test_plaintext_ahead_of_the_tls_handshake_is_refused(self):
        def script(conn):
            conn.sendall(b"* OK ready\r\n")
            read_until(conn, b"STARTTLS\r\n")
            # The go-ahead and an injected command in one segment (CVE-2011-0411).
            conn.sendall(b"a OK begin TLS\r\nb INJECTED\r\n")
            read_until(conn, b"never")

        server = Server(script)
        self.addCleanup(server.close)
        connection = transport_host.open_connection(
            self.policy(server.port), Limits(), "127.0.0.1", server.port, "starttls"
        )
        self.addCleanup(connection.close)
        self.assertEqual(connection.read_line(1000), b"* OK ready\r\n")
        connection.write(b"a STARTTLS\r\n")
        self.assertEqual(connection.read_line(1000), b"a OK begin TLS\r\n")
        # Both lines came in one segment: the injected one is still buffered.
        while b"INJECTED" not in connection.buffer:
            connection._fill()
        with self.assertRaises(transport_host.TransportFailure) as caught:
            connection.upgrade_tls()
        self.assertEqual(caught.exception.variant.tag, "other")
        self.assertIn("plaintext", caught.exception.variant.payload)

    def test_a_line_longer_than_max_len_is_line_too_long(self):
        server = Server(lambda conn: (conn.sendall(b"x" * 300), read_until(conn, b"never")))
        self.addCleanup(server.close)
        connection = transport_host.open_connection(
            self.policy(server.port), Limits(), "127.0.0.1", server.port, "plain"
        )
        self.addCleanup(connection.close)
        with self.assertRaises(transport_host.TransportFailure) as caught:
            connection.read_line(100)
        self.assertEqual(caught.exception.variant.tag, "line-too-long")

    def test_a_silent_server_is_a_timeout(self):
        server = Server(lambda conn: read_until(conn, b"never"))
        self.addCleanup(server.close)
        connection = transport_host.open_connection(
            self.policy(server.port), Limits(io_timeout=0.3), "127.0.0.1", server.port, "plain"
        )
        self.addCleanup(connection.close)
        with self.assertRaises(transport_host.TransportFailure) as caught:
            connection.read_line(100)
        self.assertEqual(caught.exception.variant.tag, "timeout")

    def test_plain_is_denied_off_loopback_and_the_cap_holds(self):
        server = Server(lambda conn: read_until(conn, b"never"))
        self.addCleanup(server.close)
        strict = Policy(allow_targets=[f"127.0.0.1:{server.port}"])
        connections = transport_host.Connections(strict, Limits())
        self.assertEqual(connections.connect("127.0.0.1", server.port, "plain").tag, "denied")
        capped = transport_host.Connections(self.policy(server.port), Limits(max_connections=1))
        self.addCleanup(capped.close_all)
        self.assertIsInstance(capped.connect("127.0.0.1", server.port, "plain"), int)
        refused = capped.connect("127.0.0.1", server.port, "plain")
        self.assertEqual(refused.tag, "denied")
        self.assertIn("connections already open", refused.payload)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    peers: ClassVar[list] = []

    def do_GET(self):
        Handler.peers.append(self.client_address[1])
        if self.path == "/close":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            body = b"x" * 4096
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *_args):
        pass


def request(url, method="GET", body=b""):
    record = Record()
    record.method, record.url, record.headers, record.body = method, url, [], body
    return record


class HttpFaultTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        cls.origin = f"http://127.0.0.1:{cls.server.server_address[1]}"
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def policy(self):
        return Policy(allow_origins=[self.origin], allow_loopback=True)

    def test_a_redirect_is_returned_not_followed(self):
        response = http_host.send(self.policy(), Limits(), request(self.origin + "/redirect"))
        self.assertEqual(response.status, 302)

    def test_a_response_over_the_cap_is_too_large(self):
        response = http_host.send(self.policy(), Limits(max_response_bytes=1024), request(self.origin + "/big"))
        self.assertEqual(response.tag, "too-large")
        ok = http_host.send(self.policy(), Limits(), request(self.origin + "/big"))
        self.assertEqual(len(ok.body), 4096)

    def test_a_request_over_the_cap_is_too_large_and_not_sent(self):
        response = http_host.send(
            self.policy(), Limits(max_request_bytes=10), request(self.origin + "/big", "POST", b"y" * 11)
        )
        self.assertEqual(response.tag, "too-large")

    def test_connections_are_kept_alive_per_origin_and_closed_ones_dropped(self):
        pool = http_host.Pool()
        Handler.peers.clear()
        for path in ("/big", "/big", "/close", "/big"):
            self.assertEqual(http_host.send(self.policy(), Limits(), request(self.origin + path), pool).status, 200)
        first, second, closing, after = Handler.peers
        self.assertEqual(first, second, "the second request reused the connection")
        self.assertEqual(second, closing)
        self.assertNotEqual(closing, after, "a connection the server closed is not reused")

    def test_an_origin_not_allowed_is_denied(self):
        response = http_host.send(Policy(allow_loopback=True), Limits(), request(self.origin + "/big"))
        self.assertEqual(response.tag, "denied")


if __name__ == "__main__":
    unittest.main()
