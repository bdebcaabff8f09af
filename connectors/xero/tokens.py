"""Xero OAuth 2.0 tokens: the consent flow with PKCE, and refreshes that happen exactly once.

Xero's refresh tokens rotate: each works once. So a refresh happens under the
connection's lock, shared by every process, after re-reading the tokens: when
many workers need a token at the same moment, one refreshes and the others
use its result.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
from requests_oauthlib import OAuth2Session

from connectors.sdk import ConnectionHandle, CredentialError, TransientError
from connectors.xero.urls import xero_urls

#: Scopes asked for at consent (offline_access gives a refresh token).
SCOPES = ["openid", "offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings"]
#: Refresh this long before the access token expires.
REFRESH_MARGIN_SECONDS = 120
TIMEOUT = (5.0, 30.0)


@contextmanager
def _allow_loopback_http(url: str) -> Iterator[None]:
    """oauthlib insists on https; the local sandbox on 127.0.0.1 speaks http."""
    loopback = urlsplit(url).scheme == "http" and urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}
    previous = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    if loopback:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if loopback and previous is None:
            os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)


def _client(connection: ConnectionHandle) -> tuple[str, str]:
    client_id, secret = connection.secret("client_id"), connection.secret("client_secret")
    if not client_id or not secret:
        raise CredentialError("the Xero connection has no client id and secret", code="xero.no_credentials")
    return client_id, secret


def authorization_url(connection: ConnectionHandle, redirect_uri: str, state: str) -> tuple[str, str]:
    """``(url to send the browser to, PKCE verifier to keep until the callback)``."""
    client_id, _ = _client(connection)
    urls = xero_urls(connection.base_url)
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=SCOPES, state=state, pkce="S256")
    with _allow_loopback_http(urls.authorize):
        url, _ = session.authorization_url(urls.authorize)
    return url, str(session._code_verifier)


def store_tokens(connection: ConnectionHandle, token: dict[str, Any]) -> None:
    connection.update_secrets(
        access_token=str(token["access_token"]),
        refresh_token=str(token.get("refresh_token") or connection.secret("refresh_token") or ""),
        access_token_expires_at=str(time.time() + float(token.get("expires_in", 1800))),
    )


def exchange_code(connection: ConnectionHandle, redirect_uri: str, code: str, verifier: str) -> None:
    client_id, secret = _client(connection)
    urls = xero_urls(connection.base_url)
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=SCOPES, pkce="S256")
    session._code_verifier = verifier
    with _allow_loopback_http(urls.token):
        try:
            token = session.fetch_token(urls.token, code=code, client_secret=secret, timeout=TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - oauthlib raises many kinds; all mean "not authorised"
            raise CredentialError(
                f"Xero did not accept the authorisation: {type(exc).__name__}", code="xero.consent"
            ) from None
    store_tokens(connection, dict(token))


def _fresh(connection: ConnectionHandle) -> str | None:
    token, expires = connection.secret("access_token"), connection.secret("access_token_expires_at")
    if token and expires and float(expires) - REFRESH_MARGIN_SECONDS > time.time():
        return token
    return None


def access_token(connection: ConnectionHandle, *, force: bool = False) -> str:
    """A valid access token; refreshes at most once across every worker."""
    if not force and (token := _fresh(connection)):
        return token
    stale = connection.secret("access_token")
    with connection.locked() as locked:
        current = _fresh(locked)
        if current and (not force or current != stale):
            return current  # someone refreshed while this worker waited for the lock
        refresh = locked.secret("refresh_token")
        if not refresh:
            locked.mark_needs_reauth("connect the Xero organisation first")
            raise CredentialError("the Xero connection is not authorised yet: use Connect", code="xero.not_connected")
        try:
            response = requests.post(
                xero_urls(locked.base_url).token,
                data={"grant_type": "refresh_token", "refresh_token": refresh},
                auth=_client(locked),
                timeout=TIMEOUT,
            )
        except requests.RequestException:
            raise TransientError("cannot reach Xero's token service", code="xero.token_unreachable") from None
        if response.status_code >= 500:
            raise TransientError(f"Xero's token service answered {response.status_code}", code="xero.token_unavailable")
        if response.status_code != 200:
            locked.mark_needs_reauth("Xero refused the refresh token: connect the organisation again")
            raise CredentialError(
                "Xero refused the refresh token; connect the organisation again", code="xero.invalid_grant"
            )
        store_tokens(locked, response.json())
        return str(response.json()["access_token"])
