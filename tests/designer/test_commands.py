"""Management commands: export/import round trip and bootstrap."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from designer.models import Workflow
from tests.support.flows import chain, manual, node


def test_export_then_import_round_trip(make_workflow: Any, tmp_path: Path) -> None:
    workflow = make_workflow(chain(manual(), node("one", "test.count")), name="Round trip")
    target = tmp_path / "flow.json"
    call_command("export_workflow", str(workflow.pk), "--output", str(target))
    assert json.loads(target.read_text())["name"] == "Round trip"
    out = StringIO()
    call_command("import_workflow", str(target), stdout=out)
    assert "Imported 'Round trip'" in out.getvalue()
    assert Workflow.objects.filter(name="Round trip").count() == 2


def test_import_refuses_invalid_files(db: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "ledgerline.workflow",
                "name": "x",
                "document": {"schema": 1, "nodes": [{"id": "a", "type": "nope"}], "edges": []},
            }
        )
    )
    with pytest.raises(CommandError, match="not valid on this server"):
        call_command("import_workflow", str(bad))
    with pytest.raises(CommandError, match="no workflow"):
        call_command("export_workflow", "not-a-uuid")


def test_bootstrap_is_idempotent_and_prints_the_login_once(db: Any) -> None:
    first, second = StringIO(), StringIO()
    call_command("bootstrap", "--username", "boss", stdout=first)
    call_command("bootstrap", "--username", "boss", stdout=second)
    assert "API token:" in first.getvalue() and "password:" in first.getvalue()
    assert "API token:" not in second.getvalue()
    templates = Workflow.objects.filter(is_template=True)
    assert templates.count() >= 1
    assert all(t.versions.count() == 1 for t in templates)
