"""``manage.py seed_sandbox`` fills the running sandboxes through their control API."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from connectors.walmart.sandbox.store import STORE as WALMART
from connectors.xero.sandbox.store import STORE as XERO


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_sandbox", *args, stdout=out)
    return out.getvalue()


def test_seeding_adds_orders_with_returns_and_reset_empties_both_sandboxes(sandboxes: str) -> None:
    printed = seed("--url", sandboxes, "--walmart-orders", "40", "--returns-share", "0.5", "--seed", "3")
    assert len(WALMART.orders) == 40
    assert 5 <= len(WALMART.returns) <= 40
    assert f"now holds 40 orders and {len(WALMART.returns)} returns" in printed
    first = sorted(WALMART.orders)

    seed("--url", sandboxes, "--walmart-orders", "10")  # more on top: new purchase order ids
    assert len(WALMART.orders) == 50 and set(first) < set(WALMART.orders)

    XERO.books.contacts["c1"] = {"ContactID": "c1", "Name": "Left over"}
    printed = seed("--url", sandboxes, "--reset", "--walmart-orders", "5", "--returns-share", "0", "--seed", "3")
    assert (len(WALMART.orders), len(WALMART.returns), XERO.books.contacts) == (5, 0, {})
    assert sorted(WALMART.orders) == first[:5]  # the same seed gives the same orders
    assert "Emptied the Walmart and Xero sandboxes." in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--walmart-orders", "-1"], "--walmart-orders must be 0 to 100000"),
        (["--returns-share", "2"], "--returns-share must be a fraction"),
        (["--url", "http://127.0.0.1:9"], "cannot reach the sandbox at http://127.0.0.1:9/sandbox/walmart/"),
    ],
)
def test_bad_arguments_and_an_unreachable_sandbox_are_reported(args: list[str], message: str, db: Any) -> None:
    with pytest.raises(CommandError, match=message):
        seed(*args)
