"""The whole journey through the Python kit against the real peers
(tests/peers/up.sh): the two-step web flow, refresh with rotation kept,
ensure-fresh + sasl.xoauth2 handed to Python's own imaplib, a test message
sent and read back, revoke, and a scan of everything the test printed for
the secrets it handled."""

import base64
import http.client
import imaplib
import io
import os
import ssl
import time
import unittest
import urllib.parse
import uuid
from contextlib import redirect_stdout
from pathlib import Path

from mail_oauth import OAuthError, Plugin, Policy

WASM = Path(
    os.environ.get("MAIL_OAUTH_WASM") or Path(__file__).resolve().parents[2] / "target/artifacts/mail_oauth_guest.wasm"
)
AS = "http://127.0.0.1:10090"
IMAPS, SUBMISSION = 10993, 10587
ALICE = "alice@example.test"
PEERS = Path(os.environ.get("PEERS_ROOT") or Path(os.environ.get("TMPDIR", "/tmp")) / "mail-oauth-peers")
CA = PEERS / "tls" / "ca.crt"


def play_browser(url, redirect_uri):
    """What the user's browser does: follow the AS's redirects (it approves
    by itself here) up to the redirect URI; returns that callback URL."""
    cookies = {}
    for _ in range(10):
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, val = value.split(";", 1)[0].partition("=")
                cookies[key.strip()] = val.strip()
        location = response.getheader("location")
        if response.status not in (302, 303) or not location:
            raise AssertionError(f"the AS answered {response.status} without a redirect")
        url = urllib.parse.urljoin(url, location)
        if url.startswith(redirect_uri + "?"):
            return url
    raise AssertionError("the AS never redirected to the callback")


class Journey(unittest.TestCase):
    def setUp(self):
        self.out = io.StringIO()
        self.secrets = set()
        policy = Policy(
            allow_origins=[AS],
            allow_targets=[f"127.0.0.1:{IMAPS}", f"127.0.0.1:{SUBMISSION}"],
            allow_loopback=True,
            ca_file=str(CA),
        )
        self.kit = Plugin(WASM, policy)
        self.provider = self.kit.oauth.discover(AS)
        self.client = {"id": "mail-public", "secret": None, "redirect_uri": "http://127.0.0.1:8765/callback"}

    def say(self, *parts):
        print(*parts, file=self.out)

    def keep(self, tokens):
        self.secrets |= {v for k, v in tokens.items() if k in ("access_token", "refresh_token", "id_token") and v}
        return tokens

    def tearDown(self):
        printed = self.out.getvalue()
        print(printed, end="")
        leaked = [s[:6] + "…" for s in self.secrets if s in printed]
        self.assertEqual(leaked, [], "a secret was printed")

    def test_web_flow_refresh_imap_send_revoke(self):
        with redirect_stdout(self.out):
            self.journey()

    def journey(self):
        now = int(time.time())
        pending = self.kit.oauth.begin_authorization(
            self.provider, self.client, {"scopes": ["openid", "email", "mail"], "login_hint": ALICE}
        )
        self.secrets.add(pending["pkce_verifier"])  # the state rides in the URL: not a secret
        self.say("pending:", pending)
        callback = play_browser(pending["url"], self.client["redirect_uri"])
        tokens = self.keep(self.kit.oauth.complete_authorization(self.provider, self.client, pending, callback, now))
        self.say("tokens:", tokens)
        self.assertEqual(tokens["account_email"], ALICE)
        self.assertTrue(tokens["refresh_token"])

        # A forged callback (another state) is refused, and the pending one still completes nothing twice.
        forged = callback.replace(f"state={pending['state']}", "state=forged")
        with self.assertRaises(OAuthError) as caught:
            self.kit.oauth.complete_authorization(self.provider, self.client, pending, forged, now)
        self.assertEqual(caught.exception.tag, "state-mismatch")

        rotated = self.keep(self.kit.oauth.refresh(self.provider, self.client, tokens, now))
        self.say("rotated:", rotated)
        self.assertNotEqual(rotated["refresh_token"], tokens["refresh_token"])
        self.assertNotEqual(rotated["access_token"], tokens["access_token"])
        # ensure-fresh with an expiry inside the skew refreshes (and rotates again).
        fresh = self.kit.oauth.ensure_fresh(self.provider, self.client, dict(rotated, expires_at=now + 10), now, 60)
        self.assertTrue(fresh["refreshed"])
        current = self.keep(fresh["tokens"])
        unchanged = self.kit.oauth.ensure_fresh(self.provider, self.client, current, now, 60)
        self.assertFalse(unchanged["refreshed"])
        xoauth2 = self.kit.sasl.xoauth2(ALICE, current["access_token"])
        self.secrets.add(xoauth2)

        context = ssl.create_default_context(cafile=str(CA))
        with imaplib.IMAP4_SSL("127.0.0.1", IMAPS, ssl_context=context) as imap:
            typ, _ = imap.authenticate("XOAUTH2", lambda _challenge: base64.b64decode(xoauth2))
            self.assertEqual(typ, "OK")
            self.say("imaplib XOAUTH2:", typ)

        subject = f"python kit e2e {uuid.uuid4()}"
        login = {
            "user": ALICE,
            "credentials": {"tag": "access-token", "val": current["access_token"]},
            "mechanism": None,
        }
        report = self.kit.mail.send_test_message(
            {"host": "127.0.0.1", "port": SUBMISSION, "security": "starttls"},
            login,
            {
                "sender": ALICE,
                "recipients": [ALICE],
                "subject": subject,
                "body": "hello from Python",
                "send_as": False,
                "now": now,
            },
        )
        self.say("sent:", [step["name"] for step in report["steps"]])
        self.assertIsNone(report["refreshed"])
        self.assertTrue(self.read_back(context, xoauth2, subject), "the test message never arrived")

        self.kit.oauth.revoke(self.provider, self.client, current["refresh_token"], "refresh-token")
        with self.assertRaises(OAuthError) as caught:
            self.kit.oauth.refresh(self.provider, self.client, current, now)
        self.assertEqual(caught.exception.tag, "reauthorize-required")
        self.say("after revoke:", repr(caught.exception))

        # The refresh token the first rotation replaced is dead too (and its
        # replay makes the AS end the grant: it comes last).
        with self.assertRaises(OAuthError) as caught:
            self.kit.oauth.refresh(self.provider, self.client, tokens, now)
        self.assertEqual(caught.exception.tag, "reauthorize-required")
        self.say("replaced refresh token:", caught.exception)

    def read_back(self, context, xoauth2, subject):
        """Polls the inbox for the message (delivery is asynchronous: the
        condition is checked, not a fixed wait), bounded to 20 s."""
        deadline = time.monotonic() + 20
        with imaplib.IMAP4_SSL("127.0.0.1", IMAPS, ssl_context=context) as imap:
            imap.authenticate("XOAUTH2", lambda _challenge: base64.b64decode(xoauth2))
            while time.monotonic() < deadline:
                imap.select("INBOX", readonly=True)
                typ, data = imap.search(None, "SUBJECT", f'"{subject}"')
                if typ == "OK" and data[0].split():
                    typ, body = imap.fetch(data[0].split()[-1], "(BODY.PEEK[TEXT])")
                    self.say("read back:", typ)
                    return b"hello from Python" in body[0][1]
                imap.noop()
        return False


if __name__ == "__main__":
    unittest.main()
