"""Consent with PKCE, tenant choice, refresh once across workers, rotation, re-authorisation."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from connectors.sdk import CredentialError
from connectors.sdk.handles import StoredConnection
from connectors.sdk.models import Connection
from connectors.sdk.testing import FakeConnection
from connectors.xero import tokens
from connectors.xero.sandbox.store import CLIENT_ID, CLIENT_SECRET, STORE, TENANT_ID
from tests.connectors.xero.conftest import authorise


def test_consent_stores_tokens_and_picks_the_only_organisation(xero: FakeConnection) -> None:
    assert xero.secret("access_token") and xero.secret("refresh_token")
    assert xero.settings["tenant_id"] == TENANT_ID
    assert xero.settings["tenants"] == [{"tenant_id": TENANT_ID, "name": "Demo Company (US)"}]


def test_a_wrong_verifier_is_refused(xero_base: str) -> None:
    from connectors.xero.connection import XeroConnection

    connection = FakeConnection(
        kind="xero", base_url=xero_base, secrets={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    start = XeroConnection().start_authorization(connection, "http://127.0.0.1:9/cb/", "s")
    params = dict(p.split("=", 1) for p in start.url.split("?")[1].split("&"))
    from urllib.parse import parse_qs, unquote, urlsplit

    decision = requests.post(
        start.url.split("?")[0],
        data={k: unquote(v) for k, v in params.items()} | {"decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(decision.headers["Location"]).query)["code"][0]
    with pytest.raises(CredentialError):
        XeroConnection().complete_authorization(connection, "http://127.0.0.1:9/cb/", code, "not-the-verifier" * 3)


def test_refresh_rotates_and_an_old_refresh_token_fails(xero: FakeConnection) -> None:
    old_refresh = xero.secret("refresh_token")
    xero.update_secrets(access_token_expires_at=str(time.time() - 1))
    tokens.access_token(xero)
    assert xero.secret("refresh_token") != old_refresh
    replay = requests.post(
        f"{xero.base_url}/identity/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": old_refresh},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )
    assert (replay.status_code, replay.json()) == (400, {"error": "invalid_grant"})


def test_a_refused_refresh_marks_the_connection(xero: FakeConnection) -> None:
    xero.update_secrets(access_token_expires_at=str(time.time() - 1), refresh_token="revoked")
    with pytest.raises(CredentialError, match="connect the organisation again"):
        tokens.access_token(xero)
    assert xero.status == "needs_reauth"


@pytest.mark.django_db(transaction=True)
def test_many_workers_needing_a_token_cause_one_refresh(xero: FakeConnection, org: Any) -> None:
    row = Connection(organization=org, kind="xero", name="Xero", base_url=xero.base_url, settings=dict(xero.settings))
    row.set_secrets(
        {**{k: v for k, v in xero.secrets.items() if v is not None}, "access_token_expires_at": str(time.time() - 1)}
    )
    row.save()
    STORE.refreshes = 0
    seen: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        from django.db import connection as db

        try:
            seen.append(tokens.access_token(StoredConnection(Connection.objects.get(pk=row.pk))))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert STORE.refreshes == 1
    assert len(set(seen)) == 1


def test_no_refresh_token_means_connect_first(xero_base: str) -> None:
    never = FakeConnection(
        kind="xero", base_url=xero_base, secrets={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    with pytest.raises(CredentialError, match="not authorised yet"):
        tokens.access_token(never)
    authorise(never)
    assert tokens.access_token(never)
