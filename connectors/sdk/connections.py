"""Connection kinds: how each remote system authenticates and is tested.

A connector declares one :class:`ConnectionKind` per remote system. The
designer uses it to show the connection form (``settings_schema`` and
``secret_fields``), to run the OAuth consent flow, and to test a connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.sdk.context import ConnectionHandle
from connectors.sdk.throttle import BreakerPolicy, Limit

#: The per-connection setting that shortens (or lengthens) the read timeout of its calls.
TIMEOUT_SETTING: dict[str, Any] = {
    "type": "number",
    "title": "Read timeout (s)",
    "description": "How long a call may wait for the remote's answer before it is retried.",
    "minimum": 0.1,
    "maximum": 300,
    "default": 30,
}


def read_timeout(connection: ConnectionHandle, default: tuple[float, float]) -> tuple[float, float]:
    """``(connect, read)`` timeouts of a call: ``default`` with the connection's ``timeout_seconds``, if set."""
    value: Any = connection.settings.get("timeout_seconds")
    try:
        read = float(value) if value not in (None, "") else default[1]
    except (TypeError, ValueError):
        read = default[1]
    return default[0], max(0.1, read)


@dataclass(frozen=True)
class ConnectionTestResult:
    """Outcome of "test connection": ``ok`` and a sentence for people."""

    ok: bool
    message: str
    details: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the browser for consent, and what to remember until the callback."""

    url: str
    #: Saved server-side (never sent to the browser) until the callback, e.g. the PKCE verifier.
    verifier: str


class ConnectionKind:
    """Base class of a remote system's connection kind."""

    #: Stable id, also the ``connection_kind`` of node types (``"xero"``).
    kind: ClassVar[str]
    title: ClassVar[str]
    #: ``"oauth2"`` (consent flow), ``"client_credentials"``, ``"password"`` or ``"none"``.
    auth: ClassVar[str] = "none"
    #: The production base URL.
    default_base_url: ClassVar[str] = ""
    #: Path of the local sandbox under this server (``"/sandbox/xero"``), if there is one.
    sandbox_path: ClassVar[str] = ""
    #: JSON Schema properties of the secret fields (write-only in the API).
    secret_fields: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    #: JSON Schema of the non-secret settings (tenant id, seller id ...).
    settings_schema: ClassVar[Mapping[str, Any]] = {"type": "object", "properties": {}}
    #: The remote's published limits, shared by every worker. A connection's
    #: ``settings["rate_limits"] = {"minute": 600}`` overrides a limit by name.
    rate_limits: ClassVar[tuple[Limit, ...]] = ()
    #: Calls in flight at once per connection (None: no limit).
    concurrency: ClassVar[int | None] = None
    breaker: ClassVar[BreakerPolicy] = BreakerPolicy()

    def test(self, connection: ConnectionHandle) -> ConnectionTestResult:
        """Make one cheap authenticated call and say whether it worked."""
        return ConnectionTestResult(ok=True, message="nothing to test for this kind")

    def start_authorization(self, connection: ConnectionHandle, redirect_uri: str, state: str) -> AuthorizationStart:
        """Begin an OAuth consent flow (``auth == "oauth2"`` only)."""
        raise NotImplementedError(f"{self.kind} connections do not use a consent flow")

    def complete_authorization(self, connection: ConnectionHandle, redirect_uri: str, code: str, verifier: str) -> None:
        """Exchange the callback's code for tokens and store them on the connection."""
        raise NotImplementedError(f"{self.kind} connections do not use a consent flow")

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "kind": cls.kind,
            "title": cls.title,
            "auth": cls.auth,
            "default_base_url": cls.default_base_url,
            "sandbox_path": cls.sandbox_path,
            "secret_fields": cls.secret_fields,
            "settings_schema": cls.settings_schema,
            "rate_limits": [{"name": r.name, "limit": r.limit, "period": r.period} for r in cls.rate_limits],
            "concurrency": cls.concurrency,
        }
