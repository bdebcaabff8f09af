from typing import Any

import django.db.models.deletion
from django.db import migrations, models

#: Django's pattern-matching twin of a character primary key's index. Ledger keys are hashes,
#: never matched with LIKE; the index only cost a write per entry and per update.
LIKE_INDEX = "engine_effect_key_9d9348eb_like"


def drop_like_index(apps: object, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LIKE_INDEX}")


def restore_like_index(apps: object, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON engine_effect (key varchar_pattern_ops)")


class Migration(migrations.Migration):
    dependencies = [
        ("designer", "0001_initial"),
        ("engine", "0008_fewer_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="effect",
            name="workflow",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="effects",
                to="designer.workflow",
            ),
        ),
        migrations.RunPython(drop_like_index, restore_like_index),
    ]
