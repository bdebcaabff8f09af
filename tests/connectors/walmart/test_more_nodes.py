"""Cancel, refund, inventory and order notifications on the Walmart sandbox."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest

from connectors.sdk import WebhookRejected, WebhookRequest
from connectors.sdk.signatures import sign
from connectors.sdk.testing import FakeConnection, FakeContext
from connectors.walmart.client import WalmartClient
from connectors.walmart.nodes.cancel_lines import CancelOrderLines
from connectors.walmart.nodes.get_inventory import GetInventory
from connectors.walmart.nodes.order_webhook import OrderWebhook
from connectors.walmart.nodes.refund_lines import RefundOrderLines
from connectors.walmart.nodes.update_inventory import UpdateInventory
from tests.connectors.walmart.test_client_and_sandbox import connection, sandbox  # noqa: F401


def first_open(connection: FakeConnection) -> dict[str, Any]:  # noqa: F811
    return next(iter(WalmartClient(connection).orders({"status": "Created", "limit": "1"})))


def test_cancel_open_lines_and_repeat_harmlessly(connection: FakeConnection) -> None:  # noqa: F811
    order = first_open(connection)
    context = FakeContext(connection_handle=connection, config={"reason": "SELLER_CANCEL_OUT_OF_STOCK"})
    cancelled = CancelOrderLines().execute(context, {"purchaseOrderId": order["purchaseOrderId"]})
    statuses = {
        line["orderLineStatuses"]["orderLineStatus"][-1]["status"] for line in cancelled["orderLines"]["orderLine"]
    }
    assert statuses == {"Cancelled"}
    CancelOrderLines().execute(context, {"purchaseOrderId": order["purchaseOrderId"]})
    assert context.logs == [("no open lines to cancel", {})]


def test_refunds_are_sent_negative_and_once(connection: FakeConnection) -> None:  # noqa: F811
    order = first_open(connection)
    context = FakeContext(connection_handle=connection)
    item = {
        "purchaseOrderId": order["purchaseOrderId"],
        "lines": [{"lineNumber": "1", "amount": "5.00", "tax": "0.40"}],
    }
    refunded = RefundOrderLines().execute(context, item)
    charge = refunded["orderLines"]["orderLine"][0]["refund"]["refundCharges"]["refundCharge"][0]["charge"]
    assert charge["chargeAmount"]["amount"] == Decimal("-5.0") and charge["tax"]["taxAmount"]["amount"] == Decimal(
        "-0.4"
    )
    again = RefundOrderLines().execute(context, item)
    assert again == refunded


def test_inventory_with_a_safety_buffer(connection: FakeConnection) -> None:  # noqa: F811
    UpdateInventory().execute(
        FakeContext(connection_handle=connection, config={"safety_stock": 5}), {"sku": "MUG-01", "quantity": "12"}
    )
    assert (
        GetInventory().execute(FakeContext(connection_handle=connection), {"sku": "MUG-01"})["quantity"]["amount"] == 7
    )
    UpdateInventory().execute(
        FakeContext(connection_handle=connection, config={"safety_stock": 50}), {"sku": "MUG-01", "quantity": 12}
    )
    assert (
        GetInventory().execute(FakeContext(connection_handle=connection), {"sku": "MUG-01"})["quantity"]["amount"] == 0
    )


NOTIFICATION = {
    "source": {"eventType": "PO_CREATED", "eventTime": "2026-11-23T10:00:00Z", "eventId": "evt-1"},
    "payload": {"purchaseOrderId": "1800000000001"},
}


def delivery(headers: dict[str, str], body: Any = NOTIFICATION) -> WebhookRequest:
    return WebhookRequest(method="POST", headers=headers, query={}, body=json.dumps(body).encode())


def test_notifications_are_authenticated_and_keyed_by_event_id() -> None:
    raw = json.dumps(NOTIFICATION).encode()
    hook = OrderWebhook()
    [event] = hook.receive(
        {"auth": "HMAC", "_secret": "s"}, delivery({"Authorization": sign("s", raw, encoding="base64")})
    )
    assert (event.key, event.payload["purchaseOrderId"], event.payload["eventType"]) == (
        "evt-1",
        "1800000000001",
        "PO_CREATED",
    )
    with pytest.raises(WebhookRejected):
        hook.receive({"auth": "HMAC", "_secret": "s"}, delivery({"Authorization": sign("other", raw)}))
    basic = "Basic " + base64.b64encode(b"walmart:s").decode()
    assert (
        len(
            hook.receive(
                {"auth": "BASIC_AUTH", "username": "walmart", "_secret": "s"}, delivery({"Authorization": basic})
            )
        )
        == 1
    )
    assert hook.receive({"auth": "NONE", "events": ["ORDER_UPDATES"]}, delivery({})) == []
    with pytest.raises(WebhookRejected):
        hook.receive({"auth": "NONE"}, delivery({}, body={"nope": 1}))
