#!/usr/bin/env python3
"""Writes a live vector file (../shared/conformance/FORMAT.md) for one run of a
host's runner against the project's own peers (tests/peers/up.sh):

    python3 tests/conformance/live.py OUT.json
    bash examples/conformance.sh HOST $(python3 tests/conformance/live.py --flags) \\
        --component WASM OUT.json

The file holds the live vectors of tests/conformance/vectors.json, plus those
that need tokens only a running provider can issue, obtained here first:
the authorization code flow with PKCE, played as a browser would (the test AS
approves by itself, `login_hint` picks the account). Refresh tokens are
single-use (the AS rotates them), so every run of a runner needs a file of its
own. The file holds live tokens: it is written with mode 0600, and runners
print a value they got only when its vector fails.

`--flags` prints the runner flags the file is meant for: the AS origin and the
four mail ports as `--allow`, `--allow-loopback`, and the peers' test CA.
Standard library only. Exits non-zero when the peers do not hand out tokens.
"""

import base64
import hashlib
import http.client
import json
import os
import secrets
import sys
import time
import urllib.parse

AS = "http://127.0.0.1:10090"
HOST = "127.0.0.1"
IMAPS, IMAP, SUBMISSIONS, SUBMISSION = 10993, 10143, 10465, 10587
ALICE = "alice@example.test"
REDIRECT = "http://127.0.0.1/callback"
HERE = os.path.dirname(os.path.abspath(__file__))


def peers_ca():
    root = os.environ.get("PEERS_ROOT") or os.path.join(os.environ.get("TMPDIR", "/tmp"), "mail-oauth-peers")
    return os.path.join(root, "tls", "ca.crt")


def flags():
    out = ["--live", "--allow", AS]
    for port in (IMAPS, IMAP, SUBMISSIONS, SUBMISSION):
        out += ["--allow", f"{HOST}:{port}"]
    return out + ["--allow-loopback", "--ca-file", peers_ca()]


# ------------------------------------------------------------------ a browser for the code flow
def request(method, url, body=None, headers=None, cookies=None):
    """One HTTP exchange with the loopback AS (no proxy, no redirects):
    (status, headers, body), with Set-Cookie kept in `cookies`."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname != HOST:
        raise ValueError(f"{url}: only the loopback AS is reached")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    all_headers = dict(headers or {})
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        conn.request(method, target, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if cookies is not None:
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                cookies[key.strip()] = val.strip()
    return response.status, response.getheaders(), data


def authorize(login_hint, scope="openid email mail"):
    """The code flow with PKCE for mail-public: the token response (dict)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    query = urllib.parse.urlencode({
        "client_id": "mail-public", "response_type": "code", "redirect_uri": REDIRECT, "scope": scope,
        "state": state, "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": login_hint,
    })
    url, cookies = f"{AS}/auth?{query}", {}
    for _ in range(10):                                   # follow the AS's redirects up to ours
        status, headers, _ = request("GET", url, cookies=cookies)
        location = next((v for k, v in headers if k.lower() == "location"), None)
        if status not in (302, 303) or location is None:
            raise RuntimeError(f"the AS answered {status} without a redirect during authorization")
        url = urllib.parse.urljoin(url, location)
        if url.startswith(REDIRECT + "?"):
            break
    else:
        raise RuntimeError("the AS never redirected to the callback")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    if params.get("state") != state or "code" not in params:
        raise RuntimeError(f"the callback carries no code for our state: {sorted(params)}")
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": "mail-public",
    })
    status, _, data = request("POST", f"{AS}/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 200:
        raise RuntimeError(f"the token endpoint answered {status}")
    return json.loads(data)


def token_set(response, now):
    return {"access-token": response["access_token"], "refresh-token": response.get("refresh_token"),
            "expires-at": now + int(response.get("expires_in", 3600)),
            "scopes": response.get("scope", "").split(), "id-token": response.get("id_token"),
            "account-email": None}


# ------------------------------------------------------------------ the vectors
def provider():
    return {"id": "local", "display-name": "Local test AS", "issuer": AS,
            "authorization-endpoint": AS + "/auth", "token-endpoint": AS + "/token",
            "device-authorization-endpoint": AS + "/device/auth",
            "revocation-endpoint": AS + "/token/revocation", "default-scopes": ["openid", "email", "mail"],
            "extra-parameters": [], "client-auth": "basic", "pkce": True, "mail-servers": []}


PUBLIC = {"id": "mail-public", "secret": None, "redirect-uri": REDIRECT}
ANY = {"$any": True}
NONEMPTY = {"$re": "(.|\\n)+"}


def not_equal(value):
    """A pattern for any non-empty line but `value`, without look-around
    (Rust's regex has none): at each position either another character
    (then anything), or the same one and the rest, where stopping early is
    allowed and stopping at the end is not. Escapes only what each of
    ECMAScript (with `u`), Python `re`, PCRE and Rust's regex reads alike."""
    meta = set("\\.^$*+?()[]{}|/")
    in_class = set("\\]^-")
    lit = lambda c: "\\" + c if c in meta else c
    cls = lambda c: "\\" + c if c in in_class else c
    pattern = ".+"                                   # past the end: longer than `value`
    for i in range(len(value) - 1, -1, -1):
        rest = pattern if i == len(value) - 1 else f"(?:{pattern})?"
        pattern = f"(?:[^{cls(value[i])}].*|{lit(value[i])}{rest})"
    return {"$re": pattern}


def server(port, security):
    return {"host": HOST, "port": port, "security": security}


def login(credentials, mechanism=None):
    return {"user": ALICE, "credentials": credentials, "mechanism": mechanism}


def report(mechanism="xoauth2", refreshed=None):
    return {"ok": {"greeting": NONEMPTY, "capabilities": ANY, "mechanism": mechanism, "steps": ANY,
                   "refreshed": refreshed}}


def vectors(now):
    with open(os.path.join(HERE, "vectors.json"), encoding="utf-8") as f:
        out = [v for v in json.load(f)["vectors"] if v.get("live")]
    rotate, mail, stale, revoked = (token_set(authorize(ALICE), now) for _ in range(4))
    access = {"tag": "access-token", "val": mail["access-token"]}
    add = lambda name, call, args, expect: out.append(
        {"name": "live: " + name, "call": call, "args": args, "expect": expect, "live": True})

    add("refresh rotates the refresh token", "oauth.refresh", [provider(), PUBLIC, rotate, now],
        {"ok": {"access-token": not_equal(rotate["access-token"]),
                "refresh-token": not_equal(rotate["refresh-token"]),
                "expires-at": ANY, "scopes": ANY}})
    add("the refresh token a rotation replaced is reauthorize-required", "oauth.refresh",
        [provider(), PUBLIC, rotate, now], {"err": {"tag": "reauthorize-required"}})
    add("verify-imap over implicit TLS with XOAUTH2", "mail.verify-imap",
        [server(IMAPS, "implicit-tls"), login(access, "xoauth2")], report("xoauth2"))
    add("verify-imap over STARTTLS with OAUTHBEARER", "mail.verify-imap",
        [server(IMAP, "starttls"), login(access, "oauthbearer")], report("oauthbearer"))
    add("verify-smtp over STARTTLS", "mail.verify-smtp",
        [server(SUBMISSION, "starttls"), login(access, "xoauth2")], report("xoauth2"))
    add("verify-smtp over implicit TLS", "mail.verify-smtp",
        [server(SUBMISSIONS, "implicit-tls"), login(access, "oauthbearer")], report("oauthbearer"))
    add("send-test-message to the account itself", "mail.send-test-message",
        [server(SUBMISSION, "starttls"), login(access, "xoauth2"),
         {"sender": ALICE, "recipients": [ALICE], "subject": "mail-oauth live conformance",
          "body": "Sent by a conformance runner.", "send-as": False, "now": now}],
        report("xoauth2"))
    add("an expired access token is refreshed inside verify-imap", "mail.verify-imap",
        [server(IMAPS, "implicit-tls"),
         login({"tag": "refreshable", "val": {"provider": provider(), "client": PUBLIC,
                                               "tokens": dict(stale, **{"expires-at": now - 60}), "now": now}},
               "xoauth2")],
        report("xoauth2", {"access-token": not_equal(stale["access-token"]),
                           "refresh-token": not_equal(stale["refresh-token"]), "expires-at": ANY,
                           "scopes": ANY, "id-token": ANY, "account-email": ANY}))
    add("revoke the refresh token", "oauth.revoke",
        [provider(), PUBLIC, revoked["refresh-token"], "refresh-token"], {"ok": None})
    add("a revoked refresh token is reauthorize-required", "oauth.refresh",
        [provider(), PUBLIC, revoked, now], {"err": {"tag": "reauthorize-required"}})
    add("a forged access token is sasl-rejected by IMAP", "mail.verify-imap",
        [server(IMAPS, "implicit-tls"), login({"tag": "access-token", "val": "forged-" + secrets.token_hex(8)},
                                              "xoauth2")],
        {"err": {"error": {"tag": "sasl-rejected"}, "refreshed": None}})
    return out


def main(argv):
    if argv == ["--flags"]:
        print(" ".join(flags()))
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        out = vectors(int(time.time()))
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        print(f"live.py: cannot obtain tokens from the peers at {AS}: {error}", file=sys.stderr)
        return 1
    fd = os.open(argv[0], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"vectors": out}, f, indent=1)
    print(f"live.py: {len(out)} live vectors in {argv[0]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
