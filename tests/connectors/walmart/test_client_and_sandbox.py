"""The Walmart client against the local sandbox: conformance, tokens, pages, errors, rules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from connectors.sdk import CredentialError, PermanentError, RateLimitedError, TransientError
from connectors.sdk.openapi import OpenApiSpec, specs_dir
from connectors.sdk.testing import FakeConnection, FakeContext
from connectors.walmart import client as client_module
from connectors.walmart.client import WalmartClient
from connectors.walmart.nodes.orders_poll import NewOrChangedOrders
from connectors.walmart.sandbox.control import add_orders
from connectors.walmart.sandbox.seed import seed_orders
from connectors.walmart.sandbox.store import CLIENT_ID, CLIENT_SECRET, STORE, Faults

WM_HEADERS = ("WM_QOS.CORRELATION_ID", "WM_SVC.NAME")
#: Operations whose documented request schema is wrong (it points at RefundLinesType); see apis.md.
WRONG_REQUEST_SCHEMAS = {"/v3/orders/{purchaseOrderId}/shipping"}


def keys_within(value: Any, example: Any) -> bool:
    """Every field of ``value`` also appears, at the same place, in ``example``."""
    if isinstance(value, dict) and isinstance(example, dict):
        return all(key in example and keys_within(item, example[key]) for key, item in value.items())
    if isinstance(value, list) and isinstance(example, list) and example:
        return all(keys_within(item, example[0]) for item in value)
    return True


@pytest.fixture
def sandbox(live_server: Any, keep_underscore_headers: None) -> Iterator[str]:
    STORE.reset()
    add_orders(seed_orders(25, seed=7))
    yield f"{live_server.url}/sandbox/walmart"
    STORE.reset()


@pytest.fixture
def connection(sandbox: str) -> FakeConnection:
    return FakeConnection(
        kind="walmart", base_url=sandbox, secrets={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> list[requests.Response]:
    """Every response the client receives (with its request)."""
    seen: list[requests.Response] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response))
    monkeypatch.setattr(client_module, "_session", session)
    return seen


def test_every_request_matches_walmarts_documents(connection: FakeConnection, traffic: list[requests.Response]) -> None:
    folder = specs_dir()
    if folder is None:
        pytest.skip("the official specifications are not at LEDGERLINE_SPECS_DIR (../shared/specs)")
    client = WalmartClient(connection)
    first = next(iter(client.orders({"limit": "5"})))
    po = first["purchaseOrderId"]
    client.order(po)
    client.acknowledge(po)
    open_line = first["orderLines"]["orderLine"][0]
    tracking = {"shipDateTime": 1, "carrierName": {"carrier": "UPS"}, "methodCode": "Standard", "trackingNumber": "1Z"}
    line = {
        "lineNumber": open_line["lineNumber"],
        "orderLineStatuses": {
            "orderLineStatus": [
                {"status": "Shipped", "statusQuantity": open_line["orderLineQuantity"], "trackingInfo": tracking}
            ]
        },
    }
    client.ship(po, [line])
    client.update_inventory("MUG-01", 7)

    documents = {
        "/v3/token": "auth.json",
        "/v3/inventory": "inventory.json",
    }
    assert len(traffic) >= 6
    for response in traffic:
        request = response.request
        path = urlsplit(request.url).path.split("/sandbox/walmart", 1)[1]
        spec = OpenApiSpec.load(Path(folder) / "walmart" / documents.get(path, "orders.json"))
        query = dict(parse_qsl(urlsplit(request.url).query))
        body = None
        if request.body and request.headers.get("Content-Type") == "application/json":
            import json

            body = json.loads(request.body)
        operation = spec.operation(request.method or "GET", path)
        assert operation is not None, f"{request.method} {path} is not in Walmart's documents"
        if operation.template in WRONG_REQUEST_SCHEMAS:
            # The documented schema refuses Walmart's own example; check against the example instead.
            example = operation.spec["requestBody"]["content"]["application/json"]["example"]
            assert (
                spec.check_request(
                    request.method or "GET",
                    path,
                    headers=dict(request.headers),
                    query=query,
                    body=example,
                    extra_required_headers=WM_HEADERS,
                )
                != []
            )
            assert keys_within(body, example), f"{path}: {body} has fields Walmart's example does not"
            body = None
        problems = spec.check_request(
            request.method or "GET",
            path,
            headers=dict(request.headers),
            query=query,
            body=body,
            extra_required_headers=WM_HEADERS,
        )
        assert problems == [], f"{request.method} {path}: {problems}"
        if path in {"/v3/token", "/v3/inventory"}:
            assert spec.check_response(request.method or "GET", path, response.status_code, response.json()) == []


def test_order_shapes_follow_the_specs_examples(connection: FakeConnection) -> None:
    folder = specs_dir()
    if folder is None:
        pytest.skip("the official specifications are not at LEDGERLINE_SPECS_DIR (../shared/specs)")
    spec = OpenApiSpec.load(Path(folder) / "walmart" / "orders.json")
    example = spec.document["paths"]["/v3/orders"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    known_order_keys = set().union(*(order.keys() for order in example["list"]["elements"]["order"]))
    known_line_keys = set().union(
        *(line.keys() for order in example["list"]["elements"]["order"] for line in order["orderLines"]["orderLine"])
    )
    for order in WalmartClient(connection).orders({"limit": "25"}):
        assert set(order) <= known_order_keys | {"shippingInfo"}
        for line in order["orderLines"]["orderLine"]:
            assert set(line) <= known_line_keys | {"refund"}


def test_one_token_for_many_calls(connection: FakeConnection) -> None:
    client = WalmartClient(connection)
    for _ in range(3):
        client.orders_page({"limit": "1"})
    assert STORE.calls["POST token"] == 1
    assert connection.secret("access_token")


def test_pages_follow_next_cursor(connection: FakeConnection) -> None:
    orders = list(WalmartClient(connection).orders({"limit": "10"}))
    assert len(orders) == 25 and len({o["purchaseOrderId"] for o in orders}) == 25
    assert STORE.calls["GET orders"] == 3


def test_amounts_are_decimal(connection: FakeConnection) -> None:
    from decimal import Decimal

    order = next(iter(WalmartClient(connection).orders({"limit": "1"})))
    amount = order["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"]["amount"]
    assert isinstance(amount, Decimal)


def poll_all(connection: FakeConnection, cursor: dict[str, Any] | None) -> tuple[list[str], dict[str, Any]]:
    """Poll until the source says no more, each time with a new node instance (a restart)."""
    keys: list[str] = []
    while True:
        result = NewOrChangedOrders().poll(FakeContext(config={"page_size": 10}, connection_handle=connection), cursor)
        keys += [event.key for event in result.events]
        cursor = dict(result.cursor)
        if not result.more:
            return keys, cursor


def test_polling_never_misses_a_change_across_restarts(connection: FakeConnection) -> None:
    first, cursor = poll_all(connection, None)
    assert len(set(first)) == 25
    client = WalmartClient(connection)
    changed = [o["purchaseOrderId"] for o in list(client.orders({"status": "Created", "limit": "2"}))[:2]]
    for po in changed:
        client.acknowledge(po)
    add_orders(seed_orders(3, seed=99, start=1000))
    second, _ = poll_all(connection, cursor)
    new_keys = set(second) - set(first)
    assert {key.split(":")[0] for key in new_keys} == set(changed) | {
        str(1_800_000_000_000 + n) for n in range(1000, 1003)
    }
    assert len(new_keys) == 5


def test_a_refund_on_an_order_already_seen_is_a_new_event(connection: FakeConnection) -> None:
    """A refund changes no date Walmart reports on the order; the event key still changes."""
    first, cursor = poll_all(connection, None)
    po = first[0].split(":")[0]
    order = WalmartClient(connection).order(po)
    line = order["orderLines"]["orderLine"][0]
    charge = line["charges"]["charge"][0]
    amount = {"currency": charge["chargeAmount"]["currency"], "amount": -1}
    refund_charge = {
        "refundReason": "DamagedItem",
        "charge": {"chargeType": "PRODUCT", "chargeName": "ItemPrice", "chargeAmount": amount, "tax": None},
    }
    body = {
        "orderRefund": {
            "purchaseOrderId": po,
            "orderLines": {
                "orderLine": [
                    {
                        "lineNumber": line["lineNumber"],
                        "isFullRefund": False,
                        "refunds": {
                            "refund": [{"refundComments": "dented", "refundCharges": {"refundCharge": [refund_charge]}}]
                        },
                    }
                ]
            },
        }
    }
    WalmartClient(connection).call("POST", f"/v3/orders/{po}/refund", body=body)
    second, _ = poll_all(connection, cursor)
    refunded = [key for key in second if key.startswith(f"{po}:") and key not in first]
    assert len(refunded) == 1 and ":r" in refunded[0]
    third, _ = poll_all(connection, cursor)  # polling again: the same state, the same key
    assert [key for key in third if key.startswith(f"{po}:")] == [key for key in second if key.startswith(f"{po}:")]


@pytest.mark.parametrize(
    ("faults", "error", "code"),
    [
        pytest.param({"rate_limit_storm": True}, RateLimitedError, "walmart.throttled", id="throttled"),
        pytest.param({"error_rate": 1.0}, TransientError, None, id="server_errors"),
        pytest.param({"malformed_rate": 1.0}, TransientError, "walmart.malformed", id="malformed_body"),
    ],
)
def test_failures_are_classified(
    connection: FakeConnection, faults: dict[str, Any], error: type[Exception], code: str | None
) -> None:
    client = WalmartClient(connection)
    client.access_token()
    STORE.faults = Faults(**faults)
    with pytest.raises(error) as caught:
        client.orders_page({"limit": "1"})
    if code:
        assert caught.value.code == code  # type: ignore[attr-defined]
    if error is RateLimitedError:
        assert caught.value.retry_after == 5.0  # type: ignore[attr-defined]
        assert connection.rate_limit_reports[-1] == ("orders.read", 0, 5.0)


def test_a_refused_token_is_renewed_once_then_a_credential_error(connection: FakeConnection) -> None:
    client = WalmartClient(connection)
    client.access_token()
    STORE.faults = Faults(expire_tokens=True)
    with pytest.raises(CredentialError):
        client.orders_page({"limit": "1"})
    assert STORE.calls["POST token"] == 2
    assert connection.status == "needs_reauth"


def test_wrong_credentials(sandbox: str) -> None:
    bad = FakeConnection(kind="walmart", base_url=sandbox, secrets={"client_id": CLIENT_ID, "client_secret": "nope"})
    with pytest.raises(CredentialError, match="refused the client id"):
        WalmartClient(bad).access_token()


def test_validation_errors_carry_walmarts_details(connection: FakeConnection) -> None:
    client = WalmartClient(connection)
    po = next(iter(client.orders({"limit": "1"})))["purchaseOrderId"]
    with pytest.raises(PermanentError) as caught:
        client.ship(
            po,
            [
                {
                    "lineNumber": "1",
                    "orderLineStatuses": {"orderLineStatus": [{"status": "Shipped", "trackingInfo": {}}]},
                }
            ],
        )
    assert caught.value.details == [
        {
            "code": "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
            "field": "trackingNumber",
            "description": "line 1 has no tracking number",
        }
    ]
    with pytest.raises(PermanentError, match="not found"):
        client.order("404404")


def test_line_transitions_are_enforced(connection: FakeConnection) -> None:
    client = WalmartClient(connection)
    po = next(iter(client.orders({"status": "Created", "limit": "1"})))["purchaseOrderId"]
    client.cancel(
        po,
        [
            {
                "lineNumber": "1",
                "orderLineStatuses": {
                    "orderLineStatus": [{"status": "Cancelled", "cancellationReason": "SELLER_CANCEL_OUT_OF_STOCK"}]
                },
            }
        ],
    )
    tracking = {"trackingNumber": "1Z", "carrierName": {"carrier": "UPS"}}
    with pytest.raises(PermanentError, match="is Cancelled and cannot become Shipped"):
        client.ship(
            po,
            [
                {
                    "lineNumber": "1",
                    "orderLineStatuses": {"orderLineStatus": [{"status": "Shipped", "trackingInfo": tracking}]},
                }
            ],
        )
    assert client.acknowledge(po)["purchaseOrderId"] == po  # acknowledging the rest is fine, and repeatable
    assert client.acknowledge(po)["purchaseOrderId"] == po


def test_sandbox_requires_walmart_headers_and_reports_its_budget(sandbox: str) -> None:
    missing = requests.get(f"{sandbox}/v3/orders", timeout=5)
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["code"] == "INVALID_REQUEST_HEADER.GMP_GATEWAY_API"
    requests.post(f"{sandbox}/_control/limits", json={"orders.read": 2}, timeout=5)
    client = WalmartClient(
        FakeConnection(
            kind="walmart", base_url=sandbox, secrets={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        )
    )
    client.orders_page({"limit": "1"})
    assert client.last_rate_limit["remaining"] == 1
    client.orders_page({"limit": "1"})
    with pytest.raises(RateLimitedError):
        client.orders_page({"limit": "1"})
    assert requests.get(f"{sandbox}/_control/stats", timeout=5).json()["violations"] == 1


def test_many_workers_share_one_token(connection: FakeConnection) -> None:
    lock = threading.Lock()

    class Locked(FakeConnection):
        def locked(self) -> Any:
            from contextlib import contextmanager

            @contextmanager
            def hold() -> Iterator[FakeConnection]:
                with lock:
                    yield self

            return hold()

    shared = Locked(kind="walmart", base_url=connection.base_url, secrets=dict(connection.secrets))
    threads = [threading.Thread(target=lambda: WalmartClient(shared).orders_page({"limit": "1"})) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert STORE.calls["POST token"] == 1
