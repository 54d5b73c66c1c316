"""Loads the component once and calls its exports by WIT name, a fresh store
and instance per call, with the `http` import under a Policy."""

import hashlib
from pathlib import Path

import wasmtime
from wasmtime.component import Component, Linker, ResourceType, Variant

from . import http_host
from .policy import Policy

PACKAGE = "mail-oauth:plugin"
VERSION = "0.2.0"
OAUTH_ERROR_TAGS = {
    "reauthorize-required", "access-denied", "state-mismatch", "issuer-mismatch",
    "provider-error", "http", "invalid-response", "invalid-input", "unsupported",
    "device-expired", "temporary-failure",
}


class PluginError(Exception):
    """A WIT error variant: `.tag` is the case, `.value` its payload. `str()`
    and `repr()` show the tag only: payloads may echo server text."""

    def __init__(self, tag, value=None):
        super().__init__(tag)
        self.tag = tag
        self.value = value

    def __repr__(self):
        return f"{type(self).__name__}({self.tag!r})"


class OAuthError(PluginError):
    """`oauth-error`."""


class SaslError(PluginError):
    """`sasl-error` (only `invalid-input`)."""


class MailFailure(PluginError):
    """`mail-failure`: `.tag`/`.value` of its `mail-error`, plus `.refreshed`."""

    def __init__(self, failure):
        error = failure.error
        super().__init__(error.tag, error.payload)
        self.refreshed = failure.refreshed


def _deny_connect(_store, host, port, _security):
    return Variant("denied", f"{host}:{port}: this host opens no mail connections")


def _no_connection(_store, *_args):
    return Variant("other", "no connection")


class _Interface:
    def __init__(self, plugin, name):
        self._plugin = plugin
        self._name = name

    def __getattr__(self, attr):
        function = attr.replace("_", "-")
        return lambda *args: self._plugin.call(f"{self._name}.{function}", *args)


class Plugin:
    """`Plugin(wasm_path, policy=Policy())`: `plugin.sha256`,
    `plugin.call("oauth.discover", issuer)` or `plugin.oauth.discover(issuer)`."""

    def __init__(self, wasm_path, policy: Policy | None = None, sha256: str | None = None):
        data = Path(wasm_path).read_bytes()
        self.sha256 = hashlib.sha256(data).hexdigest()
        if sha256 is not None and sha256.lower() != self.sha256:
            raise ValueError(f"{wasm_path}: sha256 {self.sha256} is not the expected {sha256}")
        self.policy = policy or Policy()
        self.engine = wasmtime.Engine()
        self.component = Component(self.engine, data)
        self.linker = Linker(self.engine)
        self.linker.add_wasip2()
        with self.linker.root() as root:
            with root.add_instance(f"{PACKAGE}/http@{VERSION}") as http:
                http.add_func("send", lambda _store, request: http_host.send(self.policy, request))
            with root.add_instance(f"{PACKAGE}/transport@{VERSION}") as transport:
                transport.add_resource("connection", ResourceType.host(1), lambda _ctx, _rep: None)
                transport.add_func("connect", _deny_connect)
                for method in ("read-line", "read-exact", "write", "upgrade-tls"):
                    transport.add_func(f"[method]connection.{method}", _no_connection)
        self.oauth = _Interface(self, "oauth")
        self.sasl = _Interface(self, "sasl")
        self.mail = _Interface(self, "mail")

    def call_raw(self, name: str, *args):
        """Calls `interface.function` and returns wasmtime-py's value as is."""
        interface, function = name.split(".", 1)
        store = wasmtime.Store(self.engine)
        store.set_wasi(wasmtime.WasiConfig())
        instance = self.linker.instantiate(store, self.component)
        index = instance.get_export_index(store, f"{PACKAGE}/{interface}@{VERSION}")
        func = instance.get_func(store, instance.get_export_index(store, function, index))
        return func(store, *args)

    def call(self, name: str, *args):
        """Calls `interface.function`; returns the ok value or raises the
        interface's error class."""
        interface = name.split(".", 1)[0]
        result = self.call_raw(name, *args)
        if isinstance(result, Variant) and result.tag == "ok":
            return result.payload
        if isinstance(result, Variant) and result.tag == "err":
            error = result.payload
        elif interface == "oauth" and isinstance(result, Variant) and result.tag in OAUTH_ERROR_TAGS:
            error = result
        elif interface == "sasl" and isinstance(result, str) and name != "sasl.xoauth2" \
                and name != "sasl.oauthbearer":
            error = result
        else:
            return result
        if interface == "mail":
            raise MailFailure(error)
        if interface == "sasl":
            raise SaslError("invalid-input", error if isinstance(error, str) else error.payload)
        raise OAuthError(error.tag, error.payload)
