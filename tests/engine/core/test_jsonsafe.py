"""JSON-safe copies of node outputs: money stays exact, every container and scalar kind is kept."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections import OrderedDict
from decimal import Decimal

import pytest

from engine.core.jsonsafe import to_json


class Currency(str, enum.Enum):
    GBP = "GBP"


def test_nested_values_of_every_kind_become_json() -> None:
    ref = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "total": Decimal("19.99"),
        "lines": [{"amount": Decimal("0.10"), "qty": 2, "ok": True, "rate": 0.5, "note": None}],
        "when": dt.date(2026, 12, 5),
        "at": dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC),
        "ids": (ref, {ref}),
        3: "a number as key",
        "ordered": OrderedDict([("b", Decimal("1.00"))]),
        "currency": Currency.GBP,
    }
    assert to_json(value) == {
        "total": "19.99",
        "lines": [{"amount": "0.10", "qty": 2, "ok": True, "rate": 0.5, "note": None}],
        "when": "2026-12-05",
        "at": "2026-12-05T09:30:00+00:00",
        "ids": [str(ref), [str(ref)]],
        "3": "a number as key",
        "ordered": {"b": "1.00"},
        "currency": Currency.GBP,
    }


def test_a_copy_shares_no_container_with_the_original() -> None:
    value = {"lines": [{"amount": "1.00"}]}
    copy = to_json(value)
    copy["lines"][0]["amount"] = "2.00"
    assert value == {"lines": [{"amount": "1.00"}]}


def test_a_value_without_a_json_form_is_named() -> None:
    with pytest.raises(TypeError, match="a node returned a bytes"):
        to_json({"lines": [b"raw"]})
