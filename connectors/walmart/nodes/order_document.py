"""A Walmart order (or its refunds) as a neutral accounting document: lines, taxes and totals in Decimal.

Walmart gives every order line's charges (the product, its shipping, a
promotion as a negative product charge) with the tax Walmart collected on
each. The document keeps one line per order line (discounts as its
``discount_amount``), shipping as its own line, the tax Walmart collected per
line (``source_tax``), a ``tax_key`` for the tax map (the ship-to state) and
``expected_total`` = product + shipping + tax - discounts of the open lines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sdk import NodeType, PermanentError, register
from connectors.walmart.nodes.common import line_status

ZERO = Decimal(0)
UNIT_PLACES = Decimal("0.0001")


def _amount(money: Any, where: str) -> Decimal:
    try:
        return Decimal(str((money or {}).get("amount", "0")))
    except (InvalidOperation, AttributeError):
        raise PermanentError(f"{where} is not an amount", code="walmart.bad_amount", field="input") from None


def _day(ms: Any) -> str:
    return dt.datetime.fromtimestamp(int(ms) / 1000, tz=dt.UTC).date().isoformat()


def _number(pattern: str, order: dict[str, Any], date: str) -> str:
    values = {
        "purchaseOrderId": order["purchaseOrderId"],
        "customerOrderId": order.get("customerOrderId", ""),
        "date": date,
    }
    number = pattern
    for name, value in values.items():
        number = number.replace("{" + name + "}", str(value))
    return number[:255]


def _tax_key(order: dict[str, Any]) -> str:
    return str(((order.get("shippingInfo") or {}).get("postalAddress") or {}).get("state") or "").upper()


def _unit(total: Decimal, quantity: Decimal) -> tuple[str, str]:
    """``(quantity, unit_amount)`` whose product is exactly ``total`` (else one unit of the whole)."""
    if quantity > 0:
        unit = (total / quantity).quantize(UNIT_PLACES)
        if unit * quantity == total:
            return str(quantity.normalize()), str(unit.normalize() if unit == unit.to_integral() else unit)
    return "1", str(total)


def order_lines(order: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Decimal]]:
    """The open lines as document lines, and the totals by kind."""
    lines: list[dict[str, Any]] = []
    totals = {"product": ZERO, "shipping": ZERO, "discount": ZERO, "tax": ZERO, "other": ZERO}
    tax_key = _tax_key(order)
    for line in order["orderLines"]["orderLine"]:
        if line_status(line) == "Cancelled":
            continue
        number, name, sku = line["lineNumber"], line["item"]["productName"], line["item"]["sku"]
        where = f"order line {number}"
        product = discount = product_tax = ZERO
        extra: list[dict[str, Any]] = []
        for charge in line["charges"]["charge"]:
            value = _amount(charge.get("chargeAmount"), where)
            tax = _amount((charge.get("tax") or {}).get("taxAmount"), where)
            totals["tax"] += tax
            kind = str(charge.get("chargeType", "PRODUCT")).upper()
            if kind == "PRODUCT" and value < 0:
                discount -= value
                product_tax += tax
            elif kind == "PRODUCT":
                product += value
                product_tax += tax
            else:
                label = "shipping" if kind == "SHIPPING" else str(charge.get("chargeName") or kind).lower()
                totals["shipping" if kind == "SHIPPING" else "other"] += value
                if value != 0 or tax != 0:
                    extra.append(
                        {"line_number": number, "charge_type": kind, "description": f"{name} - {label}",
                         "quantity": "1", "unit_amount": str(value), "tax_key": tax_key, "source_tax": str(tax)}
                    )  # fmt: skip
        totals["product"] += product
        totals["discount"] += discount
        quantity, unit = _unit(product, Decimal(str(line["orderLineQuantity"]["amount"])))
        document_line = {
            "line_number": number,
            "charge_type": "PRODUCT",
            "sku": sku,
            "description": name,
            "quantity": quantity,
            "unit_amount": unit,
            "tax_key": tax_key,
            "source_tax": str(product_tax),
        }
        if discount:
            document_line["discount_amount"] = str(discount)
        lines.append(document_line)
        lines.extend(extra)
    return lines, totals


def refund_documents(order: dict[str, Any]) -> list[dict[str, Any]]:
    """One document per Walmart refund on the order: exactly the refunded charges and their tax (positive)."""
    documents = []
    tax_key = _tax_key(order)
    for line in order["orderLines"]["orderLine"]:
        refund = line.get("refund")
        if not refund:
            continue
        name = line["item"]["productName"]
        lines, total, currency = [], ZERO, ""
        for entry in refund["refundCharges"]["refundCharge"]:
            charge = entry["charge"]
            value = -_amount(charge.get("chargeAmount"), "refund")
            tax = -_amount((charge.get("tax") or {}).get("taxAmount"), "refund")
            currency = currency or str((charge.get("chargeAmount") or {}).get("currency") or "")
            kind = str(charge.get("chargeType", "PRODUCT")).upper()
            lines.append(
                {"line_number": line["lineNumber"], "charge_type": kind, "sku": line["item"]["sku"],
                 "description": f"Refund: {name}" + (" - shipping" if kind == "SHIPPING" else ""),
                 "quantity": "1", "unit_amount": str(value), "tax_key": tax_key, "source_tax": str(tax),
                 "reason": entry.get("refundReason", "")}
            )  # fmt: skip
            total += value + tax
        documents.append(
            {
                "refund_id": str(refund["refundId"]),
                "purchase_order_id": order["purchaseOrderId"],
                #: The sale's reference: what finds the invoice the refund credits.
                "reference": order["purchaseOrderId"],
                "comment": refund.get("refundComments", ""),
                "currency_code": currency,
                "lines": lines,
                "expected_total": str(total),
            }
        )
    return documents


@register
class OrderDocument(NodeType):
    """Turns a Walmart order into an accounting document (or its refunds into credit documents)."""

    type = "walmart.order.document"
    title = "Walmart order as accounting document"
    category = "Walmart"
    icon = "file-text"
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mode": {
                "enum": ["order", "refunds"],
                "title": "Make",
                "description": "order: the sale (open lines); refunds: one credit document per refund.",
                "default": "order",
            },
            "number_pattern": {
                "type": "string",
                "title": "Document number pattern",
                "description": "{purchaseOrderId}, {customerOrderId} and {date} are filled in.",
                "default": "WM-{purchaseOrderId}",
            },
        },
    }
    input_schema = {"type": "object", "required": ["purchaseOrderId", "orderLines"]}

    def execute(self, context: Any, item: Any) -> Any:
        if context.config.get("mode") == "refunds":
            return {"purchase_order_id": item["purchaseOrderId"], "refunds": refund_documents(item)}
        lines, totals = order_lines(item)
        currencies = {
            str(c["chargeAmount"]["currency"])
            for line in item["orderLines"]["orderLine"]
            for c in line["charges"]["charge"]
            if c.get("chargeAmount", {}).get("currency")
        }
        if len(currencies) > 1:
            raise PermanentError(
                f"the order mixes currencies {sorted(currencies)}", code="walmart.mixed_currency", field="input"
            )
        shipping = item.get("shippingInfo") or {}
        expected = totals["product"] + totals["shipping"] + totals["other"] + totals["tax"] - totals["discount"]
        date = _day(item["orderDate"])
        return {
            "purchase_order_id": item["purchaseOrderId"],
            "document_number": _number(context.config.get("number_pattern") or "WM-{purchaseOrderId}", item, date),
            "customer_order_id": item.get("customerOrderId"),
            "date": date,
            "currency_code": next(iter(currencies), "USD"),
            "buyer": {
                "name": (shipping.get("postalAddress") or {}).get("name"),
                "email": item.get("customerEmailId"),
                "phone": shipping.get("phone"),
                "address": shipping.get("postalAddress"),
            },
            "lines": lines,
            "totals": {name: str(value) for name, value in totals.items()},
            "expected_total": str(expected),
        }
