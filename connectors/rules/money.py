"""Money as Decimal: amounts from text, and an accounting document's total the way Xero computes it.

Xero rounds each line's amount (quantity x unit - discount) and each line's tax
to the cent, half away from zero, and adds them up (``line`` rounding). A
marketplace computes its tax on its own charges, so the two totals can differ
by a cent or two; :func:`rounding_line` makes that difference an explicit line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.sdk import PermanentError

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_decimal(value: Any, field: str) -> Decimal:
    """An exact amount from text or an integer (floats are refused: they lose cents).

    Raises:
        PermanentError: not an amount; ``field`` names where it was.
    """
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise PermanentError(f"{field} {value!r} is not an amount", code="rules.not_an_amount", field=field) from None
    if not amount.is_finite():
        raise PermanentError(f"{field} {value!r} is not an amount", code="rules.not_an_amount", field=field)
    return amount


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def document_total(
    lines: Sequence[Mapping[str, Any]], amount_types: str, tax_rates: Mapping[str, Decimal], *, rounding: str = "line"
) -> Decimal:
    """What the accounting system will total these lines to.

    ``tax_rates`` maps a tax type to its percentage; a line without a tax type
    (or with one not listed) carries no tax.
    """
    net_total = tax_total = unrounded_tax = Decimal(0)
    for index, line in enumerate(lines):
        where = f"input.lines[{index}]"
        gross = to_decimal(line.get("quantity", 1), f"{where}.quantity") * to_decimal(
            line.get("unit_amount", 0), f"{where}.unit_amount"
        )
        if line.get("discount_amount") not in (None, ""):
            gross -= to_decimal(line["discount_amount"], f"{where}.discount_amount")
        amount = cents(gross)
        rate = tax_rates.get(str(line.get("tax_type") or ""), Decimal(0)) if amount_types != "NoTax" else Decimal(0)
        if amount_types == "Inclusive":
            tax = amount * rate / (HUNDRED + rate)
            net_total += amount - cents(tax)
        else:
            tax = amount * rate / HUNDRED if amount_types == "Exclusive" else Decimal(0)
            net_total += amount
        tax_total += cents(tax)
        unrounded_tax += tax
    if rounding == "total":
        tax_total = cents(unrounded_tax)
    return net_total + tax_total


def rounding_line(
    difference: Decimal, *, account_code: str, tax_type: str, description: str = "Rounding"
) -> dict[str, Any]:
    """A line that carries ``difference`` (expected - computed) untaxed onto the rounding account."""
    return {
        "description": description,
        "quantity": "1",
        "unit_amount": str(difference),
        "account_code": account_code,
        "tax_type": tax_type or None,
    }
