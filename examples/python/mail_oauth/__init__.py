"""mail-oauth host kit for Python (wasmtime-py)."""

from .plugin import MailFailure, OAuthError, Plugin, PluginError, SaslError
from .policy import Denied, Policy, classify

__all__ = ["Denied", "MailFailure", "OAuthError", "Plugin", "PluginError", "Policy",
           "SaslError", "classify"]
