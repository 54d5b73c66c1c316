"""Loads the component once and calls its exports by WIT name: a fresh store
and instance per call (nothing of one tenant's call survives into the next),
the `http` and `transport` imports under a Policy, a memory cap and a
deadline per call."""

import asyncio
import hashlib
import threading
import weakref
from pathlib import Path

import wasmtime
from wasmtime.component import Component, FuncType, Linker, ResourceHost, ResourceType

from . import _fast_bytes, http_host
from .policy import Limits, Policy
from .transport_host import Connections
from .values import REDACTED, SECRET_FIELDS, WitRecord, lift, lower, snake

_fast_bytes.install()

PACKAGE = "mail-oauth:plugin"
VERSION = "0.2.0"
INTERFACES = ("oauth", "sasl", "mail")
CONNECTION = 1  # the host's type id of `transport.connection`
TICK_SECONDS = 0.1


def _detail(value):
    if value is None:
        return ""
    if isinstance(value, dict):
        return ": " + repr(value)
    return f": {value}"


class PluginError(Exception):
    """A WIT error variant: `.tag` is the case (`reauthorize-required`,
    `temporary-failure`, ...), `.value` its payload (plain data, see
    values.py). The component never puts a secret in an error; `str()`
    and `repr()` show the case and its payload, records redacted."""

    def __init__(self, tag, value=None):
        super().__init__(tag)
        self.tag = tag
        self.value = value

    def __str__(self):
        return f"{self.tag}{_detail(self.value)}"

    def __repr__(self):
        return f"{type(self).__name__}({str(self)!r})"


class OAuthError(PluginError):
    """`oauth-error`: branch on `.tag`."""


class SaslError(PluginError):
    """`sasl-error` (only `invalid-input`)."""


class MailFailure(PluginError):
    """`mail-failure`: `.tag`/`.value` of its `mail-error`, and `.refreshed`:
    the token set refreshed during the call (store it even though the call
    failed), or None."""

    def __init__(self, failure):
        error = failure["error"]
        super().__init__(error["tag"], error.get("val"))
        self.refreshed = failure["refreshed"]

    @property
    def oauth_tag(self):
        """For `oauth(...)`: the nested oauth-error's tag, else None."""
        return self.value["tag"] if self.tag == "oauth" else None


class CallTrapped(RuntimeError):
    """The component trapped or ran out of time or memory: a bug or a
    runaway, never an answer. Nothing of the call is kept."""


ERRORS = {"oauth": OAuthError, "sasl": SaslError}


def _tick(engine_ref):
    """Advances the engine's epoch (each call's deadline counts in ticks)
    until the engine is gone."""
    while (engine := engine_ref()) is not None:
        engine.increment_epoch()
        del engine
        threading.Event().wait(TICK_SECONDS)


class _Interface:
    def __init__(self, plugin, name):
        self._plugin = plugin
        self._name = name

    def __getattr__(self, attr):
        function = attr.replace("_", "-")
        return lambda *args: self._plugin.call(f"{self._name}.{function}", *args)


class Plugin:
    """`Plugin(wasm_path, policy=Policy(...), sha256=None, limits=Limits())`.

    `plugin.oauth.begin_authorization(provider, client, scopes, login_hint, now)`
    or `plugin.call("oauth.begin-authorization", ...)`: plain data in and out
    (values.py); an `err` result raises OAuthError, SaslError or MailFailure.
    Thread-safe: each call has its own store, instance and connections.
    """

    def __init__(
        self,
        wasm_path,
        policy: Policy | None = None,
        sha256: str | None = None,
        limits: Limits | None = None,
        max_memory_bytes: int = 64 << 20,
        deadline_seconds: float = 120.0,
        http_send=None,
    ):
        data = Path(wasm_path).read_bytes()
        self.sha256 = hashlib.sha256(data).hexdigest()
        if sha256 is not None and sha256.lower() != self.sha256:
            raise ValueError(f"{wasm_path}: sha256 {self.sha256} is not the expected {sha256}")
        self.policy = policy or Policy()
        self.limits = limits or Limits()
        # Replaceable for tests only (the conformance runner's scripted http):
        # request Record in, response Record or http-error Variant out.
        self._pool = http_host.Pool()
        self._http_send = http_send or (lambda request: http_host.send(self.policy, self.limits, request, self._pool))
        self.max_memory_bytes = max_memory_bytes
        self.deadline_ticks = max(1, int(deadline_seconds / TICK_SECONDS))
        config = wasmtime.Config()
        config.epoch_interruption = True
        self.engine = wasmtime.Engine(config)
        self.component = Component(self.engine, data)
        self._local = threading.local()
        self._types = {}
        self.linker = Linker(self.engine)
        self.linker.add_wasip2()
        self._add_imports()
        threading.Thread(target=_tick, args=(weakref.ref(self.engine),), daemon=True, name="mail-oauth-epoch").start()
        for interface in INTERFACES:
            setattr(self, interface, _Interface(self, interface))

    def __repr__(self):
        return f"Plugin(sha256={self.sha256[:16]}…, policy={self.policy!r})"

    def _connections(self) -> Connections:
        return self._local.connections

    def _add_imports(self):
        def connect(_store, host, port, security):
            result = self._connections().connect(host, port, security)
            return ResourceHost.own(result, CONNECTION) if isinstance(result, int) else result

        def method(name):
            def run(store, this, *args):
                return self._connections().call(this.to_host(store).rep, name, *args)

            return run

        with self.linker.root() as root:
            with root.add_instance(f"{PACKAGE}/http@{VERSION}") as http:
                http.add_func("send", lambda _store, request: self._http_send(request))
            with root.add_instance(f"{PACKAGE}/transport@{VERSION}") as transport:
                transport.add_resource(
                    "connection", ResourceType.host(CONNECTION), lambda _store, rep: self._connections().drop(rep)
                )
                transport.add_func("connect", connect)
                for name in ("read-line", "read-exact", "write", "upgrade-tls"):
                    transport.add_func(f"[method]connection.{name}", method(snake(name)))

    def call_raw(self, name: str, *args):
        """Calls `interface.function` with plain arguments; returns the
        result as plain data, `("ok", value)` / `("err", value)` for a
        WIT result."""
        interface, function = name.split(".", 1)
        store = wasmtime.Store(self.engine)
        store.set_wasi(wasmtime.WasiConfig())
        store.set_limits(memory_size=self.max_memory_bytes)
        store.set_epoch_deadline(self.deadline_ticks)
        self._local.connections = Connections(self.policy, self.limits)
        try:
            instance = self.linker.instantiate(store, self.component)
            index = instance.get_export_index(store, f"{PACKAGE}/{interface}@{VERSION}")
            if index is None:
                raise AttributeError(f"the component exports no {interface}")
            function_index = instance.get_export_index(store, function, index)
            if function_index is None:
                raise AttributeError(f"{interface} has no function {function!r}")
            func = instance.get_func(store, function_index)
            ty: FuncType = func.type(store)
            params = ty.params
            if len(params) != len(args):
                names = ", ".join(snake(n) for n, _ in params)
                raise TypeError(f"{name} takes {len(params)} arguments ({names}), got {len(args)}")
            lowered = [lower(t, arg) for (_, t), arg in zip(params, args, strict=True)]
            try:
                value = func(store, *lowered)
            except wasmtime.WasmtimeError as error:
                raise CallTrapped(f"{name}: the component trapped: {str(error).splitlines()[0]}") from None
            except wasmtime.Trap as trap:
                raise CallTrapped(f"{name}: the component trapped: {trap.message.splitlines()[0]}") from None
            return lift(ty.result, value) if ty.result is not None else None
        finally:
            self._local.connections.close_all()
            self._local.connections = None

    def call(self, name: str, *args):
        """Calls `interface.function`; returns the ok value or raises the
        interface's error class."""
        result = self.call_raw(name, *args)
        if not (isinstance(result, tuple) and len(result) == 2 and result[0] in ("ok", "err")):
            return result
        tag, value = result
        if tag == "ok":
            return value
        interface = name.split(".", 1)[0]
        if interface == "mail":
            raise MailFailure(value)
        raise ERRORS.get(interface, PluginError)(value["tag"], value.get("val"))


class AsyncPlugin:
    """The same calls for asyncio: each runs in a worker thread
    (`asyncio.to_thread`), so the event loop never waits on the network."""

    def __init__(self, *args, **kwargs):
        self.plugin = Plugin(*args, **kwargs)
        for interface in INTERFACES:
            setattr(self, interface, _Interface(self, interface))

    @property
    def sha256(self):
        return self.plugin.sha256

    async def call(self, name: str, *args):
        return await asyncio.to_thread(self.plugin.call, name, *args)


__all__ = [
    "REDACTED",
    "SECRET_FIELDS",
    "AsyncPlugin",
    "CallTrapped",
    "MailFailure",
    "OAuthError",
    "Plugin",
    "PluginError",
    "SaslError",
    "WitRecord",
]
