from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from connectors.rules.nodes.common import get_path, set_path
from connectors.rules.rates import find_rate
from connectors.rules.scope import organization_id
from connectors.sdk import NodeType, PermanentError, ReviewRequired, register


def _date(value: Any) -> dt.date:
    text = str(value or "")[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PermanentError(
            f"the document date {value!r} is not YYYY-MM-DD", code="rules.bad_date", field="config.date_field"
        ) from None


@register
class CurrencyRate(NodeType):
    """Sets the document's currency rate from the rates table when its currency is not the base currency.

    Uses the latest rate on or before the document date (at most ``max_age_days``
    older, for weekends and holidays) and records the rate's own date and source.
    A missing rate never becomes 1.0: the run waits for review (or fails).
    """

    type = "rules.currency.rate"
    title = "Currency rate"
    category = "Business rules"
    icon = "dollar-sign"
    config_schema = {
        "type": "object",
        "required": ["base_currency"],
        "additionalProperties": False,
        "properties": {
            "base_currency": {"type": "string", "title": "Organisation's base currency", "default": "USD"},
            "currency_field": {"type": "string", "title": "Currency field", "default": "currency_code"},
            "date_field": {"type": "string", "title": "Date field", "default": "date"},
            "rate_field": {"type": "string", "title": "Write the rate to", "default": "currency_rate"},
            "max_age_days": {
                "type": "integer",
                "title": "Use a rate up to this many days old",
                "minimum": 0,
                "maximum": 31,
                "default": 4,
            },
            "missing_policy": {"enum": ["review", "fail"], "title": "When no rate is found", "default": "review"},
        },
    }
    sample_input = {"currency_code": "CAD", "date": "2026-12-01"}

    def execute(self, context: Any, item: Any) -> Any:
        config = context.config
        base = str(config.get("base_currency", "USD")).upper()
        currency = str(get_path(item, config.get("currency_field", "currency_code")) or "").upper()
        if not currency or currency == base:
            return item
        on = _date(get_path(item, config.get("date_field", "date")))
        max_age = int(config.get("max_age_days", 4))
        found = find_rate(organization_id(context), base, currency, on, max_age_days=max_age)
        if found is None:
            message = (
                f"no {base}→{currency} rate for {on} (or the {max_age} days before) in Currency rates: "
                "import the day's rates, then replay the run"
            )
            error = PermanentError if config.get("missing_policy") == "fail" else ReviewRequired
            raise error(
                message, code="rules.rate_missing", details={"base": base, "currency": currency, "date": str(on)}
            )
        result = copy.deepcopy(item)
        field = str(config.get("rate_field", "currency_rate"))
        set_path(result, field, str(found.rate))
        set_path(
            result,
            field + "_info",
            {
                "date": found.date.isoformat(),
                "source": found.source,
                "pair": f"{base}/{currency}",
                "inverted": found.inverted,
            },
        )
        return result
