"""Xero's accounting rules as the sandbox applies them: totals, rounding and validation.

Amounts are Decimal. Line amounts and taxes round to cents half away from zero
(ROUND_HALF_UP), line by line, as Xero does; ``unitdp=4`` allows four decimals
on UnitAmount only.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.xero.sandbox.store import Books

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal(value: Any, field: str, errors: list[str]) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(f"{field} {value!r} is not a number.")
        return Decimal(0)


def tax_rate(books: Books, tax_type: str | None) -> Decimal | None:
    for rate in books.tax_rates:
        if rate["TaxType"] == tax_type and rate["Status"] == "ACTIVE":
            return Decimal(rate["EffectiveRate"])
    return None


def account_codes(books: Books) -> set[str]:
    return {account["Code"] for account in books.accounts if account["Status"] == "ACTIVE"}


def item_by_code(books: Books, code: str) -> dict[str, Any] | None:
    return next((item for item in books.items if item["Code"] == code), None)


def _check_tracking(books: Books, line: dict[str, Any], errors: list[str]) -> None:
    tracking = line.get("Tracking") or []
    if len(tracking) > 2:
        errors.append("A line item can have at most two tracking categories.")
    for entry in tracking:
        category = next(
            (
                c
                for c in books.tracking
                if c["Name"] == entry.get("Name") or c["TrackingCategoryID"] == entry.get("TrackingCategoryID")
            ),
            None,
        )
        if category is None:
            errors.append(f"Tracking category '{entry.get('Name')}' does not exist.")
            continue
        if not any(
            o["Name"] == entry.get("Option") or o["TrackingOptionID"] == entry.get("TrackingOptionID")
            for o in category["Options"]
        ):
            errors.append(f"Tracking option '{entry.get('Option')}' is not valid for category '{category['Name']}'.")


def price_lines(
    books: Books, lines: list[dict[str, Any]], amount_types: str, unitdp: int, errors: list[str]
) -> tuple[Decimal, Decimal]:
    """Validate and price ``lines`` in place; returns ``(SubTotal, TotalTax)``."""
    subtotal = total_tax = Decimal(0)
    codes = account_codes(books)
    for index, line in enumerate(lines):
        where = f"Line {index + 1}: "
        quantity = decimal(line.get("Quantity", 1), where + "Quantity", errors)
        unit = decimal(line.get("UnitAmount", 0), where + "UnitAmount", errors)
        if unit != unit.quantize(Decimal(10) ** -unitdp):
            errors.append(f"{where}UnitAmount {unit} has more than {unitdp} decimal places; use unitdp=4 for four.")
        if line.get("ItemCode"):
            item = item_by_code(books, str(line["ItemCode"]))
            if item is None:
                errors.append(f"Item code '{line['ItemCode']}' is not valid.")
            elif not line.get("AccountCode"):
                line["AccountCode"] = item["SalesDetails"]["AccountCode"]
        if not line.get("AccountCode") or line["AccountCode"] not in codes:
            errors.append(f"Account code '{line.get('AccountCode', '')}' is not a valid code for this document.")
        rate = Decimal(0)
        if amount_types != "NoTax":
            found = tax_rate(books, line.get("TaxType") or "OUTPUT")
            if found is None:
                errors.append(
                    f"The TaxType code '{line.get('TaxType')}' does not exist or cannot be used "
                    "for this type of transaction."
                )
            else:
                rate = found
                line["TaxType"] = line.get("TaxType") or "OUTPUT"
        _check_tracking(books, line, errors)
        gross = quantity * unit
        if line.get("DiscountRate") is not None:
            gross = gross * (HUNDRED - decimal(line["DiscountRate"], where + "DiscountRate", errors)) / HUNDRED
        if line.get("DiscountAmount") is not None:
            gross -= decimal(line["DiscountAmount"], where + "DiscountAmount", errors)
        line_amount = cents(gross)
        if amount_types == "Inclusive":
            tax = cents(line_amount * rate / (HUNDRED + rate))
            net = line_amount - tax
        else:
            tax = cents(line_amount * rate / HUNDRED) if amount_types == "Exclusive" else Decimal(0)
            net = line_amount
        line.update({"Quantity": quantity, "UnitAmount": unit, "LineAmount": line_amount, "TaxAmount": tax})
        line.setdefault("LineItemID", str(uuid.uuid4()))
        subtotal += net
        total_tax += tax
    return subtotal, total_tax
