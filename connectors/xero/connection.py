"""The "xero" connection kind: OAuth 2.0 consent with PKCE, tenants, shared limits, test."""

from __future__ import annotations

from connectors.sdk import (
    AuthorizationStart,
    ConnectionHandle,
    ConnectionKind,
    ConnectionTestResult,
    CredentialError,
    NodeError,
)
from connectors.sdk.connections import TIMEOUT_SETTING
from connectors.sdk.throttle import BreakerPolicy, Limit
from connectors.xero import tokens
from connectors.xero.urls import xero_urls


class XeroConnection(ConnectionKind):
    kind = "xero"
    title = "Xero"
    auth = "oauth2"
    default_base_url = "https://api.xero.com"
    sandbox_path = "/sandbox/xero"
    secret_fields = {
        "client_id": {"type": "string", "title": "Client ID (from the Xero developer portal)"},
        "client_secret": {"type": "string", "title": "Client secret"},
    }
    settings_schema = {
        "type": "object",
        "properties": {
            "tenant_id": {"type": "string", "title": "Organisation", "description": "Chosen after Connect."},
            "timeout_seconds": TIMEOUT_SETTING,
        },
    }
    #: Xero's published limits per organisation: 60 calls a minute, 5,000 a day, 5 at once.
    rate_limits = (Limit("minute", 60, 60.0), Limit("day", 5000, 86_400.0))
    concurrency = 5
    breaker = BreakerPolicy(threshold=5, window=60.0, cooldown=30.0)

    def start_authorization(self, connection: ConnectionHandle, redirect_uri: str, state: str) -> AuthorizationStart:
        url, verifier = tokens.authorization_url(connection, redirect_uri, state)
        return AuthorizationStart(url=url, verifier=verifier)

    def complete_authorization(self, connection: ConnectionHandle, redirect_uri: str, code: str, verifier: str) -> None:
        import requests

        tokens.exchange_code(connection, redirect_uri, code, verifier)
        response = requests.get(
            xero_urls(connection.base_url).connections,
            headers={"Authorization": f"Bearer {connection.secret('access_token')}", "Accept": "application/json"},
            timeout=tokens.TIMEOUT,
        )
        if response.status_code != 200:
            raise CredentialError("Xero did not list the connected organisations", code="xero.connections")
        tenants = [
            {"tenant_id": t["tenantId"], "name": t.get("tenantName", "")}
            for t in response.json()
            if t.get("tenantType") == "ORGANISATION"
        ]
        chosen = tenants[0] if len(tenants) == 1 else None
        connection.update_settings(
            tenants=tenants,
            **({"tenant_id": chosen["tenant_id"], "tenant_name": chosen["name"]} if chosen else {}),
        )

    def test(self, connection: ConnectionHandle) -> ConnectionTestResult:
        from connectors.xero.client import XeroClient

        try:
            organisations = XeroClient(connection).call("GET", "/Organisation").get("Organisations") or [{}]
        except NodeError as exc:
            return ConnectionTestResult(ok=False, message=exc.message)
        return ConnectionTestResult(ok=True, message=f"connected to {organisations[0].get('Name', 'the organisation')}")
