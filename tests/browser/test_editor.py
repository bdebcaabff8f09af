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

from connectors.sdk.sandbox_kit import plain
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
    target = {"x": anchor["x"] - box["x"] + anchor["width"] / 2, "y": anchor["y"] - box["y"] + 2 * anchor["height"]}
    item.drag_to(pane, target_position=target)
    expect(page.locator(".react-flow__node")).to_have_count(len(before) + 1)
    (added,) = node_ids(page) - before
    return added


def settled_box(locator: Any) -> dict[str, float]:
    """The element's box once the canvas has stopped moving (fit view animates for 200 ms)."""
    last = locator.bounding_box()
    for _ in range(50):
        locator.page.wait_for_timeout(40)  # one read per frame or two
        box = locator.bounding_box()
        if box == last and box is not None:
            return dict(box)
        last = box
    raise AssertionError(f"{locator} kept moving")


def empty_canvas_point(page: Page, pane: dict[str, float]) -> dict[str, float]:
    """A point of the canvas with no node, edge or control on it (dragging there pans)."""
    for fx in (0.5, 0.3, 0.7, 0.1, 0.9):
        for fy in (0.03, 0.97, 0.5, 0.25, 0.75):
            point = {"x": pane["x"] + pane["width"] * fx, "y": pane["y"] + pane["height"] * fy}
            if page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y)?.classList.contains('react-flow__pane') ?? false",
                [point["x"], point["y"]],
            ):
                return point
    raise AssertionError("no empty spot on the canvas to pan from")


def center_on(page: Page, node: str) -> None:
    """Zoom the canvas in on ``node`` (mouse wheel) and pan it to the middle, so its ports are big
    enough to grab and there is room below it to drop a node."""
    page.get_by_role("button", name="Fit view").click()
    target = page.get_by_test_id(f"node-{node}")
    for _ in range(30):
        box = settled_box(target)
        if box["width"] >= 160:
            break
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -120)
    pane, box = page.locator(".react-flow__pane").bounding_box(), settled_box(target)
    assert pane is not None
    grab = empty_canvas_point(page, pane)
    dx = pane["x"] + pane["width"] / 2 - (box["x"] + box["width"] / 2)
    dy = pane["y"] + pane["height"] / 3 - (box["y"] + box["height"] / 2)
    page.mouse.move(grab["x"], grab["y"])
    page.mouse.down()
    page.mouse.move(grab["x"] + dx, grab["y"] + dy, steps=10)
    page.mouse.up()
    expect(target).to_be_in_viewport(ratio=0.99)


def connect(page: Page, source: str, target: str) -> None:
    """Drag from the source node's output handle to the target node's input handle."""
    edges = page.locator(".react-flow__edge").count()
    start = page.locator(f".react-flow__node[data-id='{source}']")
    end = page.locator(f".react-flow__node[data-id='{target}']")
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


def new_workflow(api_session: requests.Session, live_app: str, name: str) -> str:
    """An empty workflow made through the API; the path of its editor."""
    created = api_session.post(f"{live_app}/api/workflows/", json={"name": name}, timeout=10)
    assert created.status_code == 201, created.text
    return f"/workflows/{created.json()['id']}"


def add_from_keyboard(page: Page, search: str, type_id: str) -> None:
    """Search the palette and add its item with Enter onto an empty canvas."""
    page.get_by_label("Search node types").fill(search)
    item = page.get_by_test_id(f"palette-item-{type_id}")
    expect(item).to_be_visible()
    item.press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(1)


def sample_order(live_app: str) -> dict[str, Any]:
    """A fresh order in the Walmart sandbox (so acknowledging it works), used as the sample input."""
    (order,) = seed_orders(1, seed=4242, start=900)
    order = plain(order)  # as Walmart sends it: amounts are JSON numbers
    order["purchaseOrderId"] = f"E2E-{order['purchaseOrderId']}"
    created = requests.post(f"{live_app}/sandbox/walmart/_control/orders", json=order, timeout=10)
    assert created.status_code == 201, created.text
    return order


def test_clone_edit_save_run_and_inspect_the_order_to_invoice_template(
    api_session: requests.Session, browser_page: Page, live_app: str, artifacts_dir: Path
) -> None:
    page = browser_page
    clone_template(page)

    # Add a node from the palette and wire it after the acknowledgement.
    center_on(page, "ack")
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
    center_on(page, "orders")
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
    status = page.get_by_test_id("run-status")
    expect(status).to_contain_text(re.compile("succeeded|failed|review|dead"), timeout=RUN_TIMEOUT_MS)
    run_url = status.get_by_role("link").get_attribute("href")
    run = api_session.get(f"{live_app}/api{run_url}", timeout=10).json()
    assert run["status"] == "succeeded", (run["status"], run.get("error"))
    for node in [*TEMPLATE_NODES, added]:
        expect(page.get_by_test_id(f"node-{node}")).to_have_attribute("data-status", "succeeded")
    page.get_by_role("button", name="Fit view").click()
    settled_box(page.get_by_test_id("node-orders"))
    page.screenshot(path=str(artifacts_dir / "live-run.png"))

    # A node's output: the invoice Xero created for the order.
    center_on(page, "invoice")
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
    api_session: requests.Session, browser_page: Page, live_app: str
) -> None:
    """tests.support.nodes_app (LEDGERLINE_EXTRA_APPS) registers test.gate; the web app knows nothing of it."""
    page = browser_page
    page.goto(new_workflow(api_session, live_app, "Extra node types"))
    add_from_keyboard(page, "gate", "test.gate")
    page.locator(".react-flow__node").first.click()
    panel = page.get_by_test_id("config-panel")
    for field in ("open_file", "started_file", "timeout"):
        expect(panel.locator(f"[name='config.{field}']")).to_be_visible()
    panel.locator("[name='config.open_file']").fill("/tmp/gate-open")
    expect(panel.locator("[name='config.open_file']")).to_have_value("/tmp/gate-open")


def test_leaving_with_unsaved_changes_asks_first(
    api_session: requests.Session, browser_page: Page, live_app: str
) -> None:
    """In-app links and the back button both ask; saying no keeps the canvas as it was."""
    page = browser_page
    editor_url = new_workflow(api_session, live_app, "Unsaved")
    page.goto("/")
    page.get_by_role("link", name="Unsaved", exact=True).click()  # in the app: back is the app's to handle
    expect(page).to_have_url(re.compile(re.escape(editor_url) + "$"))
    add_from_keyboard(page, "builtin.debug", "builtin.debug")

    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_test_id("palette")).to_be_visible()
    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.go_back()
    expect(page.get_by_test_id("palette")).to_be_visible()
    assert page.url.endswith(editor_url)
    expect(page.locator(".react-flow__node")).to_have_count(1)
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_role("table", name="Runs")).to_be_visible()
    assert len(asked) == 3 and all("unsaved changes" in message for message in asked)
