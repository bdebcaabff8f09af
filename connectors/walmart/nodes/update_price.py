from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sdk import NodeType, PermanentError, register
from connectors.walmart.nodes.common import CONNECTION_FIELD, client_for

CENT = Decimal("0.01")


def price_of(value: Any, field: str = "input.price") -> Decimal:
    """A positive amount with at most two decimals (Walmart refuses anything else)."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PermanentError(f"price {value!r} is not an amount", field=field) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise PermanentError(f"price {value!r} must be positive, with at most two decimals", field=field)
    return amount


@register
class UpdatePrice(NodeType):
    """Sets a SKU's price on Walmart (``PUT /v3/price``).

    Setting a price is a set-to-value, so a repeat is harmless; the effect ledger
    still keys it by SKU, price and run, so a retried or replayed run sends it once.
    """

    type = "walmart.price.update"
    title = "Update Walmart price"
    category = "Walmart"
    icon = "tag"
    connection_kind = "walmart"
    side_effects = True
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": CONNECTION_FIELD,
            "price_type": {"enum": ["BASE", "REDUCED", "CLEARANCE"], "title": "Price type", "default": "BASE"},
        },
    }
    input_schema = {
        "type": "object",
        "required": ["sku", "price"],
        "properties": {
            "sku": {"type": "string", "minLength": 1},
            "price": {"type": ["string", "number"], "description": 'e.g. "12.99"'},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "USD"},
        },
    }
    output_schema = {
        "type": "object",
        "required": ["sku", "price"],
        "properties": {"sku": {"type": "string"}, "price": {"type": "string"}, "message": {"type": "string"}},
    }
    sample_input = {"sku": "MUG-01", "price": "12.99", "currency": "USD"}

    def execute(self, context: Any, item: Any) -> Any:
        amount = price_of(item["price"])
        currency = str(item.get("currency") or "USD")
        effect = context.effect("price", item["sku"], str(amount), currency, context.run_id)
        if effect.previous is not None:
            return dict(effect.previous)
        answer = client_for(context).update_price(
            item["sku"], amount, currency, str(context.config.get("price_type", "BASE"))
        )
        result = {"sku": item["sku"], "price": str(amount), "currency": currency, "message": answer.get("message", "")}
        effect.record(result, remote_id=item["sku"])
        return result
