"""Loads the mail-oauth component with wasmtime-py and checks that `sasl.*` and
the pure `oauth.*` functions give the published vectors when called by their
WIT names from an outside host."""

import base64
import hashlib
import os
import unittest
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import wasmtime
from wasmtime.component import Component, Linker, Record, ResourceType, Variant

WASM = Path(
    os.environ.get("MAIL_OAUTH_WASM")
    or Path(__file__).resolve().parents[2] / "target/wasm32-wasip2/component/mail_oauth_guest.wasm"
)
HTTP = "mail-oauth:plugin/http@0.2.0"
SASL = "mail-oauth:plugin/sasl@0.2.0"
OAUTH = "mail-oauth:plugin/oauth@0.2.0"
MAIL = "mail-oauth:plugin/mail@0.2.0"
NO_HTTP = "this example host performs no HTTP"
TRANSPORT = "mail-oauth:plugin/transport@0.2.0"
NO_MAIL = "this example host opens no mail connections"


def send(_store, request):
    """`http.send`: this host performs no HTTP, so every request gets the
    `other` case of `http-error` (wasmtime-py lowers a `Variant` returned for a
    `result<response, http-error>` to its `err` case)."""
    del request
    return Variant("other", NO_HTTP)


def connect(_store, host, port, _security):
    """`transport.connect`: this host's egress policy allows no mail server,
    so every connection is `denied` (the `err` case)."""
    return Variant("denied", f"{host}:{port}: {NO_MAIL}")


def no_connection(_store, *_args):
    """The `connection` methods: unreachable, since `connect` never succeeds."""
    return Variant("other", NO_MAIL)


def record(**fields):
    """A WIT record: wasmtime-py reads its fields as attributes named as in
    the WIT (kebab-case)."""
    value = Record()
    for name, field in fields.items():
        setattr(value, name.replace("_", "-"), field)
    return value


def b64(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


class Plugin:
    """One instance of the component in its own store."""

    engine = wasmtime.Engine()
    component = None
    linker = None

    @classmethod
    def compile(cls):
        cls.component = Component.from_file(cls.engine, str(WASM))
        cls.linker = Linker(cls.engine)
        cls.linker.add_wasip2()
        with cls.linker.root() as root:
            with root.add_instance(HTTP) as http:
                http.add_func("send", send)
            with root.add_instance(TRANSPORT) as transport:
                transport.add_resource("connection", ResourceType.host(1), lambda _ctx, _rep: None)
                transport.add_func("connect", connect)
                for method in ("read-line", "read-exact", "write", "upgrade-tls"):
                    transport.add_func(f"[method]connection.{method}", no_connection)

    def __init__(self):
        self.store = wasmtime.Store(self.engine)
        # No preopens, no environment, no inherited stdio: the component needs none.
        self.store.set_wasi(wasmtime.WasiConfig())
        self.instance = self.linker.instantiate(self.store, self.component)

    def call(self, interface, name, *args):
        index = self.instance.get_export_index(self.store, interface)
        func = self.instance.get_func(
            self.store, self.instance.get_export_index(self.store, name, index)
        )
        return func(self.store, *args)


def setUpModule():
    if not WASM.is_file():
        raise FileNotFoundError(f"{WASM}: build the component first (see test.sh)")
    Plugin.compile()


class ComponentTest(unittest.TestCase):
    def setUp(self):
        self.plugin = Plugin()

    # wasmtime-py returns a `result` untagged when its two sides cannot be
    # confused (the error is a variant, the value is not) and tagged
    # (`ok` / `err`) when they can (`result<string, sasl-error>`, whose one
    # case carries a string too).
    def ok(self, interface, name, *args):
        result = self.plugin.call(interface, name, *args)
        if isinstance(result, Variant) and result.tag == "ok":
            return result.payload
        self.assertNotIsInstance(result, Variant, f"{name} failed: {result!r}")
        return result

    def err(self, interface, name, *args):
        result = self.plugin.call(interface, name, *args)
        if interface == SASL:
            # `sasl-error` has one case, `invalid-input(string)`: wasmtime-py
            # passes it untagged, as its payload, itself inside a tagged
            # result when the value is a string too.
            if isinstance(result, Variant):
                self.assertEqual(result.tag, "err", f"{name} succeeded: {result!r}")
                result = result.payload
            self.assertIsInstance(result, str, f"{name} succeeded: {result!r}")
            return Variant("invalid-input", result)
        self.assertIsInstance(result, Variant, f"{name} succeeded: {result!r}")
        self.assertNotEqual(result.tag, "ok", f"{name} succeeded: {result!r}")
        return result


class SaslTest(ComponentTest):
    def test_xoauth2_google_vector(self):
        self.assertEqual(
            self.ok(SASL, "xoauth2", "someuser@example.com",
                    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52Yj"
            "NSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
        )

    def test_oauthbearer_rfc7628_example(self):
        token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
        expected = b64(
            "n,a=user@example.com,\x01host=server.example.com\x01port=143"
            f"\x01auth=Bearer {token}\x01\x01"
        )
        response = self.ok(SASL, "oauthbearer", "user@example.com", "server.example.com", 143, token)
        self.assertEqual(response, expected)
        # The same vector as guest/tests/sasl_vectors.rs, so both hosts and the
        # guest's native tests agree on one string.
        self.assertEqual(
            response,
            "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVy"
            "IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB",
        )

    def test_oauthbearer_escapes_authzid(self):
        response = self.ok(SASL, "oauthbearer", "a,b=c@example.com", "imap.example.com", 993, "tok")
        decoded = base64.b64decode(response).decode()
        self.assertTrue(decoded.startswith("n,a=a=2Cb=3Dc@example.com,\x01"), repr(decoded))
        self.assertIn("\x01port=993\x01", decoded)

    def test_parse_failure_google_challenge(self):
        failure = self.ok(
            SASL, "parse-failure",
            "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
        )
        self.assertEqual(failure.status, "401")
        self.assertEqual(failure.schemes, "bearer")
        self.assertEqual(failure.scope, "https://mail.google.com/")

    def test_xoauth2_refuses_injected_key_value(self):
        error = self.err(SASL, "xoauth2", "user@example.com\x01auth=", "tok")
        self.assertEqual(error.tag, "invalid-input")
        self.assertIsInstance(error.payload, str)

    def test_oauthbearer_refuses_empty_host(self):
        self.assertEqual(
            self.err(SASL, "oauthbearer", "user@example.com", "", 143, "tok").tag, "invalid-input"
        )

    def test_parse_failure_refuses_non_base64_json(self):
        self.assertEqual(self.err(SASL, "parse-failure", "not base64 !").tag, "invalid-input")
        self.assertEqual(
            self.err(SASL, "parse-failure", b64('{"schemes":"bearer"}')).tag, "invalid-input"
        )


class OauthTest(ComponentTest):
    # `preset-kind` has several cases without a payload: wasmtime-py takes
    # it tagged.
    GOOGLE = Variant("google")

    def test_providers_lists_presets(self):
        ids = [provider.id for provider in self.ok(OAUTH, "providers")]
        self.assertIn("google", ids)
        self.assertIn("microsoft", ids)

    def test_preset_refuses_empty_microsoft_tenant(self):
        self.assertEqual(
            self.err(OAUTH, "preset", Variant("microsoft", "")).tag, "invalid-input"
        )

    def test_begin_authorization_google_pkce_url(self):
        google = self.ok(OAUTH, "preset", self.GOOGLE)
        client = record(id="example-client.apps.googleusercontent.com", secret=None,
                        redirect_uri="http://127.0.0.1:8765/callback")
        options = record(scopes=[], login_hint="someuser@example.com")
        pending = self.ok(OAUTH, "begin-authorization", google, client, options)

        url = urlsplit(pending.url)
        self.assertEqual(f"{url.scheme}://{url.netloc}{url.path}",
                         getattr(google, "authorization-endpoint"))
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        self.assertEqual(query["response_type"], "code")
        self.assertEqual(query["client_id"], client.id)
        self.assertEqual(query["redirect_uri"], getattr(client, "redirect-uri"))
        self.assertEqual(query["code_challenge_method"], "S256")
        self.assertEqual(query["access_type"], "offline")
        self.assertEqual(query["prompt"], "consent")
        self.assertEqual(query["login_hint"], "someuser@example.com")
        self.assertEqual(query["state"], pending.state)
        verifier = getattr(pending, "pkce-verifier")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        self.assertEqual(query["code_challenge"], challenge.decode().rstrip("="))
        self.assertIn("https://mail.google.com/", query["scope"].split(" "))

        again = self.ok(OAUTH, "begin-authorization", google, client,
                        record(scopes=[], login_hint=None))
        self.assertNotEqual(again.state, pending.state, "every request gets a fresh state")

    def test_discover_reports_host_http_error(self):
        error = self.err(OAUTH, "discover", "https://accounts.google.com")
        self.assertEqual(error.tag, "http")
        self.assertEqual(error.payload, Variant("other", NO_HTTP))


class MailTest(ComponentTest):
    """The `mail` export, called by name: the dialogue goes through this host's
    `transport`, which allows no server."""

    def failure(self, name, *args):
        # `result<report, mail-failure>`: both sides are records, so
        # wasmtime-py tags the result.
        result = self.plugin.call(MAIL, name, *args)
        self.assertIsInstance(result, Variant, f"{name} returned {result!r}")
        self.assertEqual(result.tag, "err", f"{name} succeeded")
        return result.payload

    def login(self, user="someuser@example.com"):
        # `credentials` is untagged here: a string selects `access-token`.
        return record(user=user, credentials="tok-0123456789", mechanism=None)

    def test_verify_imap_reaches_the_host_transport(self):
        server = record(host="imap.example.com", port=993, security="implicit-tls")
        failure = self.failure("verify-imap", server, self.login())
        error = getattr(failure, "error")
        self.assertEqual(error.tag, "transport")
        self.assertEqual(error.payload, Variant("denied", f"imap.example.com:993: {NO_MAIL}"))
        self.assertIsNone(getattr(failure, "refreshed"))

    def test_send_test_message_refuses_a_foreign_sender_before_connecting(self):
        server = record(host="smtp.example.com", port=587, security="starttls")
        message = record(sender="boss@example.com", recipients=["someone@example.com"],
                         subject="Test", body="Hello", send_as=False, now=1_700_000_000)
        error = getattr(self.failure("send-test-message", server, self.login(), message), "error")
        self.assertEqual(error.tag, "sender-not-authorized")
        self.assertEqual(getattr(error.payload, "sender"), "boss@example.com")
        self.assertEqual(getattr(error.payload, "user"), "someuser@example.com")


if __name__ == "__main__":
    unittest.main()
