"""A Xero sandbox on the live test server, and connections authorised through its consent page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors.sdk.testing import FakeConnection
from connectors.xero.connection import XeroConnection
from connectors.xero.sandbox.store import CLIENT_ID, CLIENT_SECRET, STORE

REDIRECT = "http://127.0.0.1:9/connections/oauth/callback/"


@pytest.fixture
def xero_base(live_server: Any) -> Iterator[str]:
    STORE.reset()
    yield f"{live_server.url}/sandbox/xero"
    STORE.reset()


def authorise(connection: Any) -> None:
    """Go through the consent page as a person would, and complete the flow."""
    kind = XeroConnection()
    start = kind.start_authorization(connection, REDIRECT, "state-1")
    params = {k: v[0] for k, v in parse_qs(urlsplit(start.url).query).items()}
    page = requests.get(start.url, timeout=5)
    assert page.status_code == 200 and "Allow access" in page.text
    decision = requests.post(
        start.url.split("?")[0], data={**params, "decision": "allow"}, allow_redirects=False, timeout=5
    )
    assert decision.status_code == 302
    back = parse_qs(urlsplit(decision.headers["Location"]).query)
    assert back["state"] == ["state-1"]
    kind.complete_authorization(connection, REDIRECT, back["code"][0], start.verifier)


@pytest.fixture
def xero(xero_base: str) -> FakeConnection:
    connection = FakeConnection(
        kind="xero", base_url=xero_base, secrets={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    authorise(connection)
    return connection
