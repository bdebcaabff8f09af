"""The issue's scenario in Chromium: clone the order-to-invoice template from the gallery, add and
connect a node by dragging from the palette, fill its form, save, see a field's validation error,
run with a sample order and watch every node turn green live, open a node's output, and find the
run on the runs page. Plus: a node type registered by a Django app is in the palette with its form."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Page, expect

from connectors.walmart.sandbox.seed import seed_orders

TEMPLATE = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/templates/walmart-order-to-xero-invoice.json").read_text()
)
TEMPLATE_NODES = [node["id"] for node in TEMPLATE["document"]["nodes"]]
RUN_TIMEOUT_MS = 60_000


def node_ids(page: Page) -> set[str]:
    return {
        testid.removeprefix("node-")
        for testid in page.locator(".react-flow__node [data-testid^='node-']").evaluate_all(
            "els => els.map(e => e.dataset.testid)"
        )
        if not testid.startswith("node-error-")
    }


def clone_template(page: Page) -> None:
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("button", name=f"Use template {TEMPLATE['name']}", exact=True).click()
    expect(page).to_have_url(re.compile(r"/workflows/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("palette")).to_be_visible()
    for node in TEMPLATE_NODES:
        expect(page.get_by_test_id(f"node-{node}")).to_be_visible()


def drag_from_palette(page: Page, type_id: str, below: str) -> str:
    """Drop a palette item on the canvas just below node ``below``; the id of the node it made."""
    before = node_ids(page)
    page.get_by_label("Search node types").fill(type_id)
    item = page.get_by_test_id(f"palette-item-{type_id}")
    pane = page.locator(".react-flow__pane")
    box, anchor = pane.bounding_box(), page.get_by_test_id(f"node-{below}").bounding_box()
    assert box is not None and anchor is not None
    target = {"x": anchor["x"] - box["x"], "y": anchor["y"] - box["y"] + 3 * anchor["height"] + 20}
    item.drag_to(pane, target_position=target)
    expect(page.locator(".react-flow__node")).to_have_count(len(before) + 1)
    (added,) = node_ids(page) - before
    return added


def zoom_to(page: Page, node: str) -> None:
    """Zoom the canvas in around ``node`` (the mouse wheel), so its ports are big enough to grab."""
    box = page.get_by_test_id(f"node-{node}").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * 2)
    for _ in range(8):
        page.mouse.wheel(0, -300)
    expect(page.get_by_test_id(f"node-{node}")).to_be_in_viewport()


def connect(page: Page, source: str, target: str) -> None:
    """Drag from the source node's output handle to the target node's input handle."""
    edges = page.locator(".react-flow__edge").count()
    zoom_to(page, source)
    start = page.get_by_test_id(f"node-{source}").locator("xpath=ancestor::div[contains(@class,'react-flow__node')]")
    end = page.get_by_test_id(f"node-{target}").locator("xpath=ancestor::div[contains(@class,'react-flow__node')]")
    out_box = start.locator(".react-flow__handle.source").first.bounding_box()
    in_box = end.locator(".react-flow__handle.target").first.bounding_box()
    assert out_box is not None and in_box is not None
    page.mouse.move(out_box["x"] + out_box["width"] / 2, out_box["y"] + out_box["height"] / 2)
    page.mouse.down()
    page.mouse.move(in_box["x"] + in_box["width"] / 2, in_box["y"] + in_box["height"] / 2, steps=12)
    page.mouse.up()
    expect(page.locator(".react-flow__edge")).to_have_count(edges + 1)


def save(page: Page, message: str) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_label("Version message").fill(message)
    page.get_by_role("button", name="Save version").click()


def sample_order(live_app: str) -> dict[str, Any]:
    """A fresh order in the Walmart sandbox (so acknowledging it works), used as the sample input."""
    (order,) = seed_orders(1, seed=4242, start=900)
    order["purchaseOrderId"] = f"E2E-{order['purchaseOrderId']}"
    created = requests.post(f"{live_app}/sandbox/walmart/_control/orders", json=order, timeout=10)
    assert created.status_code == 201, created.text
    return order


def test_clone_edit_save_run_and_inspect_the_order_to_invoice_template(
    browser_page: Page, live_app: str, artifacts_dir: Path
) -> None:
    page = browser_page
    clone_template(page)

    # Add a node from the palette and wire it after the acknowledgement.
    added = drag_from_palette(page, "builtin.debug", below="ack")
    connect(page, "ack", added)

    # Fill its form.
    page.get_by_test_id(f"node-{added}").click()
    panel = page.get_by_test_id("config-panel")
    panel.locator("[name='config.label']").fill("acknowledged")
    save(page, "Log acknowledged orders")
    expect(page.get_by_text(re.compile(r"Saved version 2"))).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "editor.png"))

    # A bad field: the server's validation error shows on the field (and nothing is saved).
    page.get_by_test_id("node-orders").click()
    page_size = panel.locator("[name='config.page_size']")
    page_size.fill("5000")
    save(page, "Too many per page")
    expect(page.get_by_test_id("field-error-config.page_size")).to_be_visible()
    page.keyboard.press("Escape")
    page_size.fill("50")
    save(page, "Fifty per page")
    expect(page.get_by_text(re.compile(r"Saved version 3"))).to_be_visible()
    expect(page.get_by_test_id("field-error-config.page_size")).to_have_count(0)

    # Run with a sample order: every node lights up green, live over the websocket.
    order = sample_order(live_app)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_label("Sample input").fill(json.dumps(order))
    page.get_by_role("button", name="Start run").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("succeeded", timeout=RUN_TIMEOUT_MS)
    for node in [*TEMPLATE_NODES, added]:
        expect(page.get_by_test_id(f"node-{node}")).to_have_attribute("data-status", "succeeded")
    page.screenshot(path=str(artifacts_dir / "live-run.png"))

    # A node's output: the invoice Xero created for the order.
    page.get_by_test_id("node-invoice").click()
    output = page.get_by_test_id("node-run-panel").get_by_test_id("node-output")
    expect(output).to_contain_text(order["purchaseOrderId"])

    # The run on the runs page, then its detail.
    page.get_by_role("link", name="Runs", exact=True).click()
    first = page.get_by_role("table", name="Runs").locator("tbody tr").first
    expect(first).to_contain_text("succeeded")
    page.screenshot(path=str(artifacts_dir / "runs-page.png"))
    first.get_by_role("link").first.click()
    expect(page.get_by_test_id("run-detail-status")).to_contain_text("succeeded")
    expect(page.get_by_test_id("timeline-invoice")).to_be_visible()
    page.get_by_test_id("output-invoice").locator("summary").click()
    expect(page.get_by_test_id("output-invoice")).to_contain_text(order["purchaseOrderId"])


def test_a_node_type_registered_by_a_django_app_is_in_the_palette_with_its_form(
    browser_page: Page, api_session: requests.Session, live_app: str
) -> None:
    """tests.support.nodes_app (LEDGERLINE_EXTRA_APPS) registers test.gate; the web app knows nothing of it."""
    page = browser_page
    created = api_session.post(f"{live_app}/api/workflows/", json={"name": "Extra node types"}, timeout=10)
    assert created.status_code == 201, created.text
    page.goto(f"/workflows/{created.json()['id']}")
    page.get_by_label("Search node types").fill("gate")
    item = page.get_by_test_id("palette-item-test.gate")
    expect(item).to_be_visible()
    item.press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    page.locator(".react-flow__node").first.click()
    panel = page.get_by_test_id("config-panel")
    for field in ("open_file", "started_file", "timeout"):
        expect(panel.locator(f"[name='config.{field}']")).to_be_visible()
    panel.locator("[name='config.open_file']").fill("/tmp/gate-open")
    expect(panel.locator("[name='config.open_file']")).to_have_value("/tmp/gate-open")
