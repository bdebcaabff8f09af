"""Leave room in the pages of the tables whose rows are updated soon after they are written.

PostgreSQL can update a row in place (a "HOT" update: no new entry in any
index) when no indexed column changes and the row's page has room for the new
version. A run's lease is taken and given back, a node run gets its result
and a ledger entry its outcome by such updates, but rows written together
fill their pages (the default fill factor is 100), so nearly every one went
to another page with an entry in every index: a run has six. PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

#: Percent of each page new rows may fill; the rest is kept for later versions of its rows.
FILL_FACTORS = {"engine_run": 70, "engine_noderun": 70, "engine_effect": 70}


def _set(apps: Any, schema_editor: Any, *, reset: bool = False) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, percent in FILL_FACTORS.items():
        setting = "RESET (fillfactor)" if reset else f"SET (fillfactor = {int(percent)})"
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} {setting}")


def _reset(apps: Any, schema_editor: Any) -> None:
    _set(apps, schema_editor, reset=True)


class Migration(migrations.Migration):
    dependencies = [("engine", "0009_effect_indexes")]

    operations = [migrations.RunPython(_set, _reset)]
