"""The page routes Django serves for the web app (no browser needed)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", ["/review", "/mappings", "/alerts", "/runs/abc", "/dead-letters"])
def test_every_page_route_needs_the_login(client: Client, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_oauth_return_lands_on_connections_with_the_outcome(logged_in: Client) -> None:
    connection_id = uuid.uuid4()
    response = logged_in.get(f"/app/connections/{connection_id}?authorized=1&other=x")
    assert response.status_code == 302
    assert response["Location"] == f"/connections?connection={connection_id}&authorized=1"

    refused = logged_in.get(f"/app/connections/{connection_id}?error=access_denied")
    assert refused["Location"] == f"/connections?connection={connection_id}&error=access_denied"
