"""The app is served behind the login, and the login leads to the workflows list."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def test_logging_in_shows_the_app(browser_page: Any) -> None:
    expect(browser_page.get_by_role("navigation", name="Main")).to_contain_text("Workflows")
