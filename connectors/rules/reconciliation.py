"""Walmart against Xero, per day and currency, with every order whose totals differ and why.

Which numbers are trusted:

* **Walmart totals** come from the orders as Walmart sent them to the runs
  (each purchase order's latest version seen by an invoicing workflow): the
  open lines' product + shipping + tax - discounts, in the order's currency.
* **Xero totals** come from Xero itself: the effect ledger only says *which*
  invoice was created for which order (its InvoiceID), and the invoice's
  current Total and Status are read from Xero through the connection. An
  accountant signs off the books, not our record of what we once sent: an
  invoice voided or edited in Xero shows up here. When Xero cannot be reached
  the ledger's recorded answer is used and ``xero_source`` says so.

A difference is *explained* when the order's run is in the review queue or the
dead-letter queue (its reason is given) or still running; anything else
(amounts that differ, an invoice voided in Xero, a run that ended without an
invoice) is unexplained and counted in ``unexplained``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from connectors.sdk import NodeError
from connectors.sdk.handles import StoredConnection
from connectors.sdk.models import Connection
from connectors.walmart.nodes.order_document import order_lines
from connectors.xero.client import XeroClient
from designer.models import Workflow
from engine.core.states import RunStatus
from engine.dead_letters import human_reason
from engine.models import Effect, Run

ZERO = Decimal(0)
INVOICE_NODE = "xero.invoice.create"
IDS_PER_CALL = 50


def _invoice_workflows(organization_id: int) -> dict[Any, str]:
    """Workflows that create invoices → the name or id of the Xero connection their invoice node uses."""
    found = {}
    for workflow in Workflow.objects.filter(organization_id=organization_id, is_template=False):
        version = workflow.latest_version()
        for spec in (version.document if version else {}).get("nodes", []):
            if spec.get("type") == INVOICE_NODE:
                found[workflow.pk] = str((spec.get("config") or {}).get("connection") or "")
    return found


def _order_total(order: dict[str, Any]) -> tuple[Decimal, str]:
    _lines, totals = order_lines(order)
    currency = next(
        (
            str(c["chargeAmount"]["currency"])
            for line in order["orderLines"]["orderLine"]
            for c in line["charges"]["charge"]
        ),
        "USD",
    )
    total = totals["product"] + totals["shipping"] + totals["other"] + totals["tax"] - totals["discount"]
    return total, currency


def _latest_runs(workflow_ids: list[Any], start: dt.date) -> dict[str, Run]:
    """Per purchase order, its latest run (replays included) since ``start``."""
    latest: dict[str, Run] = {}
    runs = Run.objects.filter(workflow_id__in=workflow_ids, created_at__date__gte=start).order_by("created_at")
    for run in runs.only("id", "status", "input", "error", "created_at", "workflow_id", "resolution"):
        order = run.input if isinstance(run.input, dict) else {}
        if "purchaseOrderId" in order and "orderLines" in order:
            latest[str(order["purchaseOrderId"])] = run
    return latest


def _xero_invoices(
    organization_id: int, workflows: dict[Any, str], references: set[str]
) -> tuple[dict[str, dict[str, Any]], str]:
    """Reference (purchase order) → the invoice as Xero has it now, and where the figures came from."""
    by_reference: dict[str, dict[str, Any]] = {}
    effects = Effect.objects.filter(workflow_id__in=list(workflows), kind="invoice", status=Effect.Status.APPLIED)
    for effect in effects.only("result", "workflow_id"):
        result = effect.result or {}
        if str(result.get("Reference")) in references:
            by_reference[str(result["Reference"])] = {**result, "_workflow": effect.workflow_id}
    source = "xero"
    by_connection: dict[str, list[str]] = defaultdict(list)
    for reference, invoice in by_reference.items():
        by_connection[workflows[invoice["_workflow"]]].append(reference)
    for connection_ref, refs in by_connection.items():
        try:
            client = XeroClient(StoredConnection(_connection(organization_id, connection_ref)))
            ids = [str(by_reference[r]["InvoiceID"]) for r in refs]
            for index in range(0, len(ids), IDS_PER_CALL):
                for current in client.get("Invoices", {"IDs": ",".join(ids[index : index + IDS_PER_CALL])}):
                    if str(current.get("Reference")) in by_reference:
                        by_reference[str(current["Reference"])] = dict(current)
        except (NodeError, Connection.DoesNotExist) as exc:
            message = exc.message if isinstance(exc, NodeError) else "its connection no longer exists"
            source = f"effect ledger (Xero could not be read: {message})"
    return by_reference, source


def _connection(organization_id: int, reference: str) -> Connection:
    """The Xero connection a workflow names, by id or (templates, imports) by name."""
    rows = Connection.objects.filter(organization_id=organization_id, kind="xero")
    try:
        return rows.get(pk=uuid.UUID(reference))
    except ValueError:
        return rows.get(name=reference)


def _reason(run: Run, has_invoice: bool, voided: bool) -> tuple[str, bool]:
    if voided:
        return "the invoice was voided or deleted in Xero", False
    if has_invoice:
        return "the invoice total differs from the order total", False
    if run.status == RunStatus.REVIEW:
        return f"in review: {(run.error or {}).get('message', 'flagged for review')}", True
    if run.status in (RunStatus.FAILED, RunStatus.DEAD):
        return f"dead letter: {human_reason(run)}", True
    if run.status in (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING):
        return "the run is still in progress", True
    return f"no invoice although the run ended {run.status}", False


def reconcile(organization_id: int, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The report for orders dated ``start`` to ``end`` (UTC days, inclusive); amounts as decimal strings."""
    workflows = _invoice_workflows(organization_id)
    runs = _latest_runs(list(workflows), start)
    orders: dict[str, tuple[dt.date, str, Decimal, Run]] = {}
    for po, run in runs.items():
        order: dict[str, Any] = run.input or {}
        day = dt.datetime.fromtimestamp(int(order["orderDate"]) / 1000, tz=dt.UTC).date()
        total, currency = _order_total(order)
        if start <= day <= end and total != 0:
            orders[po] = (day, currency, total, run)
    invoices, source = _xero_invoices(organization_id, workflows, set(orders))
    days: dict[tuple[dt.date, str], dict[str, Any]] = {}
    differences = []
    for po, (day, currency, total, run) in sorted(orders.items(), key=lambda kv: (kv[1][0], kv[0])):
        invoice = invoices.get(po)
        voided = invoice is not None and str(invoice.get("Status")) in {"VOIDED", "DELETED"}
        xero_total = Decimal(str(invoice["Total"])) if invoice and not voided else ZERO
        row = days.setdefault((day, currency), {"orders": 0, "walmart": ZERO, "xero": ZERO})
        row["orders"] += 1
        row["walmart"] += total
        row["xero"] += xero_total
        if xero_total != total:
            reason, explained = _reason(run, invoice is not None, voided)
            differences.append(
                {"purchase_order_id": po, "date": day.isoformat(), "currency": currency,
                 "walmart_total": str(total), "xero_total": str(xero_total), "difference": str(xero_total - total),
                 "reason": reason, "explained": explained, "run": str(run.pk)}
            )  # fmt: skip
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "xero_source": source,
        "days": [
            {
                "date": day.isoformat(),
                "currency": currency,
                "orders": row["orders"],
                "walmart_total": str(row["walmart"]),
                "xero_total": str(row["xero"]),
                "difference": str(row["xero"] - row["walmart"]),
            }
            for (day, currency), row in sorted(days.items())
        ],
        "differences": differences,
        "unexplained": sum(1 for d in differences if not d["explained"]),
    }
