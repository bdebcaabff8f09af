"""Where a Xero connection's endpoints are: production hosts, or a sandbox under one base URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

PRODUCTION = "https://api.xero.com"


@dataclass(frozen=True)
class XeroUrls:
    authorize: str
    token: str
    connections: str
    accounting: str


def xero_urls(base_url: str) -> XeroUrls:
    base = base_url.rstrip("/")
    if urlsplit(base).hostname == "api.xero.com":
        return XeroUrls(
            authorize="https://login.xero.com/identity/connect/authorize",
            token="https://identity.xero.com/connect/token",
            connections=f"{PRODUCTION}/connections",
            accounting=f"{PRODUCTION}/api.xro/2.0",
        )
    return XeroUrls(
        authorize=f"{base}/identity/connect/authorize",
        token=f"{base}/identity/connect/token",
        connections=f"{base}/connections",
        accounting=f"{base}/api.xro/2.0",
    )
