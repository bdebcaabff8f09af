"""The Xero client, sandbox rules and node types, checked against Xero's OpenAPI document."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from connectors.sdk import CredentialError, PermanentError, RateLimitedError, TransientError
from connectors.sdk.openapi import OpenApiSpec, specs_dir
from connectors.sdk.testing import FakeConnection, FakeContext
from connectors.xero import client as client_module
from connectors.xero.client import XeroClient
from connectors.xero.nodes.create_invoice import CreateInvoice
from connectors.xero.nodes.create_payment import CreatePayment
from connectors.xero.nodes.find_or_create_contact import FindOrCreateContact
from connectors.xero.sandbox.store import STORE, Faults, Limits


def contact(xero: FakeConnection, name: str = "Kathryn Cole", external_id: str = "WM-1") -> dict[str, Any]:
    return FindOrCreateContact().execute(
        FakeContext(connection_handle=xero),
        {"name": name, "external_id": external_id, "email": f"{external_id}@example.com"},
    )


def invoice_item(contact_id: str, number: str, **line: Any) -> dict[str, Any]:
    base = {"description": "Mug", "quantity": 2, "unit_amount": "12.50", "account_code": "200", "tax_type": "TAX001"}
    return {"contact_id": contact_id, "invoice_number": number, "reference": number, "lines": [{**base, **line}]}


def test_every_request_and_response_matches_xeros_document(
    xero: FakeConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = specs_dir()
    if folder is None:
        pytest.skip("the official specifications are not at LEDGERLINE_SPECS_DIR (../shared/specs)")
    seen: list[requests.Response] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *a, **k: seen.append(response))
    monkeypatch.setattr(client_module, "_session", session)
    buyer = contact(xero)
    created = CreateInvoice().execute(FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-100"))
    CreatePayment().execute(
        FakeContext(connection_handle=xero, config={"account_code": "1200"}),
        {"invoice_id": created["InvoiceID"], "amount": created["Total"]},
    )
    client = XeroClient(xero)
    for collection in ("Accounts", "TaxRates", "TrackingCategories", "Currencies", "Items"):
        client.get(collection)
    spec = OpenApiSpec.load(Path(folder) / "xero" / "xero_accounting.yaml")
    assert len(seen) >= 10
    for response in seen:
        request = response.request
        path = urlsplit(request.url).path.split("/api.xro/2.0", 1)[1]
        body = json.loads(request.body) if request.body else None
        assert (
            spec.check_request(
                request.method or "GET",
                path,
                headers=dict(request.headers),
                query=dict(parse_qsl(urlsplit(request.url).query)),
                body=body,
            )
            == []
        )
        if request.method in {"PUT", "POST"}:
            assert request.headers.get("Idempotency-Key")
        assert spec.check_response(request.method or "GET", path, response.status_code, response.json()) == [], path


def test_contacts_are_found_by_email_then_external_id_and_never_duplicated(xero: FakeConnection) -> None:
    first = contact(xero, external_id="WM-7")
    assert contact(xero, external_id="WM-7")["ContactID"] == first["ContactID"]
    # Another buyer with the same name gets a distinct contact, named apart.
    other = contact(xero, external_id="WM-8")
    assert other["ContactID"] != first["ContactID"] and other["Name"] == "Kathryn Cole (WM-8)"
    assert len(STORE.books.contacts) == 2


@pytest.mark.parametrize(
    ("line", "amount_types", "expected"),
    [
        pytest.param(
            {"quantity": 3, "unit_amount": "19.99", "tax_type": "TAX001"},
            "Exclusive",
            ("59.97", "5.32", "65.29"),
            id="exclusive_ny_tax",
        ),
        pytest.param(
            {"quantity": 1, "unit_amount": "108.88", "tax_type": "TAX001"},
            "Inclusive",
            ("100.00", "8.88", "108.88"),
            id="inclusive",
        ),
        pytest.param(
            {"quantity": 3, "unit_amount": "0.3333", "tax_type": "NONE"},
            "Exclusive",
            ("1.00", "0.00", "1.00"),
            id="unitdp_4",
        ),
        pytest.param(
            {"quantity": 2, "unit_amount": "10.00", "discount_amount": "2.50", "tax_type": "TAX002"},
            "Exclusive",
            ("17.50", "1.27", "18.77"),
            id="discount_amount",
        ),
    ],
)
def test_totals_follow_xeros_rounding(
    xero: FakeConnection, line: dict[str, Any], amount_types: str, expected: tuple[str, str, str]
) -> None:
    buyer = contact(xero)
    item = invoice_item(buyer["ContactID"], "WM-R", **line)
    item["line_amount_types"] = amount_types
    created = CreateInvoice().execute(FakeContext(connection_handle=xero), item)
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == tuple(Decimal(v) for v in expected)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param({"account_code": "999"}, "Account code '999' is not a valid code", id="unknown_account"),
        pytest.param({"tax_type": "BOGUS"}, "The TaxType code 'BOGUS' does not exist", id="unknown_tax_type"),
        pytest.param({"item_code": "NOPE"}, "Item code 'NOPE' is not valid", id="unknown_item"),
        pytest.param(
            {"tracking": [{"name": "Sales Channel", "option": "eBay"}]},
            "Tracking option 'eBay' is not valid",
            id="unknown_tracking_option",
        ),
    ],
)
def test_invalid_lines_fail_only_their_own_run(xero: FakeConnection, line: dict[str, Any], message: str) -> None:
    buyer = contact(xero)
    node = CreateInvoice()
    calls = [
        (FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-OK")),
        (FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-BAD", **line)),
    ]
    good, bad = node.execute_batch(calls)
    assert good["InvoiceNumber"] == "WM-OK"
    assert isinstance(bad, PermanentError) and message in bad.message
    assert STORE.calls["PUT invoices"] == 1


def test_a_batch_is_one_call_and_repeats_create_nothing(xero: FakeConnection) -> None:
    buyer = contact(xero)
    contexts = [FakeContext(connection_handle=xero) for _ in range(10)]
    calls = [(ctx, invoice_item(buyer["ContactID"], f"WM-{n}")) for n, ctx in enumerate(contexts)]
    first = CreateInvoice().execute_batch(calls)
    again = CreateInvoice().execute_batch(calls)
    assert [r["InvoiceID"] for r in first] == [r["InvoiceID"] for r in again]
    assert STORE.calls["PUT invoices"] == 1
    assert len(STORE.books.invoices) == 10


def test_an_invoice_number_is_taken_once_and_found_by_number(xero: FakeConnection) -> None:
    client = XeroClient(xero)
    element = {
        "Type": "ACCREC",
        "InvoiceNumber": "WM-7",
        "Contact": {"ContactID": contact(xero)["ContactID"]},
        "LineItems": [{"Description": "x", "Quantity": "1", "UnitAmount": "5", "AccountCode": "200"}],
    }
    made = client.create_one("Invoices", element, "key-1")
    with pytest.raises(PermanentError, match="must be unique"):
        client.create_one("Invoices", element, "key-2")
    assert client.call("GET", "/Invoices/WM-7")["Invoices"][0]["InvoiceID"] == made["InvoiceID"]
    STORE.books.invoices[made["InvoiceID"]]["Status"] = "DELETED"  # a deleted invoice frees its number
    again = client.create_one("Invoices", element, "key-3")
    assert again["InvoiceID"] != made["InvoiceID"] and len(STORE.books.invoices) == 2


def test_an_uncertain_effect_is_found_by_number_not_created_again(xero: FakeConnection) -> None:
    buyer = contact(xero)
    context = FakeContext(connection_handle=xero)
    created = CreateInvoice().execute(context, invoice_item(buyer["ContactID"], "WM-CRASH"))
    # The worker died before recording: the ledger has the effect as started only.
    [effect] = [e for e in context.effects.values() if e.key.startswith("")][-1:]
    effect.previous = None
    again = CreateInvoice().execute(context, invoice_item(buyer["ContactID"], "WM-CRASH"))
    assert again["InvoiceID"] == created["InvoiceID"]
    assert len(STORE.books.invoices) == 1


def test_uncertain_effects_of_a_batch_are_looked_up_in_one_call(xero: FakeConnection) -> None:
    """After a lost answer every element of the batch is uncertain: one GET finds the ones Xero made."""
    buyer = contact(xero)
    calls = [(FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], f"WM-{n}")) for n in range(12)]
    made = CreateInvoice().execute_batch(calls[:10])
    for context, item in calls:  # the ledger entries stay without an answer: ten made, two never sent
        for effect in context.effects.values():
            effect.previous = None
        context.effect("invoice", item["invoice_number"])
    again = CreateInvoice().execute_batch(calls)
    assert [r["InvoiceID"] for r in again[:10]] == [r["InvoiceID"] for r in made]
    assert (STORE.calls["GET invoices"], STORE.calls["PUT invoices"], len(STORE.books.invoices)) == (1, 2, 12)


def test_idempotency_key_replays_the_first_answer(xero: FakeConnection) -> None:
    client = XeroClient(xero)
    buyer = contact(xero)
    element = {
        "Type": "ACCREC",
        "Contact": {"ContactID": buyer["ContactID"]},
        "LineItems": [{"Description": "x", "Quantity": "1", "UnitAmount": "5", "AccountCode": "200"}],
    }
    first = client.create_one("Invoices", element, "key-1")
    second = client.create_one("Invoices", element, "key-1")
    assert first["InvoiceID"] == second["InvoiceID"] and len(STORE.books.invoices) == 1
    with pytest.raises(PermanentError):
        client.create_one("Invoices", {**element, "Reference": "different"}, "key-1")


def test_summarize_errors_both_ways(xero: FakeConnection) -> None:
    client = XeroClient(xero)
    buyer = contact(xero)
    good = {
        "Type": "ACCREC",
        "Contact": {"ContactID": buyer["ContactID"]},
        "LineItems": [{"Description": "x", "Quantity": "1", "UnitAmount": "5", "AccountCode": "200"}],
    }
    bad = {**good, "LineItems": [{**good["LineItems"][0], "AccountCode": "999"}]}
    with pytest.raises(PermanentError, match="Account code '999'"):
        client.call("PUT", "/Invoices", body={"Invoices": [good, bad]}, idempotency_key="sum-1")
    assert STORE.books.invoices == {}
    results = client.create_many("Invoices", [good, bad], "sum-2")
    assert [r.record is not None for r in results] == [True, False]
    assert len(STORE.books.invoices) == 1


def test_payments_settle_invoices_and_cannot_overpay(xero: FakeConnection) -> None:
    buyer = contact(xero)
    created = CreateInvoice().execute(FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-P"))
    pay = CreatePayment()
    context = FakeContext(connection_handle=xero, config={"account_code": "1200"})
    with pytest.raises(PermanentError, match="exceeds the amount outstanding"):
        pay.execute(context, {"invoice_id": created["InvoiceID"], "amount": str(created["Total"] + 1)})
    pay.execute(context, {"invoice_id": created["InvoiceID"], "amount": str(created["Total"])})
    assert STORE.books.invoices[created["InvoiceID"]]["Status"] == "PAID"
    with pytest.raises(PermanentError, match=r"not a valid code|not valid for payments"):
        pay.execute(
            FakeContext(connection_handle=xero, config={"account_code": "200"}),
            {"invoice_id": created["InvoiceID"], "amount": "1", "payment_key": "x"},
        )


def test_credit_note_allocation_limits(xero: FakeConnection) -> None:
    client = XeroClient(xero)
    buyer = contact(xero)
    created = CreateInvoice().execute(FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-C"))
    note = client.create_one(
        "CreditNotes",
        {
            "Type": "ACCRECCREDIT",
            "Status": "AUTHORISED",
            "Contact": {"ContactID": buyer["ContactID"]},
            "LineItems": [
                {"Description": "refund", "Quantity": "1", "UnitAmount": "10", "AccountCode": "200", "TaxType": "NONE"}
            ],
        },
        "cn-1",
    )
    too_much = {"Allocations": [{"Invoice": {"InvoiceID": created["InvoiceID"]}, "Amount": "11", "Date": "2026-11-23"}]}
    with pytest.raises(PermanentError, match="remaining credit"):
        client.call("PUT", f"/CreditNotes/{note['CreditNoteID']}/Allocations", body=too_much, idempotency_key="al-1")
    ok = {"Allocations": [{"Invoice": {"InvoiceID": created["InvoiceID"]}, "Amount": "10", "Date": "2026-11-23"}]}
    client.call("PUT", f"/CreditNotes/{note['CreditNoteID']}/Allocations", body=ok, idempotency_key="al-2")
    assert STORE.books.invoices[created["InvoiceID"]]["AmountDue"] == created["Total"] - 10


def test_limits_answer_429_with_xeros_headers_and_count_violations(xero: FakeConnection) -> None:
    client = XeroClient(xero)
    STORE.limits = Limits(per_minute=2)
    STORE.minute_calls.clear()
    client.get("Accounts")
    assert client.last_rate_limit["minute"] == 1
    client.get("Accounts")
    with pytest.raises(RateLimitedError) as caught:
        client.get("Accounts")
    assert caught.value.details == {"problem": "minute"} and 0 < caught.value.retry_after <= 60
    assert STORE.violations == 1
    assert xero.rate_limit_reports[-1][0] == "minute"


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        pytest.param(Faults(error_rate=1.0), TransientError, id="server_errors"),
        pytest.param(Faults(malformed_rate=1.0), TransientError, id="malformed"),
        pytest.param(Faults(expire_tokens=True), CredentialError, id="expired_tokens"),
    ],
)
def test_faults_are_classified(xero: FakeConnection, faults: Faults, error: type[Exception]) -> None:
    client = XeroClient(xero)
    STORE.faults = faults
    with pytest.raises(error):
        client.get("Accounts")


def test_items_track_quantity_on_hand(xero: FakeConnection) -> None:
    buyer = contact(xero)
    CreateInvoice().execute(
        FakeContext(connection_handle=xero), invoice_item(buyer["ContactID"], "WM-I", item_code="MUG", quantity=3)
    )
    mug = next(i for i in XeroClient(xero).get("Items") if i["Code"] == "MUG")
    assert mug["QuantityOnHand"] == Decimal(97)


def test_option_lists_for_the_canvas(xero: FakeConnection) -> None:
    choices = CreateInvoice().options("account_code", xero, {})
    assert {"value": "200", "label": "200 Sales"} in choices
    assert {
        "value": "Sales Channel/Walmart Marketplace",
        "label": "Sales Channel: Walmart Marketplace",
    } in CreateInvoice().options("tracking", xero, {})
