from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from connectors.rules.finance import alert_finance
from connectors.rules.money import cents, document_total, rounding_line, to_decimal
from connectors.rules.nodes.common import ACCOUNTING_CONNECTION, OPTIONS_FROM, accounting_kind, remote_choices
from connectors.sdk import NodeType, PermanentError, register


def _tax_rates(context: Any) -> dict[str, Decimal]:
    source = str(context.config.get("options_from") or "xero.invoice.create")
    return {
        str(choice["value"]): Decimal(str(choice["rate"]))
        for choice in remote_choices(context.connection(), source, "tax_rate")
    }


@register
class BalanceTotal(NodeType):
    """Makes the document total what the source says it is, to the cent.

    Computes the total the accounting system will arrive at (its rounding, its
    tax rates) and, when that differs from ``expected_total`` by no more than
    the tolerance, adds an explicit rounding line on the rounding account. A
    larger difference is an error in the data: the run fails with both totals.
    """

    type = "rules.money.balance"
    title = "Balance to the source total"
    category = "Business rules"
    icon = "scale"
    option_sources = ("rounding_account", "rounding_tax_type")
    config_schema = {
        "type": "object",
        "required": ["rounding_account"],
        "additionalProperties": False,
        "properties": {
            "connection": ACCOUNTING_CONNECTION,
            "options_from": OPTIONS_FROM,
            "expected_total_field": {"type": "string", "title": "Source total field", "default": "expected_total"},
            "rounding_account": {"type": "string", "title": "Rounding account", "default": "4900"},
            "rounding_tax_type": {"type": "string", "title": "Rounding line tax type", "default": "NONE"},
            "tolerance": {"type": "string", "title": "Largest difference to absorb", "default": "0.05"},
            "tax_rounding": {
                "enum": ["line", "total"],
                "title": "The books round tax per",
                "default": "line",
            },
        },
    }

    def connection_kind_for(self, config: Any) -> str | None:
        return accounting_kind(config)

    def options(self, name: str, connection: Any | None, config: Any) -> list[dict[str, Any]]:
        source = str(config.get("options_from") or "xero.invoice.create")
        if connection is None:
            return []
        if name == "rounding_account":
            return remote_choices(connection, source, "account_code")
        if name == "rounding_tax_type":
            return remote_choices(connection, source, "tax_type")
        raise KeyError(name)

    def execute(self, context: Any, item: Any) -> Any:
        config = context.config
        field = str(config.get("expected_total_field", "expected_total"))
        expected = to_decimal(item.get(field), f"input.{field}")
        amount_types = str(item.get("line_amount_types") or "Exclusive")
        rates = _tax_rates(context) if amount_types != "NoTax" else {}
        computed = document_total(
            item.get("lines", []), amount_types, rates, rounding=str(config.get("tax_rounding", "line"))
        )
        difference = cents(expected) - computed
        result = copy.deepcopy(item)
        result["rounding"] = str(difference)
        if difference == 0:
            return result
        tolerance = to_decimal(config.get("tolerance", "0.05"), "config.tolerance")
        if abs(difference) > tolerance:
            raise PermanentError(
                f"the lines total {computed} but the source says {cents(expected)} "
                f"({difference} apart, more than the {tolerance} rounding tolerance): check the lines",
                code="rules.total_mismatch",
                field=f"input.{field}",
                details={"computed": str(computed), "expected": str(cents(expected))},
            )
        result["lines"] = [
            *result.get("lines", []),
            rounding_line(
                difference,
                account_code=str(config.get("rounding_account", "4900")),
                tax_type=str(config.get("rounding_tax_type", "NONE")),
            ),
        ]
        context.log("rounding line added", difference=str(difference))
        return result


@register
class CheckBookCodes(NodeType):
    """Checks every line's account code and tax type exist in the books before anything is posted.

    A missing code is something only finance can fix: they get an email and a
    webhook (once per code and day), and the run goes to the dead-letter queue
    with the reason, to be replayed once the code exists.
    """

    type = "rules.books.check_codes"
    title = "Check account codes and tax types"
    category = "Business rules"
    icon = "alert-triangle"
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "connection": ACCOUNTING_CONNECTION,
            "options_from": OPTIONS_FROM,
            "finance_emails": {
                "type": "array",
                "title": "Finance contact emails",
                "items": {"type": "string", "format": "email"},
                "default": [],
            },
            "finance_webhook": {"type": "string", "title": "Finance webhook URL", "default": ""},
        },
    }

    def connection_kind_for(self, config: Any) -> str | None:
        return accounting_kind(config)

    def execute(self, context: Any, item: Any) -> Any:
        source = str(context.config.get("options_from") or "xero.invoice.create")
        connection = context.connection()
        accounts = {str(c["value"]) for c in remote_choices(connection, source, "account_code")}
        tax_types = {str(c["value"]) for c in remote_choices(connection, source, "tax_type")}
        missing: list[tuple[str, str]] = []
        for line in item.get("lines", []):
            if line.get("account_code") and str(line["account_code"]) not in accounts:
                missing.append(("account code", str(line["account_code"])))
            if line.get("tax_type") and str(line["tax_type"]) not in tax_types:
                missing.append(("tax type", str(line["tax_type"])))
        if not missing:
            return item
        problems = sorted(set(missing))
        listed = ", ".join(f"{kind} {code}" for kind, code in problems)
        message = f"the books ({connection.name}) have no {listed}: add it in the books or fix the mapping tables"
        config = context.config
        for kind, code in problems:
            alert_finance(
                workflow_id=str(context.workflow_id),
                run_id=str(context.run_id),
                key=f"{kind}:{code}",
                message=f"{kind} {code} does not exist in {connection.name}; documents that use it are held",
                emails=list(config.get("finance_emails") or []),
                webhook_url=str(config.get("finance_webhook") or ""),
            )
        raise PermanentError(message, code="rules.books_code_missing", field="input.lines", details={"missing": listed})
