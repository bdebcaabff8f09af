"""Credit notes allocated to their invoice, and the items trigger."""

from __future__ import annotations

from decimal import Decimal

from connectors.sdk.testing import FakeConnection, FakeContext
from connectors.xero.nodes.create_invoice import CreateInvoice
from connectors.xero.nodes.credit_note import CreateCreditNote
from connectors.xero.nodes.items_poll import ItemsChanged
from connectors.xero.sandbox.store import STORE
from tests.connectors.xero.test_books import contact, invoice_item


def test_a_refund_becomes_an_allocated_credit_note_once(xero: FakeConnection) -> None:
    buyer = contact(xero)
    invoice = CreateInvoice().execute(FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-CN"))
    context = FakeContext(connection_handle=xero)
    refund = {
        "contact_id": buyer["ContactID"],
        "reference": "R-1",
        "invoice_id": invoice["InvoiceID"],
        "lines": [
            {
                "description": "Returned mug",
                "quantity": 1,
                "unit_amount": "12.50",
                "account_code": "200",
                "tax_type": "TAX001",
            }
        ],
    }
    note = CreateCreditNote().execute(context, refund)
    assert note["Total"] == Decimal("13.61") and note["allocation"] == {"allocated": "13.61"}
    assert STORE.books.invoices[invoice["InvoiceID"]]["AmountDue"] == invoice["Total"] - Decimal("13.61")
    again = CreateCreditNote().execute(context, refund)
    assert again["CreditNoteID"] == note["CreditNoteID"] and len(STORE.books.credit_notes) == 1


def test_a_paid_invoice_keeps_the_credit_on_the_contact(xero: FakeConnection) -> None:
    buyer = contact(xero)
    invoice = CreateInvoice().execute(FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-PAID"))
    from connectors.xero.nodes.create_payment import CreatePayment

    CreatePayment().execute(
        FakeContext(connection_handle=xero, config={"account_code": "1200"}),
        {"invoice_id": invoice["InvoiceID"], "amount": str(invoice["Total"])},
    )
    refund = {
        "contact_id": buyer["ContactID"],
        "reference": "R-2",
        "invoice_id": invoice["InvoiceID"],
        "lines": [
            {"description": "Goodwill", "quantity": 1, "unit_amount": "5.00", "account_code": "200", "tax_type": "NONE"}
        ],
    }
    note = CreateCreditNote().execute(FakeContext(connection_handle=xero), refund)
    assert note["allocation"]["allocated"] == "0"


def test_items_trigger_reports_changed_stock_once_per_change(xero: FakeConnection) -> None:
    first = ItemsChanged().poll(FakeContext(connection_handle=xero), None)
    assert {e.payload["item_code"] for e in first.events} == {"MUG", "TEE", "BAG", "LAMP", "BOTTLE", "SOCK"}
    buyer = contact(xero)
    CreateInvoice().execute(
        FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-STOCK", item_code="BAG", quantity=4)
    )
    second = ItemsChanged().poll(FakeContext(connection_handle=xero), first.cursor)
    changed = {
        e.payload["item_code"]: e.payload["quantity"]
        for e in second.events
        if e.key not in {x.key for x in first.events}
    }
    assert changed == {"BAG": "96"}
