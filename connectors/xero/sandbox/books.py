"""Accounting endpoints of the Xero sandbox: contacts, invoices, payments, credit notes, reference data."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from connectors.xero.sandbox.credit_refunds import or_credit_refund
from connectors.xero.sandbox.elements import page, save_elements, stamp, where_filter
from connectors.xero.sandbox.http import accounting, envelope, json_response, not_found, validation_error, xero_date
from connectors.xero.sandbox.rules import cents, decimal, item_by_code, price_lines
from connectors.xero.sandbox.store import ORGANISATION_NAME, STORE, TENANT_ID

ZERO = Decimal(0)


@require_http_methods(["GET"])
@accounting
def organisation(request: HttpRequest) -> HttpResponse:
    org = {
        "OrganisationID": TENANT_ID,
        "Name": ORGANISATION_NAME,
        "BaseCurrency": "USD",
        "CountryCode": "US",
        "OrganisationType": "COMPANY",
        "Version": "US",
    }
    return json_response(envelope("Organisations", [org]))


def _prepare_contact(element: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    books = STORE.books
    existing = books.contacts.get(str(element.get("ContactID"))) if element.get("ContactID") else None
    record = {**(existing or {}), **element}
    errors = []
    name = str(record.get("Name") or "").strip()
    if not name:
        errors.append("The contact name must be specified.")
    clash = next(
        (
            c
            for c in books.contacts.values()
            if c["Name"].lower() == name.lower()
            and c["ContactStatus"] == "ACTIVE"
            and c["ContactID"] != record.get("ContactID")
        ),
        None,
    )
    if clash is not None:
        errors.append(
            f"The contact name {name} is already assigned to another contact. "
            "The contact name must be unique across all active contacts."
        )
    if len(str(record.get("ContactNumber") or "")) > 50:
        errors.append("The ContactNumber must be at most 50 characters.")
    record.setdefault("ContactID", str(uuid.uuid4()))
    record.setdefault("ContactStatus", "ACTIVE")
    record["Name"] = name
    record["IsCustomer"] = True
    return record, errors


def _commit_contact(record: dict[str, Any]) -> None:
    stamp(record)
    STORE.books.contacts[record["ContactID"]] = record


@require_http_methods(["GET", "PUT", "POST"])
@accounting
def contacts(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return save_elements(request, "Contacts", _prepare_contact, _commit_contact)
    matches = where_filter(request.GET.get("where"))
    term = (request.GET.get("searchTerm") or "").lower()
    ids = set(filter(None, (request.GET.get("IDs") or "").split(",")))
    with STORE.lock:
        found = [
            c
            for c in STORE.books.contacts.values()
            if matches(c)
            and (not ids or c["ContactID"] in ids)
            and (
                not term
                or any(
                    term in str(c.get(f) or "").lower()
                    for f in ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
                )
            )
        ]
    return page(request, found, "Contacts")


def _contact_for(element: dict[str, Any], errors: list[str]) -> dict[str, Any] | None:
    contact = element.get("Contact") or {}
    found = STORE.books.contacts.get(str(contact.get("ContactID"))) if contact.get("ContactID") else None
    if found is None and contact.get("Name"):
        found = next((c for c in STORE.books.contacts.values() if c["Name"] == contact["Name"]), None)
    if found is None:
        errors.append("A valid ContactID or the Name of an existing contact must be provided.")
    return found


def _prepare_document(element: dict[str, Any], kind: str, request: HttpRequest) -> tuple[dict[str, Any], list[str]]:
    """Invoices and credit notes: contact, lines, totals, numbering, currency, status."""
    books = STORE.books
    errors: list[str] = []
    types = {"invoice": {"ACCREC", "ACCPAY"}, "credit": {"ACCRECCREDIT", "ACCPAYCREDIT"}}[kind]
    if element.get("Type") not in types:
        errors.append(f"Type must be one of {sorted(types)}.")
    contact = _contact_for(element, errors)
    lines = [dict(line) for line in element.get("LineItems") or []]
    if not lines:
        errors.append("At least one line item is required.")
    amount_types = element.get("LineAmountTypes", "Exclusive")
    if amount_types not in {"Exclusive", "Inclusive", "NoTax"}:
        errors.append("LineAmountTypes must be Exclusive, Inclusive or NoTax.")
    unitdp = 4 if request.GET.get("unitdp") == "4" else 2
    subtotal, tax = price_lines(books, lines, amount_types, unitdp, errors)
    currency = element.get("CurrencyCode", "USD")
    if currency not in {c["Code"] for c in books.currencies}:
        errors.append(f"The currency code {currency} is not enabled for this organisation.")
    status = element.get("Status", "DRAFT")
    if status not in {"DRAFT", "SUBMITTED", "AUTHORISED"}:
        errors.append(f"A new document cannot be created with status {status}.")
    record = {
        **{k: v for k, v in element.items() if k not in {"LineItems", "Contact"}},
        "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]} if contact else element.get("Contact"),
        "LineItems": lines,
        "LineAmountTypes": amount_types,
        "CurrencyCode": currency,
        "Status": status,
        "SubTotal": cents(subtotal),
        "TotalTax": cents(tax),
        "Total": cents(subtotal + tax),
        "Date": element.get("Date") or time.strftime("%Y-%m-%d"),
        "HasErrors": False,
    }
    if currency != "USD":
        record["CurrencyRate"] = decimal(element.get("CurrencyRate", "1"), "CurrencyRate", errors)
    if kind == "invoice":
        _number_invoice(record, errors)
        record.update(
            InvoiceID=str(uuid.uuid4()),
            AmountDue=record["Total"],
            AmountPaid=ZERO,
            AmountCredited=ZERO,
            Payments=[],
            CreditNotes=[],
        )
    else:
        record.update(CreditNoteID=str(uuid.uuid4()), RemainingCredit=record["Total"], Allocations=[])
        record.setdefault("CreditNoteNumber", f"CN-{books.credit_note_counter + 1:04d}")
    return record, errors


def _number_invoice(record: dict[str, Any], errors: list[str]) -> None:
    books = STORE.books
    if record.get("Type") != "ACCREC":
        return
    number = record.get("InvoiceNumber")
    if not number:
        record["InvoiceNumber"] = f"INV-{books.invoice_counter + 1:04d}"
    elif any(i["Type"] == "ACCREC" and i["Status"] != "DELETED" for i in books.invoices_numbered(number)):
        errors.append("Invoice # must be unique.")


def _commit_invoice(record: dict[str, Any]) -> None:
    books = STORE.books
    books.invoice_counter += 1
    stamp(record)
    books.invoices[record["InvoiceID"]] = record
    if record.get("InvoiceNumber"):
        books.invoice_ids_by_number.setdefault(str(record["InvoiceNumber"]), set()).add(record["InvoiceID"])
    if record["Type"] == "ACCREC" and record["Status"] == "AUTHORISED":
        for line in record["LineItems"]:
            item = item_by_code(books, str(line.get("ItemCode") or ""))
            if item is not None and item.get("IsTrackedAsInventory"):
                item["QuantityOnHand"] = Decimal(item["QuantityOnHand"]) - Decimal(line["Quantity"])
                item["UpdatedDateUTC"] = time.time()


@require_http_methods(["GET", "PUT", "POST"])
@accounting
def invoices(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return save_elements(request, "Invoices", lambda e: _prepare_document(e, "invoice", request), _commit_invoice)
    numbers = set(filter(None, (request.GET.get("InvoiceNumbers") or "").split(",")))
    ids = set(filter(None, (request.GET.get("IDs") or "").split(",")))
    statuses = set(filter(None, (request.GET.get("Statuses") or "").split(",")))
    matches = where_filter(request.GET.get("where"))
    with STORE.lock:
        found = [
            i
            for i in STORE.books.invoices.values()
            if matches(i)
            and (not numbers or i.get("InvoiceNumber") in numbers)
            and (not ids or i["InvoiceID"] in ids)
            and (not statuses or i["Status"] in statuses)
        ]
    return page(request, found, "Invoices")


@require_http_methods(["GET"])
@accounting
def invoice(request: HttpRequest, invoice_id: str) -> HttpResponse:
    with STORE.lock:
        found = STORE.books.invoices.get(invoice_id) or next(iter(STORE.books.invoices_numbered(invoice_id)), None)
    return json_response(envelope("Invoices", [found])) if found else not_found("invoice")


def _prepare_payment(element: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    books = STORE.books
    errors: list[str] = []
    ref = element.get("Invoice") or {}
    target = books.invoices.get(str(ref.get("InvoiceID"))) or next(
        iter(books.invoices_numbered(ref.get("InvoiceNumber"))), None
    )
    if target is None:
        errors.append("Invoice could not be found.")
    elif target["Status"] != "AUTHORISED":
        errors.append(f"Payments can only be made against Authorised documents (this one is {target['Status']}).")
    account_ref = element.get("Account") or {}
    account = next(
        (
            a
            for a in books.accounts
            if a["Code"] == account_ref.get("Code") or a["AccountID"] == account_ref.get("AccountID")
        ),
        None,
    )
    if account is None or not account.get("EnablePaymentsToAccount"):
        errors.append("Account code is not valid for payments: use a bank account or one with payments enabled.")
    amount = decimal(element.get("Amount"), "Amount", errors)
    if amount <= 0:
        errors.append("Payment amount must be greater than zero.")
    elif target is not None and amount > target["AmountDue"]:
        errors.append("Payment amount exceeds the amount outstanding on this document.")
    record = {
        **element,
        "PaymentID": str(uuid.uuid4()),
        "Amount": amount,
        "Status": "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT",
        "Invoice": {"InvoiceID": target["InvoiceID"], "InvoiceNumber": target.get("InvoiceNumber")} if target else ref,
        "Date": element.get("Date") or time.strftime("%Y-%m-%d"),
    }
    return record, errors


def _commit_payment(record: dict[str, Any]) -> None:
    books = STORE.books
    target = books.invoices[record["Invoice"]["InvoiceID"]]
    target["AmountPaid"] += record["Amount"]
    target["AmountDue"] -= record["Amount"]
    target["Payments"].append({"PaymentID": record["PaymentID"], "Amount": record["Amount"], "Date": record["Date"]})
    if target["AmountDue"] == 0:
        target["Status"] = "PAID"
        target["FullyPaidOnDate"] = xero_date()
    stamp(target)
    stamp(record)
    books.payments[record["PaymentID"]] = record


@require_http_methods(["GET", "PUT", "POST"])
@accounting
def payments(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return save_elements(request, "Payments", *or_credit_refund(_prepare_payment, _commit_payment))
    with STORE.lock:
        found = [p for p in STORE.books.payments.values() if where_filter(request.GET.get("where"))(p)]
    return page(request, found, "Payments")


def _commit_credit_note(record: dict[str, Any]) -> None:
    STORE.books.credit_note_counter += 1
    stamp(record)
    STORE.books.credit_notes[record["CreditNoteID"]] = record


@require_http_methods(["GET", "PUT", "POST"])
@accounting
def credit_notes(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return save_elements(
            request, "CreditNotes", lambda e: _prepare_document(e, "credit", request), _commit_credit_note
        )
    with STORE.lock:
        found = [c for c in STORE.books.credit_notes.values() if where_filter(request.GET.get("where"))(c)]
    return page(request, found, "CreditNotes")


@require_http_methods(["PUT"])
@accounting
def allocations(request: HttpRequest, credit_note_id: str) -> HttpResponse:
    """Allocate a credit note to invoices: never more than its remaining credit or an invoice's amount due."""
    from connectors.xero.sandbox.http import body_json

    body = body_json(request) or {}
    with STORE.lock:
        note = STORE.books.credit_notes.get(credit_note_id)
        if note is None:
            return not_found("credit note")
        results: list[tuple[dict[str, Any], Decimal, dict[str, Any]]] = []
        errors: list[str] = []
        remaining = note["RemainingCredit"]
        for element in body.get("Allocations") or []:
            invoice_row = STORE.books.invoices.get(str((element.get("Invoice") or {}).get("InvoiceID")))
            amount = decimal(element.get("Amount"), "Amount", errors)
            if note["Status"] != "AUTHORISED":
                errors.append("Only authorised credit notes can be allocated.")
            elif invoice_row is None:
                errors.append("Invoice could not be found.")
            elif amount > remaining:
                errors.append("The amount to allocate is more than the credit note's remaining credit.")
            elif amount > invoice_row["AmountDue"]:
                errors.append("The amount to allocate is more than the invoice's amount due.")
            if errors:
                return validation_error([{**element, "ValidationErrors": [{"Message": m} for m in errors]}])
            assert invoice_row is not None
            remaining -= amount
            results.append((invoice_row, amount, element))
        for invoice_row, amount, element in results:
            invoice_row["AmountCredited"] += amount
            invoice_row["AmountDue"] -= amount
            invoice_row["CreditNotes"].append({"CreditNoteID": credit_note_id, "AppliedAmount": amount})
            if invoice_row["AmountDue"] == 0:
                invoice_row["Status"] = "PAID"
            note["Allocations"].append(
                {"Invoice": {"InvoiceID": invoice_row["InvoiceID"]}, "Amount": amount, "Date": element.get("Date")}
            )
            stamp(invoice_row)
        note["RemainingCredit"] = remaining
        if remaining == 0:
            note["Status"] = "PAID"
        stamp(note)
        allocated = [
            {
                "AllocationID": str(uuid.uuid4()),
                "Invoice": {"InvoiceID": i["InvoiceID"]},
                "Amount": a,
                "Date": e.get("Date"),
            }
            for i, a, e in results
        ]
    return json_response(envelope("Allocations", allocated))


def _reference(collection: str, rows: Any) -> HttpResponse:
    return json_response(envelope(collection, list(rows)))


@require_http_methods(["GET"])
@accounting
def accounts(request: HttpRequest) -> HttpResponse:
    return _reference("Accounts", STORE.books.accounts)


@require_http_methods(["GET"])
@accounting
def tax_rates(request: HttpRequest) -> HttpResponse:
    return _reference("TaxRates", STORE.books.tax_rates)


@require_http_methods(["GET"])
@accounting
def tracking_categories(request: HttpRequest) -> HttpResponse:
    return _reference("TrackingCategories", STORE.books.tracking)


@require_http_methods(["GET"])
@accounting
def currencies(request: HttpRequest) -> HttpResponse:
    return _reference("Currencies", STORE.books.currencies)


@require_http_methods(["GET"])
@accounting
def items(request: HttpRequest) -> HttpResponse:
    rows = [
        {**item, "_updated": item["UpdatedDateUTC"], "UpdatedDateUTC": xero_date(item["UpdatedDateUTC"])}
        for item in STORE.books.items
    ]
    return page(request, rows, "Items")
