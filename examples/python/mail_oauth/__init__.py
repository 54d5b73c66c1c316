"""mail-oauth host kit for Python (wasmtime-py): the component's every
export by WIT name, real HTTP and TLS sockets under a deny-by-default egress
policy, a fresh instance per call."""

from .plugin import AsyncPlugin, CallTrapped, MailFailure, OAuthError, Plugin, PluginError, SaslError
from .policy import Denied, Limits, Policy, classify
from .values import WitRecord, WitVariant

__all__ = [
    "AsyncPlugin",
    "CallTrapped",
    "Denied",
    "Limits",
    "MailFailure",
    "OAuthError",
    "Plugin",
    "PluginError",
    "Policy",
    "SaslError",
    "WitRecord",
    "WitVariant",
    "classify",
]
