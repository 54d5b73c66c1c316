"""Tests of the mail_oauth kit: the egress policy (no network) and the Plugin
class on the published SASL vectors and typed errors."""

import os
import unittest
from pathlib import Path

from wasmtime.component import Record, Variant

from mail_oauth import Denied, MailFailure, OAuthError, Plugin, Policy, SaslError, classify

WASM = Path(
    os.environ.get("MAIL_OAUTH_WASM")
    or Path(__file__).resolve().parents[2] / "target/artifacts/mail_oauth_guest.wasm"
)


class PolicyTest(unittest.TestCase):
    def test_classify(self):
        self.assertEqual(classify("127.0.0.1"), "loopback")
        self.assertEqual(classify("::1"), "loopback")
        self.assertEqual(classify("10.1.2.3"), "private")
        self.assertEqual(classify("192.168.1.1"), "private")
        self.assertEqual(classify("100.64.0.1"), "private")
        self.assertEqual(classify("169.254.1.1"), "link-local")
        self.assertEqual(classify("169.254.169.254"), "metadata")
        self.assertEqual(classify("::ffff:169.254.169.254"), "metadata")
        self.assertEqual(classify("fd00:ec2::254"), "metadata")
        self.assertEqual(classify("0.0.0.0"), "unspecified")
        self.assertEqual(classify("224.0.0.1"), "multicast")
        self.assertEqual(classify("8.8.8.8"), "public")

    def test_loopback_refused_without_allow_loopback(self):
        with self.assertRaises(Denied):
            Policy().check_address("localhost", "127.0.0.1")
        Policy(allow_loopback=True).check_address("localhost", "127.0.0.1")

    def test_metadata_never_allowed(self):
        policy = Policy(allow_loopback=True, allow_private=True)
        with self.assertRaises(Denied):
            policy.check_address("x", "169.254.169.254")

    def test_origins_deny_by_default(self):
        with self.assertRaises(Denied):
            Policy().check_url("https://accounts.google.com/.well-known/openid-configuration")
        policy = Policy(allow_origins=["https://accounts.google.com"])
        self.assertEqual(policy.check_url("https://accounts.google.com/x"),
                         ("https", "accounts.google.com", 443))
        with self.assertRaises(Denied):
            policy.check_url("https://accounts.google.com:8443/x")
        with self.assertRaises(Denied):
            Policy().check_host_port("imap.example.com", 993)


@unittest.skipUnless(WASM.is_file(), f"{WASM} not built")
class PluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plugin = Plugin(WASM)

    def test_digest(self):
        self.assertEqual(len(self.plugin.sha256), 64)
        with self.assertRaises(ValueError):
            Plugin(WASM, sha256="0" * 64)

    def test_xoauth2_vector(self):
        self.assertEqual(
            self.plugin.sasl.xoauth2("someuser@example.com",
                                     "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52Yj"
            "NSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
        )

    def test_sasl_error_is_typed_and_secret_free(self):
        with self.assertRaises(SaslError) as caught:
            self.plugin.sasl.xoauth2("user@example.com\x01auth=", "secret-token")
        self.assertEqual(caught.exception.tag, "invalid-input")
        self.assertNotIn("secret-token", str(caught.exception) + repr(caught.exception))
        with self.assertRaises(SaslError):
            self.plugin.sasl.parse_failure("not base64 !")

    def test_discover_is_denied_by_the_policy(self):
        with self.assertRaises(OAuthError) as caught:
            self.plugin.oauth.discover("https://accounts.google.com")
        self.assertEqual(caught.exception.tag, "http")
        self.assertIsInstance(caught.exception.value, Variant)
        self.assertEqual(caught.exception.value.tag, "denied")

    def test_preset_error(self):
        with self.assertRaises(OAuthError) as caught:
            self.plugin.oauth.preset(Variant("microsoft", ""))
        self.assertEqual(caught.exception.tag, "invalid-input")
        self.assertEqual(self.plugin.oauth.preset(Variant("google")).id, "google")

    def test_verify_imap_transport_denied(self):
        server, login = Record(), Record()
        server.host, server.port, server.security = "imap.example.com", 993, "implicit-tls"
        login.user, login.credentials, login.mechanism = "u@example.com", "tok", None
        with self.assertRaises(MailFailure) as caught:
            self.plugin.mail.verify_imap(server, login)
        self.assertEqual(caught.exception.tag, "transport")


if __name__ == "__main__":
    unittest.main()
