"""The "walmart" connection kind: client-credentials tokens, tested with one orders call."""

from __future__ import annotations

from connectors.sdk import ConnectionHandle, ConnectionKind, ConnectionTestResult, NodeError
from connectors.sdk.connections import TIMEOUT_SETTING
from connectors.sdk.throttle import BreakerPolicy


class WalmartConnection(ConnectionKind):
    kind = "walmart"
    title = "Walmart Marketplace"
    auth = "client_credentials"
    default_base_url = "https://marketplace.walmartapis.com"
    sandbox_path = "/sandbox/walmart"
    secret_fields = {
        "client_id": {"type": "string", "title": "Client ID"},
        "client_secret": {"type": "string", "title": "Client secret"},
    }
    settings_schema = {
        "type": "object",
        "properties": {
            "svc_name": {"type": "string", "title": "Service name (WM_SVC.NAME)", "default": "Walmart Marketplace"},
            "channel_type": {
                "type": "string",
                "title": "Channel type (WM_CONSUMER.CHANNEL.TYPE)",
                "description": "From onboarding, if Walmart gave you one.",
            },
            "timeout_seconds": TIMEOUT_SETTING,
        },
    }
    # Walmart publishes no exact per-seller numbers; the real budget comes from its headers.
    breaker = BreakerPolicy(threshold=5, window=60.0, cooldown=30.0)

    def test(self, connection: ConnectionHandle) -> ConnectionTestResult:
        from connectors.walmart.client import WalmartClient

        try:
            page = WalmartClient(connection).orders_page({"limit": "1"})
        except NodeError as exc:
            return ConnectionTestResult(ok=False, message=exc.message)
        return ConnectionTestResult(
            ok=True, message=f"connected; {page['meta'].get('totalCount', 0)} recent orders visible"
        )
