"""The node-type registry and the catalogue entries it publishes."""

from __future__ import annotations

import json

import pytest

from connectors.sdk import AlreadyRegistered, NodeType, NotRegistered
from connectors.sdk.registry import Registry


class First(NodeType):
    type = "sample.thing"
    title = "Thing"


class Second(NodeType):
    type = "sample.thing"
    title = "Another thing"


def test_duplicates_are_refused_naming_both_classes() -> None:
    registry: Registry[NodeType] = Registry("node type", "type")
    registry.register(First)
    registry.register(First)  # the same class again is harmless (module re-import)
    with pytest.raises(AlreadyRegistered, match=r"'sample.thing' is already registered by .*First.*Second"):
        registry.register(Second)


def test_unknown_ids_say_what_to_check() -> None:
    registry: Registry[NodeType] = Registry("node type", "type")
    with pytest.raises(NotRegistered, match="INSTALLED_APPS"):
        registry.get("nowhere.node")


def test_a_class_without_an_id_is_refused() -> None:
    class Nameless(NodeType):
        title = "No id"

    with pytest.raises(ValueError, match="has no 'type'"):
        Registry[NodeType]("node type", "type").register(Nameless)


def test_register_temporarily_and_shared_instances() -> None:
    registry: Registry[NodeType] = Registry("node type", "type")
    with registry.register_temporarily(First):
        assert registry.get("sample.thing") is registry.get("sample.thing")
        assert "sample.thing" in registry
    assert "sample.thing" not in registry


def test_catalogue_entry_is_json() -> None:
    entry = First.describe()
    assert json.loads(json.dumps(entry))["type"] == "sample.thing"
    assert entry["inputs"] == [{"name": "in", "title": "in", "required": True}]
    assert entry["trigger"] is None
