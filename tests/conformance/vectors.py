#!/usr/bin/env python3
"""Writes vectors.json beside this file: the project's conformance vectors
(../../../shared/conformance/FORMAT.md), every one stating what the `///` docs
of wit/plugin.wit say. The fixtures (providers, clients, token sets) are
shared here; edit this file, then run `python3 tests/conformance/vectors.py`
and commit both. Prints how many vectors each function has.
"""
import base64
import json
import os
import re
from collections import Counter

NOW = 1700000000  # the `now` of every call, unix seconds
V = []


def vec(name, call, args, expect, http=None, live=False):
    """Adds a vector. `http=[]` states that the call sends no request."""
    v = {"name": name, "call": call, "args": args, "expect": expect}
    if http is not None:
        v["http"] = http
    if live:
        v["live"] = True
    V.append(v)


# ------------------------------------------------------------------ patterns
ANY = {"$any": True}


def RE(regex):
    return {"$re": regex}


def esc(text):
    """`text` as a regex matching itself; only regex syntax is escaped (an
    escaped `-` or `:` is an error in ECMAScript's `u` mode)."""
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", text)


def has(k, v):
    """A form body or query with k=v among its &-separated parameters; v is a regex."""
    return f"(?:.*&)?{k}={v}(?:&.*)?"


def form(k, v):
    return RE(has(k, v))


def only(*names):
    """A form body made of these parameters only (what must not be sent is absent)."""
    n = "(?:" + "|".join(names) + ")"
    return RE(f"{n}=[^&]*(?:&{n}=[^&]*)*")


def url_has(base, k, v):
    return RE(esc(base) + r"\?" + has(k, v))


def enc(s):
    """A regex for s percent-encoded in a query or form value: each reserved
    character may be sent as is or as %XX (RFC 3986 allows either for many
    of them in a query), a space as + or %20."""
    out = []
    for c in s:
        if c.isalnum() or c in "-._":
            out.append(esc(c))
        elif c == " ":
            out.append(r"(?:\+|%20)")
        else:
            out.append(f"(?:{esc(c)}|%{ord(c):02X})")
    return "".join(out)


# ------------------------------------------------------------------ HTTP scripts
JSON_H = [["content-type", "application/json"]]


def resp(status, body="", headers=None):
    """A RESPONSE; a dict or list body is sent as JSON."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body, separators=(",", ":"))
        if headers is None:
            headers = JSON_H
    return {"status": status, "headers": headers if headers is not None else [], "body": body}


def ex(request, status=None, body="", headers=None, error=None):
    """An EXCHANGE: the request pattern and its response, or an http-error."""
    if error is not None:
        return {"request": request, "error": error}
    return {"request": request, "response": resp(status, body, headers)}


def post(url, body=None):
    r = {"method": "POST", "url": url}
    if body is not None:
        r["body"] = body
    return r


def get(url):
    return {"method": "GET", "url": url}


def oerr(tag, val=None):
    """An `err` of a variant case (an oauth-error or a sasl-error)."""
    e = {"tag": tag}
    if val is not None:
        e["val"] = val
    return {"err": e}


# ------------------------------------------------------------------ fixtures
REDIRECT = "http://127.0.0.1:8765/callback"
PUBLIC = {"id": "client-123", "secret": None, "redirect-uri": REDIRECT}
CONF = {"id": "client-123", "secret": "s3cret", "redirect-uri": REDIRECT}
DEFAULT_OPTS = {"scopes": [], "login-hint": None}

def provider(**kw):
    p = {"id": "example", "display-name": "Example IdP", "issuer": "https://idp.example.com",
         "authorization-endpoint": "https://idp.example.com/authorize",
         "token-endpoint": "https://idp.example.com/token",
         "device-authorization-endpoint": "https://idp.example.com/device",
         "revocation-endpoint": "https://idp.example.com/revoke",
         "default-scopes": ["mail"], "extra-parameters": [], "client-auth": "basic",
         "pkce": True, "mail-servers": []}
    for k, v in kw.items():
        p[k.replace("_", "-")] = v
    return p

EXAMPLE = provider()
EXAMPLE_POST = provider(client_auth="post")
GOOGLE = provider(id="google", display_name="Google (Gmail)", issuer="https://accounts.google.com",
                  authorization_endpoint="https://accounts.google.com/o/oauth2/v2/auth",
                  token_endpoint="https://oauth2.googleapis.com/token",
                  device_authorization_endpoint="https://oauth2.googleapis.com/device/code",
                  revocation_endpoint="https://oauth2.googleapis.com/revoke",
                  default_scopes=["https://mail.google.com/"],
                  extra_parameters=[["access_type", "offline"], ["prompt", "consent"]],
                  client_auth="post",
                  mail_servers=[{"protocol": "imap", "server": {"host": "imap.gmail.com", "port": 993, "security": "implicit-tls"}}])
MS = "https://login.microsoftonline.com/common/oauth2/v2.0/"
MS_SCOPES = ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"]
MICROSOFT = provider(id="microsoft", display_name="Microsoft 365 / Outlook.com", issuer=None,
                     authorization_endpoint=MS + "authorize", token_endpoint=MS + "token",
                     device_authorization_endpoint=MS + "devicecode", revocation_endpoint=None,
                     default_scopes=MS_SCOPES, client_auth="post")

TOKEN = "https://idp.example.com/token"
STATE = "af0ifjsldkj-Qx7vT2mP9wZr4N8sB6cH1e"
RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CODE = "SplxlOBeZQQYbYS6WxSbIA"
PENDING = {"url": "https://idp.example.com/authorize?response_type=code", "state": STATE,
           "pkce-verifier": RFC7636_VERIFIER, "nonce": None, "redirect-uri": REDIRECT, "scopes": ["mail"]}
CALLBACK = f"{REDIRECT}?code={CODE}&state={STATE}"

def token_body(access="at-1", refresh="rt-1", expires=3600, scope="mail", **extra):
    b = {"access_token": access, "token_type": "Bearer"}
    if expires is not None:
        b["expires_in"] = expires
    if refresh is not None:
        b["refresh_token"] = refresh
    if scope is not None:
        b["scope"] = scope
    b.update(extra)
    return b

def tokens(access="at-1", refresh="rt-1", expires_at=NOW + 3600, scopes=("mail",), id_token=None, email=None):
    return {"access-token": access, "refresh-token": refresh, "expires-at": expires_at,
            "scopes": list(scopes), "id-token": id_token, "account-email": email}

OLD = tokens("at-old", "rt-old", NOW + 3600)

def token_ex(body_pattern, status, body, url=TOKEN, headers=None):
    return ex(post(url, body_pattern), status, body, headers)

# ================================================================== oauth.providers
IDS = ["google", "microsoft", "yahoo", "aol", "fastmail", "yandex", "mail-ru", "comcast", "seznam"]
vec("providers: the nine presets, in the documented order", "oauth.providers", [],
    [{"id": i} for i in IDS])
vec("providers: Google's endpoints, and Microsoft with tenant common", "oauth.providers", [],
    [{"authorization-endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
      "token-endpoint": "https://oauth2.googleapis.com/token",
      "revocation-endpoint": "https://oauth2.googleapis.com/revoke"},
     {"authorization-endpoint": MS + "authorize", "token-endpoint": MS + "token",
      "device-authorization-endpoint": MS + "devicecode", "revocation-endpoint": None}]
    + [ANY] * 7)

# ================================================================== oauth.preset
vec("preset: google", "oauth.preset", [{"tag": "google"}],
    {"ok": {"id": "google", "issuer": "https://accounts.google.com",
            "authorization-endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
            "token-endpoint": "https://oauth2.googleapis.com/token",
            "revocation-endpoint": "https://oauth2.googleapis.com/revoke",
            "extra-parameters": [["access_type", "offline"], ["prompt", "consent"]],
            "pkce": True}})
for tenant in ["common", "organizations", "consumers", "72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso.onmicrosoft.com"]:
    base = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/"
    vec(f"preset: microsoft, tenant {tenant}", "oauth.preset", [{"tag": "microsoft", "val": tenant}],
        {"ok": {"id": "microsoft", "authorization-endpoint": base + "authorize",
                "token-endpoint": base + "token", "device-authorization-endpoint": base + "devicecode",
                "revocation-endpoint": None, "pkce": True}})
for tenant, what in [("", "empty"), ("contoso/../common", "with a slash"), ("contoso?x=1", "with a query"), ("con toso", "with a space")]:
    vec(f"preset: microsoft, a tenant {what} is invalid-input", "oauth.preset",
        [{"tag": "microsoft", "val": tenant}], oerr("invalid-input"))
for tag, host, scopes in [("yahoo", "api.login.yahoo.com", ["mail-w"]), ("aol", "api.login.aol.com", ["mail-w"]),
                          ("fastmail", "api.fastmail.com", None), ("yandex", "oauth.yandex.com", ["mail:imap_full", "mail:smtp"]),
                          ("mail-ru", "o2.mail.ru", ["userinfo", "mail.imap"]), ("comcast", "oauth.xfinity.com", None),
                          ("seznam", "login.seznam.cz", None)]:
    ok = {"id": tag, "authorization-endpoint": RE("https://" + esc(host) + "/.*")}
    if scopes: ok["default-scopes"] = scopes
    vec(f"preset: {tag}", "oauth.preset", [{"tag": tag}], {"ok": ok})

# ================================================================== oauth.preset-for-host
for host, kind in [("imap.gmail.com", {"tag": "google"}), ("gmail.com", {"tag": "google"}),
                   ("googlemail.com", {"tag": "google"}),
                   ("outlook.office365.com", {"tag": "microsoft", "val": "common"}),
                   ("smtp.office365.com", {"tag": "microsoft", "val": "common"}),
                   ("outlook.com", {"tag": "microsoft", "val": "common"}),
                   ("hotmail.com", {"tag": "microsoft", "val": "common"}),
                   ("alice@gmail.com", {"tag": "google"}), ("IMAP.GMail.COM.", {"tag": "google"}),
                   ("a.b.imap.gmail.com", {"tag": "google"}),
                   ("yahoo.com", {"tag": "yahoo"}), ("aol.com", {"tag": "aol"}),
                   ("fastmail.com", {"tag": "fastmail"}), ("yandex.com", {"tag": "yandex"}),
                   ("imap.mail.ru", {"tag": "mail-ru"}), ("comcast.net", {"tag": "comcast"}),
                   ("seznam.cz", {"tag": "seznam"}),
                   ("example.com", None), ("gmail.com.evil.test", None), ("notgmail.com", None), ("", None)]:
    what = "unknown" if kind is None else kind["tag"]
    vec(f"preset-for-host: {host or '(empty)'} -> {what}", "oauth.preset-for-host", [host], kind)

# ================================================================== oauth.discover
ISS = "https://idp.example.com"
OIDC = ISS + "/.well-known/openid-configuration"
AS = ISS + "/.well-known/oauth-authorization-server"
DOC = {"issuer": ISS, "authorization_endpoint": ISS + "/authorize", "token_endpoint": ISS + "/token",
       "device_authorization_endpoint": ISS + "/device", "revocation_endpoint": ISS + "/revoke"}
vec("discover: the OpenID configuration", "oauth.discover", [ISS],
    {"ok": {"issuer": ISS, "authorization-endpoint": ISS + "/authorize", "token-endpoint": ISS + "/token",
            "device-authorization-endpoint": ISS + "/device", "pkce": True,
            "default-scopes": ["openid", "email", "offline_access"], "mail-servers": []}},
    http=[ex(get(OIDC), 200, DOC)])
vec("discover: a document naming another issuer is issuer-mismatch", "oauth.discover", [ISS],
    {"err": {"tag": "issuer-mismatch", "val": {"expected": ISS, "received": "https://evil.example.com"}}},
    http=[ex(get(OIDC), 200, dict(DOC, issuer="https://evil.example.com"))])
vec("discover: falls back to RFC 8414 after a 404", "oauth.discover", [ISS],
    {"ok": {"issuer": ISS, "token-endpoint": ISS + "/token", "authorization-endpoint": ISS + "/authorize",
            "device-authorization-endpoint": None}},
    http=[ex(get(OIDC), 404, "not found", [["content-type", "text/plain"]]),
          ex(get(AS), 200, {"issuer": ISS, "authorization_endpoint": ISS + "/authorize", "token_endpoint": ISS + "/token"})])
vec("discover: neither document (404, 404) is invalid-response", "oauth.discover", [ISS],
    {"err": {"tag": "invalid-response"}},
    http=[ex(get(OIDC), 404, "not found", [["content-type", "text/plain"]]),
          ex(get(AS), 404, "not found", [["content-type", "text/plain"]])])
vec("discover: HTML pages instead of the documents are invalid-response", "oauth.discover", [ISS],
    {"err": {"tag": "invalid-response"}},
    http=[ex(get(OIDC), 200, "<html><body>Welcome</body></html>", [["content-type", "text/html"]]),
          ex(get(AS), 200, "<html><body>Welcome</body></html>", [["content-type", "text/html"]])])
vec("discover: the host cannot fetch the fallback either: http", "oauth.discover", [ISS],
    {"err": {"tag": "http", "val": {"tag": "unreachable", "val": "cannot connect to idp.example.com:443"}}},
    http=[ex(get(OIDC), 404, "not found", [["content-type", "text/plain"]]),
          ex(get(AS), error={"tag": "unreachable", "val": "cannot connect to idp.example.com:443"})])
vec("discover: a malformed issuer is invalid-input, nothing sent", "oauth.discover", ["not a url"],
    oerr("invalid-input"), http=[])

# ================================================================== oauth.begin-authorization
GAUTH = "https://accounts.google.com/o/oauth2/v2/auth"
B64URL = "[A-Za-z0-9_-]"
vec("begin-authorization: Google, defaults", "oauth.begin-authorization", [GOOGLE, PUBLIC, DEFAULT_OPTS],
    {"ok": {"url": RE(esc(GAUTH) + r"\?.+"), "state": RE(B64URL + "{22,}"),
            "pkce-verifier": RE("[A-Za-z0-9._~-]{43,128}"), "nonce": None,
            "redirect-uri": REDIRECT, "scopes": ["https://mail.google.com/"]}})
for k, v, what in [("response_type", "code", "response_type=code"),
                   ("client_id", "client-123", "the client id"),
                   ("redirect_uri", enc(REDIRECT), "the redirect URI"),
                   ("scope", enc("https://mail.google.com/"), "the default scopes"),
                   ("state", B64URL + "{22,}", "the state"),
                   ("code_challenge", B64URL + "{43}", "an S256 challenge"),
                   ("code_challenge_method", "S256", "code_challenge_method=S256"),
                   ("access_type", "offline", "Google's access_type=offline"),
                   ("prompt", "consent", "Google's prompt=consent")]:
    vec(f"begin-authorization: the URL carries {what}", "oauth.begin-authorization",
        [GOOGLE, PUBLIC, DEFAULT_OPTS], {"ok": {"url": url_has(GAUTH, k, v)}})
vec("begin-authorization: login_hint", "oauth.begin-authorization",
    [EXAMPLE, PUBLIC, {"scopes": [], "login-hint": "alice@example.com"}],
    {"ok": {"url": url_has("https://idp.example.com/authorize", "login_hint", enc("alice@example.com"))}})
vec("begin-authorization: explicit scopes are requested and kept", "oauth.begin-authorization",
    [EXAMPLE, PUBLIC, {"scopes": ["mail", "offline_access"], "login-hint": None}],
    {"ok": {"url": url_has("https://idp.example.com/authorize", "scope", "mail(?:\\+|%20)offline_access"),
            "scopes": ["mail", "offline_access"], "nonce": None}})
vec("begin-authorization: openid adds a nonce", "oauth.begin-authorization",
    [EXAMPLE, PUBLIC, {"scopes": ["openid", "mail"], "login-hint": None}],
    {"ok": {"nonce": RE(".+"), "url": url_has("https://idp.example.com/authorize", "nonce", ".+")}})
vec("begin-authorization: pkce false sends no challenge", "oauth.begin-authorization",
    [provider(pkce=False), PUBLIC, DEFAULT_OPTS],
    {"ok": {"url": RE(esc("https://idp.example.com/authorize") + r"\?" +
                      only("response_type", "client_id", "redirect_uri", "scope", "state", "response_mode")["$re"])}})
vec("begin-authorization: a malformed redirect URI is invalid-input", "oauth.begin-authorization",
    [EXAMPLE, dict(PUBLIC, **{"redirect-uri": "not a uri"}), DEFAULT_OPTS], oerr("invalid-input"))
vec("begin-authorization: a malformed authorization endpoint is invalid-input", "oauth.begin-authorization",
    [provider(authorization_endpoint="::not a url"), PUBLIC, DEFAULT_OPTS], oerr("invalid-input"))
vec("begin-authorization: an empty client id is invalid-input", "oauth.begin-authorization",
    [EXAMPLE, dict(PUBLIC, id=""), DEFAULT_OPTS], oerr("invalid-input"))

# ================================================================== oauth.complete-authorization
CA = "oauth.complete-authorization"
def ca_args(callback=CALLBACK, prov=EXAMPLE, client=PUBLIC, pending=PENDING):
    return [prov, client, pending, callback, NOW]
vec("complete-authorization: RFC 7636 Appendix B verifier in the code exchange", CA, ca_args(),
    {"ok": tokens()},
    http=[token_ex(form("code_verifier", RFC7636_VERIFIER), 200, token_body())])
vec("complete-authorization: grant_type=authorization_code", CA, ca_args(), {"ok": tokens()},
    http=[token_ex(form("grant_type", "authorization_code"), 200, token_body())])
vec("complete-authorization: the code from the callback", CA, ca_args(), {"ok": tokens()},
    http=[token_ex(form("code", CODE), 200, token_body())])
vec("complete-authorization: the redirect URI of the pending authorization", CA, ca_args(), {"ok": tokens()},
    http=[token_ex(form("redirect_uri", enc(REDIRECT)), 200, token_body())])
vec("complete-authorization: a public client sends its client_id", CA, ca_args(), {"ok": tokens()},
    http=[token_ex(form("client_id", "client-123"), 200, token_body())])
vec("complete-authorization: client_secret_basic keeps the secret out of the body", CA, ca_args(client=CONF),
    {"ok": tokens()},
    http=[token_ex(only("grant_type", "code", "redirect_uri", "code_verifier", "client_id"), 200, token_body())])
vec("complete-authorization: client_secret_post puts the secret in the body", CA,
    ca_args(prov=EXAMPLE_POST, client=CONF), {"ok": tokens()},
    http=[token_ex(form("client_secret", "s3cret"), 200, token_body())])
vec("complete-authorization: pkce false sends no verifier", CA, ca_args(prov=provider(pkce=False)),
    {"ok": tokens()},
    http=[token_ex(only("grant_type", "code", "redirect_uri", "client_id"), 200, token_body())])
vec("complete-authorization: the callback's query string alone", CA, ca_args(callback=f"code={CODE}&state={STATE}"),
    {"ok": tokens()}, http=[token_ex(form("code", CODE), 200, token_body())])
vec("complete-authorization: omitted scope, expiry and refresh token", CA, ca_args(),
    {"ok": tokens(refresh=None, expires_at=None, scopes=["mail"])},
    http=[token_ex(None, 200, token_body(refresh=None, expires=None, scope=None))])
vec("complete-authorization: a wrong state is state-mismatch, nothing sent", CA,
    ca_args(callback=f"{REDIRECT}?code={CODE}&state=forged-state-value"), oerr("state-mismatch"), http=[])
vec("complete-authorization: a missing state is state-mismatch, nothing sent", CA,
    ca_args(callback=f"{REDIRECT}?code={CODE}"), oerr("state-mismatch"), http=[])
vec("complete-authorization: error=access_denied is access-denied", CA,
    ca_args(callback=f"{REDIRECT}?error=access_denied&error_description=The%20user%20said%20no&state={STATE}"),
    oerr("access-denied", "The user said no"), http=[])
vec("complete-authorization: another error= is provider-error", CA,
    ca_args(callback=f"{REDIRECT}?error=invalid_scope&error_description=Unknown%20scope&state={STATE}"),
    oerr("provider-error", {"code": "invalid_scope", "description": "Unknown scope"}), http=[])
vec("complete-authorization: error=temporarily_unavailable is temporary-failure", CA,
    ca_args(callback=f"{REDIRECT}?error=temporarily_unavailable&state={STATE}"),
    oerr("temporary-failure"), http=[])
vec("complete-authorization: an iss of another issuer is issuer-mismatch (RFC 9207)", CA,
    ca_args(callback=f"{CALLBACK}&iss=https%3A%2F%2Fevil.example.com"),
    oerr("issuer-mismatch", {"expected": ISS, "received": "https://evil.example.com"}), http=[])
vec("complete-authorization: the provider's own iss is accepted", CA,
    ca_args(callback=f"{CALLBACK}&iss=https%3A%2F%2Fidp.example.com"), {"ok": tokens()},
    http=[token_ex(None, 200, token_body())])
vec("complete-authorization: a paste with no state, code or error is invalid-input, nothing sent", CA,
    ca_args(callback="hello"), oerr("invalid-input"), http=[])
vec("complete-authorization: an empty callback is invalid-input, nothing sent", CA,
    ca_args(callback=""), oerr("invalid-input"), http=[])
vec("complete-authorization: a callback with neither code nor error is invalid-input", CA,
    ca_args(callback=f"{REDIRECT}?state={STATE}"), oerr("invalid-input"), http=[])
vec("complete-authorization: invalid_grant is reauthorize-required", CA, ca_args(),
    oerr("reauthorize-required", {"code": "invalid_grant", "description": "Code expired"}),
    http=[ex(post(TOKEN), **{"status": 400, "body": {"error": "invalid_grant", "error_description": "Code expired"}})])
vec("complete-authorization: invalid_client is provider-error", CA, ca_args(client=CONF),
    oerr("provider-error", {"code": "invalid_client"}),
    http=[ex(post(TOKEN), 401, {"error": "invalid_client"})])
vec("complete-authorization: HTTP 503 is temporary-failure", CA, ca_args(), oerr("temporary-failure"),
    http=[ex(post(TOKEN), 503, "Service Unavailable", [["content-type", "text/plain"]])])
vec("complete-authorization: temporarily_unavailable is temporary-failure", CA, ca_args(), oerr("temporary-failure"),
    http=[ex(post(TOKEN), 400, {"error": "temporarily_unavailable"})])
vec("complete-authorization: HTTP 500 with HTML is invalid-response", CA, ca_args(),
    oerr("invalid-response", {"status": 500}),
    http=[ex(post(TOKEN), 500, "<html>Internal error</html>", [["content-type", "text/html"]])])
vec("complete-authorization: a 200 that is not JSON is invalid-response", CA, ca_args(),
    oerr("invalid-response", {"status": 200}),
    http=[ex(post(TOKEN), 200, "access_token=at-1", [["content-type", "text/plain"]])])
vec("complete-authorization: a token response without access_token is invalid-response", CA, ca_args(),
    oerr("invalid-response", {"status": 200}),
    http=[ex(post(TOKEN), 200, {"token_type": "Bearer", "expires_in": 3600})])
vec("complete-authorization: a redirect from the token endpoint is invalid-response", CA, ca_args(),
    oerr("invalid-response", {"status": 302}),
    http=[ex(post(TOKEN), 302, "", [["location", "https://elsewhere.example.com/token"]])])
vec("complete-authorization: the host's timeout is http", CA, ca_args(), oerr("http", {"tag": "timeout"}),
    http=[ex(post(TOKEN), error={"tag": "timeout"})])

def jwt(claims):
    b = lambda d: base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return b({"alg": "RS256", "typ": "JWT", "kid": "k1"}) + "." + b(claims) + ".c2lnbmF0dXJl"
NONCE = "n-0S6_WzA2Mj-a7Fq3Lx"
ID_G = jwt({"iss": ISS, "aud": "client-123", "sub": "1001", "email": "alice@example.com",
            "nonce": NONCE, "iat": NOW, "exp": NOW + 3600})
vec("complete-authorization: account-email from the ID token's email claim", CA,
    ca_args(pending=dict(PENDING, nonce=NONCE, scopes=["openid", "email", "mail"])),
    {"ok": tokens(scopes=["openid", "email", "mail"], id_token=ID_G, email="alice@example.com")},
    http=[token_ex(None, 200, token_body(scope="openid email mail", id_token=ID_G))])
TID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ID_M = jwt({"iss": f"https://login.microsoftonline.com/{TID}/v2.0", "aud": "client-123", "tid": TID,
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "preferred_username": "bob@contoso.com",
            "nonce": NONCE, "iat": NOW, "exp": NOW + 3600})
vec("complete-authorization: Microsoft's preferred_username as account-email", CA,
    [MICROSOFT, PUBLIC, dict(PENDING, nonce=NONCE, scopes=["openid", "offline_access"] + MS_SCOPES[:1]),
     CALLBACK, NOW],
    {"ok": {"id-token": ID_M, "account-email": "bob@contoso.com"}},
    http=[token_ex(None, 200, token_body(scope="openid offline_access " + MS_SCOPES[0], id_token=ID_M), url=MS + "token")])

# ================================================================== oauth.begin-device-authorization
BD = "oauth.begin-device-authorization"
DEV = "https://idp.example.com/device"
DEVICE_CODE = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"
DEV_RESP = {"device_code": DEVICE_CODE, "user_code": "WDJB-MJHT",
            "verification_uri": "https://idp.example.com/activate",
            "verification_uri_complete": "https://idp.example.com/activate?user_code=WDJB-MJHT",
            "expires_in": 1800, "interval": 7}
DEVICE = {"user-code": "WDJB-MJHT", "verification-uri": "https://idp.example.com/activate",
          "verification-uri-complete": "https://idp.example.com/activate?user_code=WDJB-MJHT",
          "expires-at": NOW + 1800, "interval": 7, "device-code": DEVICE_CODE, "scopes": ["mail"]}
vec("begin-device-authorization: RFC 8628 §3.2 response", BD, [EXAMPLE, PUBLIC, DEFAULT_OPTS, NOW], {"ok": DEVICE},
    http=[ex(post(DEV, form("client_id", "client-123")), 200, DEV_RESP)])
vec("begin-device-authorization: requests the scopes", BD, [EXAMPLE, PUBLIC, DEFAULT_OPTS, NOW], {"ok": DEVICE},
    http=[ex(post(DEV, form("scope", "mail")), 200, DEV_RESP)])
vec("begin-device-authorization: interval 5 when the provider says nothing", BD,
    [EXAMPLE, PUBLIC, DEFAULT_OPTS, NOW],
    {"ok": dict(DEVICE, interval=5, **{"verification-uri-complete": None})},
    http=[ex(post(DEV), 200, {k: v for k, v in DEV_RESP.items() if k not in ("interval", "verification_uri_complete")})])
GDEV = "https://oauth2.googleapis.com/device/code"
vec("begin-device-authorization: Google's verification_url, non-mail scopes", BD,
    [GOOGLE, PUBLIC, {"scopes": ["openid", "email"], "login-hint": None}, NOW],
    {"ok": {"verification-uri": "https://www.google.com/device", "user-code": "GQVQ-JKEC",
            "device-code": "AH-1Ng3", "expires-at": NOW + 1800, "interval": 5, "scopes": ["openid", "email"]}},
    http=[ex(post(GDEV), 200, {"device_code": "AH-1Ng3", "user_code": "GQVQ-JKEC",
                                "verification_url": "https://www.google.com/device", "expires_in": 1800, "interval": 5})])
vec("begin-device-authorization: Google with its mail scope is unsupported, nothing sent", BD,
    [GOOGLE, PUBLIC, DEFAULT_OPTS, NOW], oerr("unsupported", RE(".+")), http=[])
vec("begin-device-authorization: Google with an explicit mail scope is unsupported, nothing sent", BD,
    [GOOGLE, PUBLIC, {"scopes": ["openid", "https://mail.google.com/"], "login-hint": None}, NOW],
    oerr("unsupported", RE(".+")), http=[])
vec("begin-device-authorization: no device endpoint is unsupported, nothing sent", BD,
    [provider(device_authorization_endpoint=None), PUBLIC, DEFAULT_OPTS, NOW], oerr("unsupported", RE(".+")), http=[])
vec("begin-device-authorization: Microsoft's devicecode endpoint", BD,
    [MICROSOFT, PUBLIC, DEFAULT_OPTS, NOW], {"ok": dict(DEVICE, scopes=MS_SCOPES)},
    http=[ex(post(MS + "devicecode", form("client_id", "client-123")), 200, DEV_RESP)])
vec("begin-device-authorization: invalid_client is provider-error", BD, [EXAMPLE, PUBLIC, DEFAULT_OPTS, NOW],
    oerr("provider-error", {"code": "invalid_client"}), http=[ex(post(DEV), 401, {"error": "invalid_client"})])
vec("begin-device-authorization: HTTP 503 is temporary-failure", BD, [EXAMPLE, PUBLIC, DEFAULT_OPTS, NOW],
    oerr("temporary-failure"), http=[ex(post(DEV), 503, "busy", [["content-type", "text/plain"]])])
vec("begin-device-authorization: a response without device_code is invalid-response", BD,
    [EXAMPLE, PUBLIC, DEFAULT_OPTS, NOW], oerr("invalid-response"),
    http=[ex(post(DEV), 200, {k: v for k, v in DEV_RESP.items() if k != "device_code"})])

# ================================================================== oauth.poll-device-authorization
PD = "oauth.poll-device-authorization"
DEVICE_GRANT = enc("urn:ietf:params:oauth:grant-type:device_code")
def pd_args(device=DEVICE, now=NOW + 30): return [EXAMPLE, PUBLIC, device, now]
vec("poll-device-authorization: granted", PD, pd_args(), {"ok": {"tag": "granted", "val": tokens(expires_at=NOW + 30 + 3600)}},
    http=[token_ex(form("grant_type", DEVICE_GRANT), 200, token_body())])
vec("poll-device-authorization: polls with the device code", PD, pd_args(), {"ok": {"tag": "granted"}},
    http=[token_ex(form("device_code", DEVICE_CODE), 200, token_body())])
vec("poll-device-authorization: authorization_pending is pending(interval)", PD, pd_args(),
    {"ok": {"tag": "pending", "val": 7}}, http=[ex(post(TOKEN), 400, {"error": "authorization_pending"})])
vec("poll-device-authorization: slow_down adds 5 seconds", PD, pd_args(),
    {"ok": {"tag": "pending", "val": 12}}, http=[ex(post(TOKEN), 400, {"error": "slow_down"})])
vec("poll-device-authorization: slow_down adds 5 to the stored interval", PD, pd_args(dict(DEVICE, interval=10)),
    {"ok": {"tag": "pending", "val": 15}}, http=[ex(post(TOKEN), 400, {"error": "slow_down"})])
vec("poll-device-authorization: expired_token is device-expired", PD, pd_args(), oerr("device-expired"),
    http=[ex(post(TOKEN), 400, {"error": "expired_token"})])
vec("poll-device-authorization: past expires-at is device-expired, nothing sent", PD, pd_args(now=NOW + 1801),
    oerr("device-expired"), http=[])
vec("poll-device-authorization: access_denied is access-denied", PD, pd_args(), oerr("access-denied"),
    http=[ex(post(TOKEN), 400, {"error": "access_denied"})])
vec("poll-device-authorization: authorization_declined is access-denied", PD, pd_args(), oerr("access-denied"),
    http=[ex(post(TOKEN), 400, {"error": "authorization_declined"})])
vec("poll-device-authorization: invalid_client is provider-error", PD, pd_args(),
    oerr("provider-error", {"code": "invalid_client"}), http=[ex(post(TOKEN), 401, {"error": "invalid_client"})])
vec("poll-device-authorization: HTTP 503 is temporary-failure", PD, pd_args(), oerr("temporary-failure"),
    http=[ex(post(TOKEN), 503, "busy", [["content-type", "text/plain"]])])

# ================================================================== oauth.client-credentials
CC = "oauth.client-credentials"
CC_BODY = token_body("app-at", None, 3599, "mail")
CC_TOKENS = tokens("app-at", None, NOW + 3599, ["mail"])
vec("client-credentials: grant_type=client_credentials and the scopes", CC, [EXAMPLE, CONF, ["mail"], NOW],
    {"ok": CC_TOKENS}, http=[token_ex(RE(has("grant_type", "client_credentials")), 200, CC_BODY)])
vec("client-credentials: requests the given scopes", CC, [EXAMPLE, CONF, ["mail", "calendar"], NOW],
    {"ok": {"access-token": "app-at"}}, http=[token_ex(form("scope", "mail(?:\\+|%20)calendar"), 200, CC_BODY)])
vec("client-credentials: client_secret_basic keeps the secret out of the body", CC, [EXAMPLE, CONF, ["mail"], NOW],
    {"ok": CC_TOKENS}, http=[token_ex(only("grant_type", "scope", "client_id"), 200, CC_BODY)])
vec("client-credentials: client_secret_post puts the secret in the body", CC, [EXAMPLE_POST, CONF, ["mail"], NOW],
    {"ok": CC_TOKENS}, http=[token_ex(form("client_secret", "s3cret"), 200, CC_BODY)])
vec("client-credentials: empty scopes mean the default scopes", CC, [EXAMPLE, CONF, [], NOW],
    {"ok": tokens("app-at", None, NOW + 3599, ["mail"])},
    http=[token_ex(form("scope", "mail"), 200, token_body("app-at", None, 3599, None))])
vec("client-credentials: Microsoft app-only scope", CC,
    [MICROSOFT, CONF, ["https://outlook.office365.com/.default"], NOW],
    {"ok": tokens("app-at", None, NOW + 3599, ["https://outlook.office365.com/.default"])},
    http=[token_ex(form("scope", enc("https://outlook.office365.com/.default")), 200,
                   token_body("app-at", None, 3599, None), url=MS + "token")])
vec("client-credentials: a client without a secret is invalid-input, nothing sent", CC,
    [EXAMPLE, PUBLIC, ["mail"], NOW], oerr("invalid-input"), http=[])
vec("client-credentials: invalid_client is provider-error", CC, [EXAMPLE, CONF, ["mail"], NOW],
    oerr("provider-error", {"code": "invalid_client", "description": "bad secret"}),
    http=[ex(post(TOKEN), 401, {"error": "invalid_client", "error_description": "bad secret"})])
vec("client-credentials: HTTP 503 is temporary-failure", CC, [EXAMPLE, CONF, ["mail"], NOW],
    oerr("temporary-failure"), http=[ex(post(TOKEN), 503, "busy", [["content-type", "text/plain"]])])
vec("client-credentials: HTTP 429 is temporary-failure, with Retry-After", CC, [EXAMPLE, CONF, ["mail"], NOW],
    oerr("temporary-failure", RE(".*120.*")),
    http=[ex(post(TOKEN), 429, "slow down", [["content-type", "text/plain"], ["retry-after", "120"]])])

# ================================================================== oauth.refresh
RF = "oauth.refresh"
vec("refresh: grant_type=refresh_token with the refresh token", RF, [EXAMPLE, PUBLIC, OLD, NOW],
    {"ok": tokens("at-new", "rt-new", NOW + 3600)},
    http=[token_ex(form("grant_type", "refresh_token"), 200, token_body("at-new", "rt-new"))])
vec("refresh: sends the refresh token", RF, [EXAMPLE, PUBLIC, OLD, NOW], {"ok": {"access-token": "at-new"}},
    http=[token_ex(form("refresh_token", "rt-old"), 200, token_body("at-new", "rt-new"))])
vec("refresh: a rotated refresh token replaces the old one", RF, [EXAMPLE, PUBLIC, OLD, NOW],
    {"ok": {"refresh-token": "rt-new"}}, http=[token_ex(None, 200, token_body("at-new", "rt-new"))])
vec("refresh: keeps the old refresh token when none is returned", RF, [EXAMPLE, PUBLIC, OLD, NOW],
    {"ok": tokens("at-new", "rt-old", NOW + 1800, ["mail"])},
    http=[token_ex(None, 200, token_body("at-new", None, 1800, None))])
MS_TOKENS = tokens("at-old", "rt-old", NOW + 3600, ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"])
vec("refresh: at Microsoft the request names the granted scopes", RF, [MICROSOFT, PUBLIC, MS_TOKENS, NOW],
    {"ok": {"access-token": "at-new"}},
    http=[token_ex(form("scope", enc("https://outlook.office.com/IMAP.AccessAsUser.All") + "(?:\\+|%20)offline_access"),
                   200, token_body("at-new", "rt-new", 3600, None), url=MS + "token")])
vec("refresh: client_secret_post puts the secret in the body", RF, [EXAMPLE_POST, CONF, OLD, NOW],
    {"ok": {"access-token": "at-new"}}, http=[token_ex(form("client_secret", "s3cret"), 200, token_body("at-new"))])
vec("refresh: invalid_grant is reauthorize-required", RF, [EXAMPLE, PUBLIC, OLD, NOW],
    oerr("reauthorize-required", {"code": "invalid_grant"}),
    http=[ex(post(TOKEN), 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})])
vec("refresh: Microsoft AADSTS50076 (interaction_required) is reauthorize-required", RF,
    [MICROSOFT, PUBLIC, MS_TOKENS, NOW], oerr("reauthorize-required"),
    http=[ex(post(MS + "token"), 400, {"error": "interaction_required",
        "error_description": "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.",
        "error_codes": [50076]})])
vec("refresh: no refresh token is reauthorize-required, nothing sent", RF,
    [EXAMPLE, PUBLIC, dict(OLD, **{"refresh-token": None}), NOW], oerr("reauthorize-required"), http=[])
vec("refresh: invalid_client is provider-error", RF, [EXAMPLE, CONF, OLD, NOW],
    oerr("provider-error", {"code": "invalid_client"}), http=[ex(post(TOKEN), 401, {"error": "invalid_client"})])
vec("refresh: HTTP 503 is temporary-failure", RF, [EXAMPLE, PUBLIC, OLD, NOW], oerr("temporary-failure"),
    http=[ex(post(TOKEN), 503, "busy", [["content-type", "text/plain"]])])
vec("refresh: HTTP 502 is temporary-failure", RF, [EXAMPLE, PUBLIC, OLD, NOW], oerr("temporary-failure"),
    http=[ex(post(TOKEN), 502, "bad gateway", [["content-type", "text/plain"]])])
vec("refresh: the host's error is http", RF, [EXAMPLE, PUBLIC, OLD, NOW],
    oerr("http", {"tag": "denied", "val": "idp.example.com:443 is not in the egress policy"}),
    http=[ex(post(TOKEN), error={"tag": "denied", "val": "idp.example.com:443 is not in the egress policy"})])

# ================================================================== oauth.ensure-fresh
EF = "oauth.ensure-fresh"
vec("ensure-fresh: a token valid beyond the skew is returned as is, nothing sent", EF,
    [EXAMPLE, PUBLIC, OLD, NOW, 300], {"ok": {"tokens": OLD, "refreshed": False}}, http=[])
vec("ensure-fresh: a token expiring within the skew is refreshed", EF,
    [EXAMPLE, PUBLIC, dict(OLD, **{"expires-at": NOW + 60}), NOW, 300],
    {"ok": {"tokens": tokens("at-new", "rt-new", NOW + 3600), "refreshed": True}},
    http=[token_ex(form("grant_type", "refresh_token"), 200, token_body("at-new", "rt-new"))])
vec("ensure-fresh: an expired token is refreshed", EF,
    [EXAMPLE, PUBLIC, dict(OLD, **{"expires-at": NOW - 10}), NOW, 0],
    {"ok": {"tokens": {"access-token": "at-new"}, "refreshed": True}},
    http=[token_ex(form("refresh_token", "rt-old"), 200, token_body("at-new", "rt-new"))])
vec("ensure-fresh: an unknown expiry is returned as is, nothing sent", EF,
    [EXAMPLE, PUBLIC, dict(OLD, **{"expires-at": None}), NOW, 300],
    {"ok": {"tokens": dict(OLD, **{"expires-at": None}), "refreshed": False}}, http=[])
vec("ensure-fresh: expiring without a refresh token is reauthorize-required", EF,
    [EXAMPLE, PUBLIC, dict(OLD, **{"expires-at": NOW + 60, "refresh-token": None}), NOW, 300],
    oerr("reauthorize-required"), http=[])
vec("ensure-fresh: a dead grant is reauthorize-required", EF,
    [EXAMPLE, PUBLIC, dict(OLD, **{"expires-at": NOW + 60}), NOW, 300],
    oerr("reauthorize-required", {"code": "invalid_grant"}), http=[ex(post(TOKEN), 400, {"error": "invalid_grant"})])

# ================================================================== oauth.revoke
RV = "oauth.revoke"
GREV = "https://oauth2.googleapis.com/revoke"
vec("revoke: Google refresh token", RV, [GOOGLE, PUBLIC, "rt-old", "refresh-token"], {"ok": None},
    http=[ex(post(GREV, form("token", "rt-old")), 200, "")])
vec("revoke: Google access token", RV, [GOOGLE, PUBLIC, "at-old", "access-token"], {"ok": None},
    http=[ex(post(GREV, form("token", "at-old")), 200, "")])
vec("revoke: Microsoft has no revocation endpoint: unsupported, nothing sent", RV,
    [MICROSOFT, PUBLIC, "rt-old", "refresh-token"], oerr("unsupported", RE(".+")), http=[])
vec("revoke: no revocation endpoint is unsupported, nothing sent", RV,
    [provider(revocation_endpoint=None), PUBLIC, "rt-old", "refresh-token"], oerr("unsupported", RE(".+")), http=[])
vec("revoke: RFC 7009 at the provider's endpoint", RV, [EXAMPLE, CONF, "rt-old", "refresh-token"], {"ok": None},
    http=[ex(post("https://idp.example.com/revoke", form("token", "rt-old")), 200, "")])
vec("revoke: unsupported_token_type is provider-error", RV, [EXAMPLE, CONF, "at-old", "access-token"],
    oerr("provider-error", {"code": "unsupported_token_type"}),
    http=[ex(post("https://idp.example.com/revoke"), 400, {"error": "unsupported_token_type"})])
vec("revoke: HTTP 503 is temporary-failure", RV, [EXAMPLE, CONF, "rt-old", "refresh-token"], oerr("temporary-failure"),
    http=[ex(post("https://idp.example.com/revoke"), 503, "busy", [["content-type", "text/plain"]])])
vec("revoke: the host's error is http", RV, [EXAMPLE, CONF, "rt-old", "refresh-token"],
    oerr("http", {"tag": "tls", "val": "idp.example.com:443: invalid peer certificate: UnknownIssuer"}),
    http=[ex(post("https://idp.example.com/revoke"),
             error={"tag": "tls", "val": "idp.example.com:443: invalid peer certificate: UnknownIssuer"})])

# ------------------------------------------------------------------ secrets never ride in an error
# Each secret is made of `~` only, a character nothing else in these answers
# holds: the error text must then match [^~]* (no lookahead in the common
# regex subset).
SECRET = "~" * 16
NO_SECRET = RE("[^~]*")
ECHO = lambda what, secret=SECRET: f"<html><body>rejected {what} {secret}</body></html>"
HTML = [["content-type", "text/html"]]
# `~` in a form body: sent as is or as %7E (WHATWG form encoding).
TILDES = lambda n: f"(?:~|%7E){{{n}}}"
vec("complete-authorization: an error page echoing the client secret does not carry it", CA,
    ca_args(prov=EXAMPLE_POST, client=dict(CONF, secret=SECRET)),
    oerr("invalid-response", {"status": 500, "detail": NO_SECRET}),
    http=[ex(post(TOKEN, form("client_secret", TILDES(16))), 500, ECHO("client_secret"), HTML)])
vec("complete-authorization: an error page echoing the code does not carry it", CA,
    ca_args(callback=f"{REDIRECT}?code={SECRET}&state={STATE}"),
    oerr("invalid-response", {"status": 500, "detail": NO_SECRET}),
    http=[ex(post(TOKEN, form("code", TILDES(16))), 500, ECHO("code"), HTML)])
vec("complete-authorization: an error page echoing the PKCE verifier does not carry it", CA,
    ca_args(pending=dict(PENDING, **{"pkce-verifier": "~" * 43})),
    oerr("invalid-response", {"status": 500, "detail": NO_SECRET}),
    http=[ex(post(TOKEN, form("code_verifier", TILDES(43))), 500, ECHO("code_verifier", "~" * 43), HTML)])
vec("refresh: an error page echoing the refresh token does not carry it", RF,
    [EXAMPLE, PUBLIC, dict(OLD, **{"refresh-token": SECRET}), NOW],
    oerr("invalid-response", {"status": 500, "detail": NO_SECRET}),
    http=[ex(post(TOKEN, form("refresh_token", TILDES(16))), 500, ECHO("refresh_token"), HTML)])
vec("poll-device-authorization: an error page echoing the device code does not carry it", PD,
    pd_args(dict(DEVICE, **{"device-code": SECRET})),
    oerr("invalid-response", {"status": 500, "detail": NO_SECRET}),
    http=[ex(post(TOKEN, form("device_code", TILDES(16))), 500, ECHO("device_code"), HTML)])

# ================================================================== sasl
def b64(s): return base64.b64encode(s.encode()).decode()
vec("xoauth2: Google's documented example", "sasl.xoauth2",
    ["someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"],
    {"ok": "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="})
vec("xoauth2: user=<user>^Aauth=Bearer <token>^A^A", "sasl.xoauth2", ["u@example.com", "t0k3n"],
    {"ok": b64("user=u@example.com\x01auth=Bearer t0k3n\x01\x01")})
for what, user, tok in [("CR/LF in the token never reaches a wire", "u@example.com", "t\r\nA1 LOGOUT"),
                        ("an empty user", "", "t0k3n"), ("an empty token", "u@example.com", ""),
                        ("^A in the user (the separator)", "u@example.com\x01auth=Bearer x", "t0k3n"),
                        ("NUL in the token", "u@example.com", "t0\x00k3n"),
                        ("DEL in the user", "u\x7f@example.com", "t0k3n"),
                        ("LF in the user", "u@example.com\n", "t0k3n")]:
    vec(f"xoauth2: {what} is invalid-input", "sasl.xoauth2", [user, tok], oerr("invalid-input"))

vec("oauthbearer: RFC 7628 §4.1 example", "sasl.oauthbearer",
    ["user@example.com", "server.example.com", 143, "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg=="],
    {"ok": "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2c9PQEB"})
vec("oauthbearer: , and = in the user are escaped (RFC 5801)", "sasl.oauthbearer",
    ["a,b=c@example.com", "imap.example.com", 993, "tok"],
    {"ok": b64("n,a=a=2Cb=3Dc@example.com,\x01host=imap.example.com\x01port=993\x01auth=Bearer tok\x01\x01")})
for what, args in [("an empty host", ["u@example.com", "", 993, "tok"]),
                   ("an empty user", ["", "imap.example.com", 993, "tok"]),
                   ("an empty token", ["u@example.com", "imap.example.com", 993, ""]),
                   ("CR/LF in the token", ["u@example.com", "imap.example.com", 993, "tok\r\nx"]),
                   ("^A in the host", ["u@example.com", "imap.example.com\x01auth=Bearer x", 993, "tok"])]:
    vec(f"oauthbearer: {what} is invalid-input", "sasl.oauthbearer", args, oerr("invalid-input"))

vec("parse-failure: Google's error challenge", "sasl.parse-failure",
    [b64('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}')],
    {"ok": {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}})
vec("parse-failure: RFC 7628 §3.2.2 example", "sasl.parse-failure",
    [b64('{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}')],
    {"ok": {"status": "invalid_token", "schemes": None, "scope": "example_scope"}})
vec("parse-failure: status alone", "sasl.parse-failure", [b64('{"status":"invalid_token"}')],
    {"ok": {"status": "invalid_token", "schemes": None, "scope": None}})
for what, ch in [("not base64", "not base64!"), ("base64 of something that is not JSON", b64("Authentication failed")),
                 ("JSON without status", b64('{"schemes":"bearer","scope":"x"}')), ("an empty challenge", "")]:
    vec(f"parse-failure: {what} is invalid-input", "sasl.parse-failure", [ch], oerr("invalid-input"))

# ================================================================== mail (non-live: transport denied)
def login(user="alice@gmail.com", cred=None, mech=None):
    return {"user": user, "credentials": cred or {"tag": "access-token", "val": "ya29.a0-access"}, "mechanism": mech}
def refreshable(prov=GOOGLE, toks=None, now=NOW, client=PUBLIC):
    return {"tag": "refreshable", "val": {"provider": prov, "client": client,
            "tokens": toks or tokens("at-old", "rt-old", NOW + 3600, ["https://mail.google.com/"]), "now": now}}
EXPIRED = tokens("at-old", "rt-old", NOW - 60, ["https://mail.google.com/"])
NEW_G = tokens("at-new", "rt-old", NOW + 3599, ["https://mail.google.com/"])
G_REFRESH = lambda: token_ex(form("grant_type", "refresh_token"), 200, token_body("at-new", None, 3599, None),
                             url="https://oauth2.googleapis.com/token")
def mfail(tag, val=None, refreshed=None):
    e = {"tag": tag}
    if val is not None: e["val"] = val
    return {"err": {"error": e, "refreshed": refreshed}}
DENIED = mfail("transport", {"tag": "denied"})
IMAP = {"host": "imap.gmail.com", "port": 993, "security": "implicit-tls"}
POP = {"host": "pop.gmail.com", "port": 995, "security": "implicit-tls"}
SMTP = {"host": "smtp.gmail.com", "port": 587, "security": "starttls"}
SMTPS = {"host": "smtp.gmail.com", "port": 465, "security": "implicit-tls"}
MSG = {"sender": "alice@gmail.com", "recipients": ["bob@example.com"], "subject": "Test d'envoi",
       "body": "Hello.\n.a line starting with a dot\n", "send-as": False, "now": NOW}

for fn, server in [("verify-imap", IMAP), ("verify-pop3", POP), ("verify-smtp", SMTP)]:
    call = "mail." + fn
    vec(f"{fn}: the host denies the connection: transport denied", call, [server, login()], DENIED, http=[])
    vec(f"{fn}: an empty user is invalid-input", call, [server, login(user="")], mfail("invalid-input"), http=[])
    vec(f"{fn}: CR/LF in the token is invalid-input", call,
        [server, login(cred={"tag": "access-token", "val": "tok\r\nA1 LOGOUT"})], mfail("invalid-input"), http=[])
    vec(f"{fn}: an empty host is invalid-input", call, [dict(server, host=""), login()], mfail("invalid-input"), http=[])
    vec(f"{fn}: an expired token is refreshed first, and the new tokens come back with the failure", call,
        [server, login(cred=refreshable(toks=EXPIRED))], mfail("transport", {"tag": "denied"}, NEW_G),
        http=[G_REFRESH()])
    vec(f"{fn}: an expired token whose grant is dead is oauth reauthorize-required", call,
        [server, login(cred=refreshable(toks=EXPIRED))],
        mfail("oauth", {"tag": "reauthorize-required", "val": {"code": "invalid_grant"}}),
        http=[ex(post("https://oauth2.googleapis.com/token"), 400, {"error": "invalid_grant"})])
vec("verify-smtp: implicit TLS, the host denies the connection", "mail.verify-smtp", [SMTPS, login(mech="oauthbearer")],
    DENIED, http=[])

ST = "mail.send-test-message"
vec("send-test-message: the host denies the connection: transport denied", ST, [SMTP, login(), MSG], DENIED, http=[])
vec("send-test-message: another sender without send-as is sender-not-authorized, before connecting", ST,
    [SMTP, login(), dict(MSG, sender="ceo@gmail.com")],
    mfail("sender-not-authorized", {"sender": "ceo@gmail.com", "user": "alice@gmail.com"}), http=[])
vec("send-test-message: another sender with send-as goes on to connect", ST,
    [SMTP, login(), dict(MSG, sender="shared@gmail.com", **{"send-as": True})], DENIED, http=[])
vec("send-test-message: no recipient is invalid-input", ST, [SMTP, login(), dict(MSG, recipients=[])],
    mfail("invalid-input"), http=[])
vec("send-test-message: CR/LF in a recipient is invalid-input", ST,
    [SMTP, login(), dict(MSG, recipients=["bob@example.com\r\nRCPT TO:<eve@example.com>"])],
    mfail("invalid-input"), http=[])
vec("send-test-message: an expired token is refreshed first", ST,
    [SMTP, login(cred=refreshable(toks=EXPIRED)), MSG], mfail("transport", {"tag": "denied"}, NEW_G),
    http=[G_REFRESH()])

# ================================================================== mail APIs
VA = "mail.verify-api"
PROFILE = "https://gmail.googleapis.com/gmail/v1/users/me/profile"
GSEND = "https://gmail.googleapis.com/gmail/v1/users/me/messages/send"
ME = "https://graph.microsoft.com/v1.0/me"
MSEND = "https://graph.microsoft.com/v1.0/me/sendMail"
PROFILE_BODY = {"emailAddress": "alice@gmail.com", "messagesTotal": 42, "threadsTotal": 40, "historyId": "1234"}
ME_BODY = {"displayName": "Bob", "mail": "bob@contoso.com", "userPrincipalName": "bob@contoso.com", "id": "87d349ed"}
API_OK = lambda who, refreshed=None: {"ok": {"greeting": RE(".*" + esc(who) + ".*"), "capabilities": [],
                                            "mechanism": None, "refreshed": refreshed}}
GERR401 = {"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}
MS_LOGIN = lambda cred=None: login("bob@contoso.com", cred)
MS_REFRESHABLE = lambda toks=None: refreshable(MICROSOFT, toks or tokens("at-old", "rt-old", NOW + 3600, MS_SCOPES))

vec("verify-api: Gmail profile", VA, ["gmail", login()], API_OK("alice@gmail.com"),
    http=[ex(get(PROFILE), 200, PROFILE_BODY)])
vec("verify-api: Gmail, a 401 with a bare token is sasl-rejected", VA, ["gmail", login()],
    mfail("sasl-rejected", {"status": "401"}), http=[ex(get(PROFILE), 401, GERR401)])
vec("verify-api: Gmail, a 401 refreshes once and retries", VA, ["gmail", login(cred=refreshable())],
    API_OK("alice@gmail.com", NEW_G),
    http=[ex(get(PROFILE), 401, GERR401), G_REFRESH(), ex(get(PROFILE), 200, PROFILE_BODY)])
vec("verify-api: Gmail, a second 401 after the refresh is sasl-rejected, with the new tokens", VA,
    ["gmail", login(cred=refreshable())], mfail("sasl-rejected", {"status": "401"}, NEW_G),
    http=[ex(get(PROFILE), 401, GERR401), G_REFRESH(), ex(get(PROFILE), 401, GERR401)])
vec("verify-api: Gmail, an expired token is refreshed before the request", VA,
    ["gmail", login(cred=refreshable(toks=EXPIRED))], API_OK("alice@gmail.com", NEW_G),
    http=[G_REFRESH(), ex(get(PROFILE), 200, PROFILE_BODY)])
vec("verify-api: Gmail, a 429 is temporary-failure", VA, ["gmail", login()],
    mfail("temporary-failure", {"code": 429}),
    http=[ex(get(PROFILE), 429, {"error": {"code": 429, "message": "Rate Limit Exceeded"}})])
vec("verify-api: Gmail, a 503 is temporary-failure", VA, ["gmail", login()],
    mfail("temporary-failure", {"code": 503}), http=[ex(get(PROFILE), 503, {"error": {"code": 503, "message": "Backend Error"}})])
vec("verify-api: Gmail, a 400 is command-rejected with the status", VA, ["gmail", login()],
    mfail("command-rejected", {"code": 400}), http=[ex(get(PROFILE), 400, {"error": {"code": 400, "message": "Bad Request"}})])
vec("verify-api: Gmail, an answer that is not its JSON is protocol-violation", VA, ["gmail", login()],
    mfail("protocol-violation"), http=[ex(get(PROFILE), 200, "<html>captive portal</html>", [["content-type", "text/html"]])])
vec("verify-api: the host's error is http", VA, ["gmail", login()], mfail("http", {"tag": "timeout"}),
    http=[ex(get(PROFILE), error={"tag": "timeout"})])
vec("verify-api: an empty token is invalid-input, nothing sent", VA,
    ["gmail", login(cred={"tag": "access-token", "val": ""})], mfail("invalid-input"), http=[])
vec("verify-api: a mail API error echoing the token does not carry it", VA,
    ["gmail", login(cred={"tag": "access-token", "val": SECRET})],
    mfail("command-rejected", {"reply": NO_SECRET, "code": 400}),
    http=[ex(get(PROFILE), 400, {"error": {"code": 400, "message": f"Bad token {SECRET}"}})])
vec("verify-api: Graph /me", VA, ["graph", MS_LOGIN()], API_OK("bob@contoso.com"), http=[ex(get(ME), 200, ME_BODY)])
vec("verify-api: Graph, a 401 with a bare token is sasl-rejected", VA, ["graph", MS_LOGIN()],
    mfail("sasl-rejected", {"status": "401"}),
    http=[ex(get(ME), 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}})])
vec("verify-api: Graph, a 401 refreshes once at Microsoft and retries", VA, ["graph", MS_LOGIN(MS_REFRESHABLE())],
    API_OK("bob@contoso.com", tokens("at-new", "rt-new", NOW + 3600, MS_SCOPES)),
    http=[ex(get(ME), 401, {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}),
          token_ex(form("grant_type", "refresh_token"), 200, token_body("at-new", "rt-new", 3600, None), url=MS + "token"),
          ex(get(ME), 200, ME_BODY)])
vec("verify-api: Graph, a 429 is temporary-failure", VA, ["graph", MS_LOGIN()], mfail("temporary-failure", {"code": 429}),
    http=[ex(get(ME), 429, {"error": {"code": "TooManyRequests", "message": "Too many requests"}},
             JSON_H + [["retry-after", "10"]])])

SA = "mail.send-via-api"
RAW = RE(r'\{\s*"raw"\s*:\s*"[A-Za-z0-9_-]+=*"\s*\}')
MIME_B64 = RE(r"[A-Za-z0-9+/=\r\n]+")
MS_MSG = dict(MSG, sender="bob@contoso.com")
vec("send-via-api: Gmail messages/send with {raw}", SA, ["gmail", login(), MSG], {"ok": {"mechanism": None, "refreshed": None}},
    http=[ex(post(GSEND, RAW), 200, {"id": "18c2f", "threadId": "18c2f", "labelIds": ["SENT"]})])
vec("send-via-api: Graph sendMail, 202 is success", SA, ["graph", MS_LOGIN(), MS_MSG], {"ok": {"mechanism": None, "refreshed": None}},
    http=[ex(post(MSEND, MIME_B64), 202, "")])
vec("send-via-api: Graph with send-as posts to /users/{sender}", SA,
    ["graph", MS_LOGIN(), dict(MS_MSG, sender="shared@contoso.com", **{"send-as": True})], {"ok": {"refreshed": None}},
    http=[ex(post(RE(r"https://graph\.microsoft\.com/v1\.0/users/shared(?:@|%40)contoso\.com/sendMail"), MIME_B64), 202, "")])
vec("send-via-api: Gmail, another sender without send-as is sender-not-authorized, nothing sent", SA,
    ["gmail", login(), dict(MSG, sender="ceo@gmail.com")],
    mfail("sender-not-authorized", {"sender": "ceo@gmail.com", "user": "alice@gmail.com"}), http=[])
vec("send-via-api: Graph, another sender without send-as is sender-not-authorized, nothing sent", SA,
    ["graph", MS_LOGIN(), dict(MS_MSG, sender="shared@contoso.com")],
    mfail("sender-not-authorized", {"sender": "shared@contoso.com", "user": "bob@contoso.com"}), http=[])
vec("send-via-api: Graph, a 401 with a bare token is sasl-rejected", SA, ["graph", MS_LOGIN(), MS_MSG],
    mfail("sasl-rejected", {"status": "401"}),
    http=[ex(post(MSEND), 401, {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}})])
vec("send-via-api: Graph, a 429 is temporary-failure", SA, ["graph", MS_LOGIN(), MS_MSG],
    mfail("temporary-failure", {"code": 429}),
    http=[ex(post(MSEND), 429, {"error": {"code": "TooManyRequests", "message": "Too many requests"}})])
vec("send-via-api: Gmail, a 401 refreshes once and retries", SA, ["gmail", login(cred=refreshable()), MSG],
    {"ok": {"refreshed": NEW_G}},
    http=[ex(post(GSEND), 401, GERR401), G_REFRESH(), ex(post(GSEND, RAW), 200, {"id": "18c2f", "threadId": "18c2f"})])
vec("send-via-api: Gmail, a 400 is command-rejected", SA, ["gmail", login(), MSG], mfail("command-rejected", {"code": 400}),
    http=[ex(post(GSEND), 400, {"error": {"code": 400, "message": "Invalid To header"}})])
vec("send-via-api: Gmail, a 503 is temporary-failure", SA, ["gmail", login(), MSG], mfail("temporary-failure", {"code": 503}),
    http=[ex(post(GSEND), 503, {"error": {"code": 503, "message": "Backend Error"}})])
vec("send-via-api: no recipient is invalid-input, nothing sent", SA, ["gmail", login(), dict(MSG, recipients=[])],
    mfail("invalid-input"), http=[])

# ================================================================== live
# Run with the flags of `python3 tests/conformance/live.py --flags` (the AS, the
# IMAP and submission ports, loopback, the peers' CA); live.py adds the vectors
# that need tokens from the running AS.
LOCAL = "http://127.0.0.1:10090"
LOCAL_RE = lambda: RE(esc(LOCAL) + "/.+")
vec("live: discover the local OpenID provider", "oauth.discover", [LOCAL],
    {"ok": {"issuer": LOCAL, "authorization-endpoint": LOCAL_RE(), "token-endpoint": LOCAL_RE(),
            "device-authorization-endpoint": LOCAL_RE(), "pkce": True,
            "default-scopes": ["openid", "email", "offline_access"], "mail-servers": []}}, live=True)
LOCAL_P = provider(id="local", display_name="Local test AS", issuer=LOCAL,
                   authorization_endpoint=LOCAL + "/auth", token_endpoint=LOCAL + "/token",
                   device_authorization_endpoint=LOCAL + "/device/auth",
                   revocation_endpoint=LOCAL + "/token/revocation", default_scopes=["mail"], client_auth="basic")
MC = {"id": "mail-confidential", "secret": "mail-confidential-secret", "redirect-uri": "http://127.0.0.1/callback"}
vec("live: client credentials at the local provider (client_secret_basic)", CC, [LOCAL_P, MC, ["mail"], NOW],
    {"ok": {"access-token": RE(".+"), "refresh-token": None, "expires-at": NOW + 600, "scopes": ["mail"]}}, live=True)
vec("live: client credentials with a wrong secret is provider-error invalid_client", CC,
    [LOCAL_P, dict(MC, secret="not-the-secret"), ["mail"], NOW],
    oerr("provider-error", {"code": "invalid_client"}), live=True)
vec("live: a mail server outside --allow is denied by the host's transport", "mail.verify-pop3",
    [{"host": "127.0.0.1", "port": 10995, "security": "implicit-tls"},
     login("alice@example.test", {"tag": "access-token", "val": "not-a-real-token"})],
    mfail("transport", {"tag": "denied"}), live=True)

names = [v["name"] for v in V]
assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
out = '{"vectors": [\n' + ",\n".join(json.dumps(v, ensure_ascii=False) for v in V) + "\n]}\n"
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json"), "w", encoding="utf-8") as f:
    f.write(out)
print(f"{len(V)} vectors")
for call, n in sorted(Counter(v["call"] + (" (live)" if v.get("live") else "") for v in V).items()):
    print(f"  {call}: {n}")
