"""Map, filter, branch, switch, lookup, merge, split and debug, on a fake context."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sdk import FanOut, PermanentError, ReviewRequired, Route
from connectors.sdk.registry import node_types
from connectors.sdk.testing import FakeContext, run_node

ORDER = {
    "order_id": "PO-1",
    "lines": [{"sku": "MUG-01", "qty": 2, "price": "12.50"}, {"sku": "TEE-02", "qty": 1, "price": "99.00"}],
}


def test_map_expression_and_trigger_binding() -> None:
    out = run_node(
        "builtin.map",
        ORDER,
        config={"expression": '{"id": order_id, "total": $sum(lines.($number(price) * qty)), "src": $trigger.source}'},
        trigger={"source": "api"},
    )
    assert out == {"id": "PO-1", "total": 124, "src": "api"}


def test_map_fields_mode_builds_nested_objects() -> None:
    config = {
        "mode": "fields",
        "keep_input": True,
        "fields": [{"target": "summary.count", "expression": "$count(lines)"}],
    }
    out = run_node("builtin.map", {"a": 1, "lines": [1, 2]}, config=config)
    assert out == {"a": 1, "lines": [1, 2], "summary": {"count": 2}}


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        pytest.param("$sum(", "expression_syntax", id="syntax"),
        pytest.param("nothing_here", "empty_result", id="empty_result"),
    ],
)
def test_map_errors_name_the_field(expression: str, code: str) -> None:
    with pytest.raises(PermanentError) as caught:
        run_node("builtin.map", ORDER, config={"expression": expression})
    assert (caught.value.code, caught.value.field) == (code, "config.expression")


def test_filter_passes_or_stops() -> None:
    assert run_node("builtin.filter", {"total": 5}, config={"condition": "total > 1"}) == {"total": 5}
    assert run_node("builtin.filter", {"total": 0}, config={"condition": "total > 1"}) == Route({})


def test_branch_routes_to_one_port() -> None:
    assert run_node("builtin.branch", {"total": 120}, config={"condition": "total > 100"}) == Route(
        {"true": {"total": 120}}
    )
    assert run_node("builtin.branch", {"total": 20}, config={"condition": "total > 100"}) == Route(
        {"false": {"total": 20}}
    )


@pytest.mark.parametrize(
    ("mode", "item", "expected"),
    [
        pytest.param("first", {"c": "US", "v": 9}, {"case_1": {"c": "US", "v": 9}}, id="first_match"),
        pytest.param(
            "all", {"c": "US", "v": 9}, {"case_1": {"c": "US", "v": 9}, "case_2": {"c": "US", "v": 9}}, id="all_matches"
        ),
        pytest.param("first", {"c": "CA", "v": 1}, {"default": {"c": "CA", "v": 1}}, id="default"),
    ],
)
def test_switch(mode: str, item: Any, expected: Any) -> None:
    config = {
        "mode": mode,
        "cases": [{"port": "case_1", "condition": 'c = "US"'}, {"port": "case_2", "condition": "v > 5"}],
    }
    assert run_node("builtin.switch", item, config=config) == Route(expected)


TABLE = [{"key": "MUG-01", "value": "MUG"}]


def test_lookup_found_and_missing_policies() -> None:
    config = {"table": TABLE, "key_expression": "sku", "target": "xero.item_code"}
    assert run_node("builtin.lookup", {"sku": "MUG-01"}, config=config) == {
        "sku": "MUG-01",
        "xero": {"item_code": "MUG"},
    }
    assert run_node("builtin.lookup", {"sku": "X"}, config={**config, "missing": "default", "default_value": "MISC"})[
        "xero"
    ] == {"item_code": "MISC"}
    with pytest.raises(ReviewRequired, match="'X' is not in the lookup table"):
        run_node("builtin.lookup", {"sku": "X"}, config=config)
    with pytest.raises(PermanentError) as caught:
        run_node("builtin.lookup", {"sku": "X"}, config={**config, "missing": "fail"})
    assert caught.value.details == {"key": "X"}


@pytest.mark.parametrize(
    ("mode", "item", "expected"),
    [
        pytest.param("merge_objects", {"a": {"x": 1, "y": 1}, "b": {"y": 2}}, {"x": 1, "y": 2}, id="merge_objects"),
        pytest.param("append", {"a": 1, "b": 2}, [1, 2], id="append"),
        pytest.param("pick_first", {"b": 2}, 2, id="pick_first"),
    ],
)
def test_merge(mode: str, item: Any, expected: Any) -> None:
    assert run_node("builtin.merge", item, config={"mode": mode}) == expected


def test_split_fans_out_with_keys_and_stops_on_empty() -> None:
    out = run_node(
        "builtin.split", {"lines": [{"id": "a"}, {"id": "b"}]}, config={"path": "lines", "key_expression": "id"}
    )
    assert out == FanOut(items=[{"id": "a"}, {"id": "b"}], keys=["a", "b"])
    context = FakeContext(config={"path": "lines"})
    assert node_types.get("builtin.split").execute(context, {"lines": []}) == Route({})
    assert context.logs == [("nothing to split", {})]
    with pytest.raises(PermanentError, match="repeat"):
        run_node("builtin.split", [{"id": 1}, {"id": 1}], config={"key_expression": "id"})
    with pytest.raises(PermanentError, match="not an array"):
        run_node("builtin.split", {"lines": 3}, config={"path": "lines"})


def test_debug_logs_and_passes_on() -> None:
    context = FakeContext(config={"label": "order", "expression": "order_id"})
    assert node_types.get("builtin.debug").execute(context, ORDER) == ORDER
    assert context.logs == [("order", {"value": "PO-1"})]


def test_every_builtin_type_is_well_formed() -> None:
    import json

    from jsonschema import Draft202012Validator

    builtins = [t for t in node_types.all() if t.type.startswith("builtin.")]
    assert len(builtins) == 12
    for node_type in builtins:
        Draft202012Validator.check_schema(dict(node_type.config_schema))
        json.dumps(node_type.describe())
        for name, prop in node_type.config_schema.get("properties", {}).items():
            assert prop.get("title"), f"{node_type.type}.{name} has no title for its form field"
