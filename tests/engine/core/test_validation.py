"""Document validation: each kind of problem is reported with its node and field."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sdk.registry import node_types
from engine.core.validation import validate_document
from tests.support.flows import chain, document, edge, manual, node


def codes(doc: Any) -> list[tuple[str, str | None, str | None]]:
    return [(issue.code, issue.node, issue.field) for issue in validate_document(doc, node_types)]


def test_a_valid_chain_has_no_issues() -> None:
    assert codes(chain(manual(), node("count", "test.count"))) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        pytest.param({"nodes": [], "edges": []}, [("document", None, None)], id="missing_schema_version"),
        pytest.param(
            {"schema": 2, "nodes": [], "edges": []}, [("document", None, "schema")], id="unknown_schema_version"
        ),
        pytest.param(
            {"schema": 1, "nodes": [{"id": "a b", "type": "x"}], "edges": []},
            [("document", None, "nodes.0.id")],
            id="bad_node_id",
        ),
    ],
)
def test_document_schema_errors(doc: Any, expected: list[Any]) -> None:
    assert codes(doc) == expected


def test_unknown_node_type_names_the_node_and_says_what_to_do() -> None:
    issues = validate_document(chain(manual(), node("x", "nowhere.node")), node_types)
    assert [(i.code, i.node, i.field) for i in issues] == [("unknown_type", "x", "type")]
    assert "INSTALLED_APPS" in issues[0].message


def test_config_errors_point_at_the_field() -> None:
    doc = chain(manual(), node("flaky", "test.flaky", failures="many"))
    assert codes(doc) == [("config", "flaky", "config.failures")]


def test_duplicate_node_ids() -> None:
    doc = document([manual("a"), manual("a")], [])
    assert ("duplicate_node", "a", None) in codes(doc)


def test_dangling_edge() -> None:
    doc = document([manual()], [edge("start", "ghost")])
    assert codes(doc) == [("dangling_edge", None, "edges.start.out->ghost.in.target")]


def test_unknown_ports_on_both_ends() -> None:
    doc = document([manual(), node("c", "test.count")], [edge("start", "c", source_port="yes", target_port="nope")])
    found = codes(doc)
    assert ("unknown_port", "start", "edges.start.yes->c.nope.source_port") in found
    assert ("unknown_port", "c", "edges.start.yes->c.nope.target_port") in found


def test_cycle_is_reported_with_its_path() -> None:
    doc = document(
        [manual(), node("a", "test.count"), node("b", "test.count")],
        [edge("start", "a"), edge("a", "b"), edge("b", "a")],
    )
    issues = [i for i in validate_document(doc, node_types) if i.code == "cycle"]
    assert len(issues) == 1
    assert "a → b → a" in issues[0].message or "b → a → b" in issues[0].message


def test_required_input_must_be_wired_optional_need_not() -> None:
    doc = document([manual(), node("j", "test.join")], [edge("start", "j", target_port="right")])
    assert codes(doc) == [("unwired_input", "j", "inputs.left")]
    doc = document([manual(), node("j", "test.join")], [edge("start", "j", target_port="left")])
    assert codes(doc) == []


def test_a_flow_needs_a_trigger() -> None:
    assert codes(document([node("c", "test.count")], [])) == [
        ("unwired_input", "c", "inputs.in"),
        ("no_trigger", None, None),
    ]


def test_node_version_newer_than_server() -> None:
    newer = {**node("c", "test.count"), "version": 9}
    doc = chain(manual(), newer)
    assert codes(doc) == [("unknown_version", "c", "version")]
