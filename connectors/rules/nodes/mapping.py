from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from connectors.rules.mapping import load_table
from connectors.rules.nodes.common import TABLE_FIELD, elements, get_path, set_path, table_choices
from connectors.rules.scope import organization_id
from connectors.sdk import NodeType, PermanentError, ReviewRequired, register


@register
class MapValues(NodeType):
    """Looks a field of each element up in a mapping table and writes the result next to it.

    Elements without the key field are left alone (a shipping line has no SKU).
    Keys missing from the table follow the table's policy: the run waits for
    review (every missing key listed), the default is used, or the run fails.
    """

    type = "rules.mapping.lookup"
    title = "Map values (mapping table)"
    category = "Business rules"
    icon = "table"
    description = "SKU → item code, tax jurisdiction → tax type, charge type → account ..."
    option_sources = ("table",)
    config_schema = {
        "type": "object",
        "required": ["table", "key_field", "target_field"],
        "additionalProperties": False,
        "properties": {
            "table": TABLE_FIELD,
            "items_path": {
                "type": "string",
                "title": "List to map",
                "description": "Dotted path of a list in the item, e.g. lines; empty: the item itself.",
                "default": "lines",
            },
            "key_field": {"type": "string", "title": "Key field", "minLength": 1},
            "target_field": {"type": "string", "title": "Write the value to", "minLength": 1},
            "reverse": {
                "type": "boolean",
                "title": "Look up by value (value → key)",
                "description": "Use one table both ways, e.g. Xero item code back to the Walmart SKU.",
                "default": False,
            },
            "what": {"type": "string", "title": "What the key is (for messages)", "default": "key"},
        },
    }
    sample_input = {"lines": [{"sku": "MUG-01"}, {"sku": "TEE-02"}]}

    def options(self, name: str, connection: Any | None, config: Mapping[str, Any]) -> list[dict[str, Any]]:
        if name == "table":
            return table_choices(config)
        raise KeyError(name)

    def execute(self, context: Any, item: Any) -> Any:
        config = context.config
        table = load_table(organization_id(context), config["table"])
        if config.get("reverse"):
            table = table.reversed()
        result = copy.deepcopy(item)
        path = str(config.get("items_path", "lines"))
        key_field, target = str(config["key_field"]), str(config["target_field"])
        what = str(config.get("what") or "key")
        problems: list[tuple[int, ReviewRequired | PermanentError]] = []
        for index, element in enumerate(elements(result, path, "config.items_path")):
            key = get_path(element, key_field)
            if key in (None, ""):
                continue
            field = f"input.{path}[{index}].{key_field}" if path else f"input.{key_field}"
            try:
                set_path(element, target, table.lookup(str(key), field=field, what=what))
            except (ReviewRequired, PermanentError) as exc:
                problems.append((index, exc))
        if problems:
            first = problems[0][1]
            keys = sorted({str(exc.details["key"]) for _, exc in problems})
            message = (
                f"{what} {', '.join(repr(k) for k in keys)} "
                f"{'has' if len(keys) == 1 else 'have'} no entry in the mapping table {table.name!r}: "
                "add them under Mapping tables, then replay the run"
            )
            raise type(first)(message, code=first.code, field=first.field, details={"keys": keys, "table": table.name})
        return result
