"""Returns, prices and bulk feeds: sandbox rules, nodes, and conformance with Walmart's documents."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests

from connectors.sdk import PermanentError, TransientError
from connectors.sdk.openapi import OpenApiSpec, specs_dir
from connectors.sdk.testing import FakeConnection, FakeContext
from connectors.walmart.client import WalmartClient
from connectors.walmart.nodes.bulk_inventory import BulkUpdateInventory
from connectors.walmart.nodes.returns_poll import ReturnsChanged
from connectors.walmart.nodes.update_price import UpdatePrice
from connectors.walmart.sandbox.control import seed_store
from connectors.walmart.sandbox.returns import complete_return
from connectors.walmart.sandbox.store import STORE
from tests.connectors.walmart.test_client_and_sandbox import (  # noqa: F401  (fixtures)
    WM_HEADERS,
    connection,
    sandbox,
    traffic,
)

#: Which of Walmart's documents describes each operation the client uses.
DOCUMENTS = {
    ("POST", "/v3/token"): "auth.json",
    ("GET", "/v3/returns"): "returns.json",
    ("PUT", "/v3/price"): "price.json",
    ("POST", "/v3/feeds"): "inventory.json",
    ("GET", "/v3/feeds/{feedId}"): "feeds.json",
    ("GET", "/v3/inventory"): "inventory.json",
    ("PUT", "/v3/inventory"): "inventory.json",
}


@pytest.fixture
def returns(sandbox: str) -> list[str]:  # noqa: F811
    """The sandbox with returns for a good share of its orders."""
    STORE.reset()
    seed_store(40, seed=3, returns_share=0.5)
    return sorted(STORE.returns)


def test_returns_are_listed_across_pages_with_filters(connection: FakeConnection, returns: list[str]) -> None:  # noqa: F811
    client = WalmartClient(connection)
    listed = list(client.returns({"limit": "5"}))
    assert sorted(r["returnOrderId"] for r in listed) == returns
    assert STORE.calls["GET returns"] == -(-len(returns) // 5)  # one call per page
    completed = list(client.returns({"status": "COMPLETED", "limit": "200"}))
    assert completed and all(line["status"] == "COMPLETED" for r in completed for line in r["returnOrderLines"])
    amount = listed[0]["totalRefundAmount"]["currencyAmount"]
    assert isinstance(amount, Decimal)
    bad = requests.get(
        f"{connection.base_url}/v3/returns?returnCreationStartDate=yesterday",
        headers={"WM_SEC.ACCESS_TOKEN": client.access_token(), "WM_QOS.CORRELATION_ID": "1", "WM_SVC.NAME": "t"},
        timeout=5,
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "INVALID_REQUEST_PARAM.GMP_RETURNS_API"


def poll_returns(connection: FakeConnection, cursor: dict[str, Any] | None) -> tuple[list[str], dict[str, Any]]:  # noqa: F811
    """Poll until no more, with a fresh node every page (as after a restart)."""
    keys: list[str] = []
    while True:
        context = FakeContext(config={"page_size": 4}, connection_handle=connection)
        result = ReturnsChanged().poll(context, cursor)
        keys += [event.key for event in result.events]
        cursor = dict(result.cursor)
        if not result.more:
            return keys, cursor


def test_returns_trigger_reports_each_change_once_across_restarts(
    connection: FakeConnection,  # noqa: F811
    returns: list[str],
) -> None:
    first, cursor = poll_returns(connection, None)
    assert sorted(key.split(":")[0] for key in first) == returns
    again, cursor = poll_returns(connection, cursor)
    assert set(again) <= set(first)  # the look-back overlap finds only what was already reported
    initiated = next(r for r in returns if STORE.returns[r]["returnOrderLines"][0]["status"] == "INITIATED")
    complete_return(initiated, int(time.time() * 1000) + 1000)
    later, _ = poll_returns(connection, cursor)
    assert [key.split(":")[0] for key in set(later) - set(first)] == [initiated]


def test_price_updates_are_checked_and_sent_once_per_run(connection: FakeConnection) -> None:  # noqa: F811
    context = FakeContext(connection_handle=connection, config={"price_type": "REDUCED"})
    result = UpdatePrice().execute(context, {"sku": "MUG-01", "price": "11.49"})
    assert result["price"] == "11.49" and "price has been updated" in result["message"]
    assert STORE.prices["MUG-01"] == {"amount": Decimal("11.49"), "currency": "USD", "type": "REDUCED"}
    assert UpdatePrice().execute(context, {"sku": "MUG-01", "price": "11.49"}) == result
    assert STORE.calls["PUT price"] == 1  # the retry found the recorded effect
    with pytest.raises(PermanentError, match="at most two decimals") as caught:
        UpdatePrice().execute(context, {"sku": "MUG-01", "price": "1.999"})
    assert caught.value.field == "input.price"
    with pytest.raises(PermanentError, match="not in this seller's catalogue"):
        UpdatePrice().execute(FakeContext(connection_handle=connection), {"sku": "NOPE-1", "price": "5"})


def test_bulk_inventory_feed_single_node_and_multi_node(connection: FakeConnection) -> None:  # noqa: F811
    context = FakeContext(connection_handle=connection, config={"safety_stock": 2})
    result = BulkUpdateInventory().execute(
        context, {"items": [{"sku": "MUG-01", "quantity": 30}, {"sku": "TEE-02", "quantity": "1"}]}
    )
    assert result["feedType"] == "inventory" and result["feedStatus"] == "PROCESSED"
    assert (STORE.inventory["MUG-01"], STORE.inventory["TEE-02"]) == (28, 0)
    multi = BulkUpdateInventory().execute(
        FakeContext(connection_handle=connection),
        {
            "items": [
                {"sku": "BAG-03", "quantity": 5, "shipNode": "A"},
                {"sku": "BAG-03", "quantity": 7, "shipNode": "B"},
            ]
        },
    )
    assert multi["feedType"] == "MP_INVENTORY" and STORE.inventory["BAG-03"] == 12
    with pytest.raises(PermanentError, match="every item a shipNode"):
        BulkUpdateInventory().execute(
            FakeContext(connection_handle=connection),
            {"items": [{"sku": "BAG-03", "quantity": 5, "shipNode": "A"}, {"sku": "MUG-01", "quantity": 1}]},
        )


def test_a_feed_is_submitted_once_and_checked_until_processed(connection: FakeConnection) -> None:  # noqa: F811
    STORE.feed_processing_ms = 60_000
    context = FakeContext(connection_handle=connection)
    item = {"items": [{"sku": "LAMP-04", "quantity": 9}]}
    with pytest.raises(TransientError, match="still processing") as caught:
        BulkUpdateInventory().execute(context, item)
    assert caught.value.code == "walmart.feed_processing"
    STORE.feed_processing_ms = 0
    for feed in STORE.feeds.values():
        feed["_ready_at"] = 0
    done = BulkUpdateInventory().execute(context, item)  # the retry checks the same feed
    assert done["feedStatus"] == "PROCESSED" and done["itemsSucceeded"] == 1
    assert STORE.calls["POST feeds"] == 1 and len(STORE.feeds) == 1


def test_refused_feed_items_fail_with_their_skus(connection: FakeConnection) -> None:  # noqa: F811
    context = FakeContext(connection_handle=connection)
    with pytest.raises(PermanentError, match="GHOST-9") as caught:
        BulkUpdateInventory().execute(
            context, {"items": [{"sku": "MUG-01", "quantity": 3}, {"sku": "GHOST-9", "quantity": 1}]}
        )
    assert caught.value.details == [{"sku": "GHOST-9", "reason": "sku GHOST-9 is not in this seller's catalogue"}]
    assert STORE.inventory["MUG-01"] == 3  # the good item took effect, as on Walmart


def test_feed_rules(sandbox: str, connection: FakeConnection) -> None:  # noqa: F811
    client = WalmartClient(connection)
    headers = {"WM_SEC.ACCESS_TOKEN": client.access_token(), "WM_QOS.CORRELATION_ID": "1", "WM_SVC.NAME": "t"}
    wrong_type = requests.post(f"{sandbox}/v3/feeds?feedType=items", headers=headers, timeout=5)
    assert wrong_type.status_code == 400 and wrong_type.json()["errors"][0]["field"] == "feedType"
    not_a_feed = requests.post(
        f"{sandbox}/v3/feeds?feedType=inventory", headers=headers, files={"file": ("f.json", b"{}")}, timeout=5
    )
    assert not_a_feed.status_code == 400 and not_a_feed.json()["errors"][0]["field"] == "file"
    missing = requests.get(f"{sandbox}/v3/feeds/NOPE%40X", headers=headers, timeout=5)
    assert missing.status_code == 404


def _document(method: str, path: str, folder: Path) -> OpenApiSpec:
    for (doc_method, template), name in DOCUMENTS.items():
        spec = OpenApiSpec.load(folder / "walmart" / name)
        operation = spec.operation(method, path)
        if doc_method == method and operation is not None and operation.template == template:
            return spec
    raise AssertionError(f"{method} {path} is not mapped to one of Walmart's documents")


def test_returns_price_and_feed_calls_match_walmarts_documents(
    connection: FakeConnection,  # noqa: F811
    returns: list[str],
    traffic: list[requests.Response],  # noqa: F811
) -> None:
    folder = specs_dir()
    if folder is None:
        pytest.skip("the official specifications are not at LEDGERLINE_SPECS_DIR (../shared/specs)")
    client = WalmartClient(connection)
    list(client.returns({"limit": "3", "status": "INITIATED"}))
    client.update_price("MUG-01", Decimal("13.25"))
    feed_id = client.submit_feed("inventory", {"InventoryHeader": {"version": "1.4"}, "Inventory": []})
    client.submit_feed(
        "MP_INVENTORY",
        {
            "inventoryHeader": {"version": "1.5"},
            "inventory": [
                {"sku": "MUG-01", "shipNodes": [{"shipNode": "A", "quantity": {"unit": "EACH", "amount": 1}}]}
            ],
        },
    )
    client.feed_status(feed_id)
    client.inventory("MUG-01")
    seen = {(r.request.method, unquote(urlsplit(r.request.url).path).split("/sandbox/walmart", 1)[1]) for r in traffic}
    assert {m for m, _ in seen} == {"POST", "GET", "PUT"} and len(traffic) >= 7
    for response in traffic:
        request = response.request
        method = request.method or "GET"
        path = unquote(urlsplit(request.url).path).split("/sandbox/walmart", 1)[1]
        spec = _document(method, path, Path(folder))
        body = None
        if request.headers.get("Content-Type") == "application/json" and request.body:
            body = json.loads(request.body)
        if method == "POST" and path == "/v3/feeds":
            assert request.headers["Content-Type"].startswith("multipart/form-data")
            assert b'name="file"' in request.body  # the documented multipart part
        problems = spec.check_request(
            method,
            path,
            headers=dict(request.headers),
            query=dict(parse_qsl(urlsplit(request.url).query)),
            body=body,
            extra_required_headers=WM_HEADERS if path != "/v3/token" else (),
        )
        assert problems == [], f"{method} {path}: {problems}"
        assert response.status_code == 200, response.text
        assert spec.check_response(method, path, 200, response.json()) == [], f"{method} {path} answer"
