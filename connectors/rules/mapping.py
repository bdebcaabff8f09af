"""Mapping tables: look a key up, and apply the table's policy when it has no entry."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.rules.models import MappingTable
from connectors.sdk import PermanentError, ReviewRequired


@dataclass(frozen=True)
class LoadedTable:
    """A table read once per node execution: its entries, default and policy."""

    name: str
    entries: dict[str, str]
    default_value: str
    missing_policy: str

    def reversed(self) -> LoadedTable:
        """Value → key (e.g. the Xero item code back to the Walmart SKU); the first key wins."""
        flipped: dict[str, str] = {}
        for key, value in sorted(self.entries.items()):
            flipped.setdefault(value, key)
        return LoadedTable(self.name, flipped, self.default_value, self.missing_policy)

    def lookup(self, key: str, *, field: str, what: str = "key") -> str:
        """The value for ``key``, else the policy's answer.

        Raises:
            ReviewRequired: no entry and the policy is ``review`` (or ``default`` without a default).
            PermanentError: no entry and the policy is ``fail``.
        """
        if key in self.entries:
            return self.entries[key]
        if self.missing_policy == MappingTable.MissingPolicy.DEFAULT and self.default_value:
            return self.default_value
        message = (
            f"{what} {key!r} has no entry in the mapping table {self.name!r}: "
            "add it under Mapping tables, then replay the run"
        )
        if self.missing_policy == MappingTable.MissingPolicy.FAIL:
            raise PermanentError(message, code="rules.mapping_missing", field=field, details={"key": key})
        raise ReviewRequired(message, code="rules.mapping_missing", field=field, details={"key": key})


def load_table(organization_id: int, reference: str | int, *, field: str = "config.table") -> LoadedTable:
    """The organisation's table by id or name.

    Raises:
        PermanentError: no such table (the message says which).
    """
    tables = MappingTable.objects.filter(organization_id=organization_id)
    text = str(reference).strip()
    table = tables.filter(pk=int(text)).first() if text.isdigit() else None
    table = table or tables.filter(name=text).first()
    if table is None:
        raise PermanentError(
            f"the mapping table {text!r} does not exist: create it under Mapping tables or choose another",
            code="rules.table_unknown",
            field=field,
        )
    entries = dict(table.entries.values_list("key", "value"))
    return LoadedTable(table.name, entries, table.default_value, table.missing_policy)
