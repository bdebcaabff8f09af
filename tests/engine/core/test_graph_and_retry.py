"""Graph ordering, input gathering and retry delays."""

from __future__ import annotations

import pytest

from connectors.sdk.nodes import RetryPolicy
from engine.core.graph import gather_input, generations, parse_document
from engine.core.retry import retry_delay
from tests.support.flows import document, edge, manual, node


def diamond() -> dict:
    return document(
        [manual("a"), node("c", "test.count"), node("b", "test.count"), node("d", "test.join")],
        [edge("a", "b"), edge("a", "c"), edge("b", "d", target_port="left"), edge("c", "d", target_port="right")],
    )


def test_topological_order_breaks_ties_by_document_order() -> None:
    graph = parse_document(diamond())
    assert graph.order == ["a", "c", "b", "d"]
    assert generations(graph) == [["a"], ["b", "c"], ["d"]]


def test_parse_refuses_cycles() -> None:
    with pytest.raises(ValueError, match="cycle"):
        parse_document(document([node("a", "test.count"), node("b", "test.count")], [edge("a", "b"), edge("b", "a")]))


def test_gather_single_port_gets_the_value() -> None:
    graph = parse_document(diamond())
    assert gather_input(graph.incoming("b"), {"a": {"out": 1}}, ["in"]) == (True, 1)


def test_gather_multi_port_gets_a_mapping_of_the_ports_that_received_data() -> None:
    graph = parse_document(diamond())
    assert gather_input(graph.incoming("d"), {"b": {"out": 1}}, ["left", "right"]) == (True, {"left": 1})
    assert gather_input(graph.incoming("d"), {"b": {"out": 1}, "c": {"out": 2}}, ["left", "right"]) == (
        True,
        {"left": 1, "right": 2},
    )


def test_gather_inactive_when_no_edge_carried_data() -> None:
    graph = parse_document(diamond())
    assert gather_input(graph.incoming("b"), {"a": {"true": 1}}, ["in"]) == (False, None)


@pytest.mark.parametrize(("attempt", "low", "high"), [(1, 1.0, 2.0), (2, 2.0, 4.0), (3, 4.0, 8.0), (4, 5.0, 10.0)])
def test_backoff_doubles_with_jitter_and_a_cap(attempt: int, low: float, high: float) -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=2.0, max_delay=10.0)
    for _ in range(50):
        delay = retry_delay(policy, attempt)
        assert delay is not None and low <= delay <= high


def test_retry_after_wins_and_attempts_run_out() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert retry_delay(policy, 1, retry_after=7) == 7.0
    assert retry_delay(policy, 3) is None
