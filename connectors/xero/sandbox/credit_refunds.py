"""Refunds of credit notes in the Xero sandbox: a Payment with ``CreditNote`` instead of ``Invoice``.

As in Xero, money paid out against an ACCRECCREDIT credit note (ARCREDITPAYMENT)
reduces its remaining credit; it cannot exceed it, and a fully refunded credit
note becomes PAID.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from connectors.xero.sandbox.elements import stamp
from connectors.xero.sandbox.rules import decimal
from connectors.xero.sandbox.store import STORE

Prepare = Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]]
Commit = Callable[[dict[str, Any]], None]


def _prepare(element: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    books = STORE.books
    errors: list[str] = []
    note = books.credit_notes.get(str((element.get("CreditNote") or {}).get("CreditNoteID")))
    if note is None:
        errors.append("Credit note could not be found.")
    elif note["Status"] != "AUTHORISED":
        errors.append(f"Payments can only be made against Authorised documents (this one is {note['Status']}).")
    code = (element.get("Account") or {}).get("Code")
    account = next((a for a in books.accounts if a["Code"] == code), None)
    if account is None or not account.get("EnablePaymentsToAccount"):
        errors.append("Account code is not valid for payments: use a bank account or one with payments enabled.")
    amount = decimal(element.get("Amount"), "Amount", errors)
    if amount <= 0:
        errors.append("Payment amount must be greater than zero.")
    elif note is not None and amount > note["RemainingCredit"]:
        errors.append("Payment amount exceeds the amount outstanding on this document.")
    record = {
        **element,
        "PaymentID": str(uuid.uuid4()),
        "Amount": amount,
        "Status": "AUTHORISED",
        "PaymentType": "ARCREDITPAYMENT",
        "CreditNote": {"CreditNoteID": note["CreditNoteID"]} if note else element.get("CreditNote"),
        "Date": element.get("Date") or time.strftime("%Y-%m-%d"),
    }
    return record, errors


def _commit(record: dict[str, Any]) -> None:
    books = STORE.books
    note = books.credit_notes[record["CreditNote"]["CreditNoteID"]]
    note["RemainingCredit"] -= record["Amount"]
    note.setdefault("Payments", []).append(
        {"PaymentID": record["PaymentID"], "Amount": record["Amount"], "Date": record["Date"]}
    )
    if note["RemainingCredit"] == 0:
        note["Status"] = "PAID"
    stamp(note)
    stamp(record)
    books.payments[record["PaymentID"]] = record


def or_credit_refund(prepare: Prepare, commit: Commit) -> tuple[Prepare, Commit]:
    """Payment handlers that also take refunds of credit notes."""

    def prepare_any(element: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        return _prepare(element) if element.get("CreditNote") else prepare(element)

    def commit_any(record: dict[str, Any]) -> None:
        (_commit if record.get("CreditNote") else commit)(record)

    return prepare_any, commit_any
