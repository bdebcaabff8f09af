"""Connections: secrets encrypted at rest, never returned, the row lock, key rotation."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from rest_framework.test import APIClient

from connectors.sdk import ConnectionKind, connection_kinds
from connectors.sdk.connections import ConnectionTestResult
from connectors.sdk.crypto import decrypt_json, encrypt_json
from connectors.sdk.handles import open_connection
from connectors.sdk.models import Connection


class EchoKind(ConnectionKind):
    kind = "echo"
    title = "Echo"
    secret_fields = {"api_key": {"type": "string", "title": "API key"}}

    def test(self, connection: Any) -> ConnectionTestResult:
        ok = connection.secret("api_key") == "right"
        return ConnectionTestResult(ok=ok, message="authenticated" if ok else "the API key was refused")


@pytest.fixture
def echo_kind() -> Any:
    with connection_kinds.register_temporarily(EchoKind):
        yield


def test_secrets_are_encrypted_at_rest_and_never_returned(api: APIClient, echo_kind: Any) -> None:
    created = api.post(
        "/api/connections/",
        {
            "kind": "echo",
            "name": "Echo",
            "base_url": "https://echo.example.com",
            "secrets": {"api_key": "s3cret-value"},
        },
        format="json",
    )
    assert created.status_code == 201
    assert "s3cret-value" not in created.content.decode()
    assert created.json()["secrets_set"] == ["api_key"]
    row = Connection.objects.get()
    assert "s3cret-value" not in row.secrets_encrypted
    assert row.get_secrets() == {"api_key": "s3cret-value"}
    listed = api.get("/api/connections/").content.decode()
    assert "s3cret-value" not in listed
    assert "s3cret" not in repr(open_connection(str(row.pk)))


def test_test_action_records_the_status(api: APIClient, echo_kind: Any) -> None:
    created = api.post(
        "/api/connections/",
        {"kind": "echo", "name": "Echo", "base_url": "https://echo.example.com", "secrets": {"api_key": "wrong"}},
        format="json",
    ).json()
    result = api.post(f"/api/connections/{created['id']}/test/").json()
    assert result == {"ok": False, "message": "the API key was refused", "details": None}
    assert Connection.objects.get().status == "error"
    api.patch(f"/api/connections/{created['id']}/", {"secrets": {"api_key": "right"}}, format="json")
    assert api.post(f"/api/connections/{created['id']}/test/").json()["ok"] is True
    assert Connection.objects.get().status == "connected"


def test_unknown_kinds_and_secrets_are_refused(api: APIClient, echo_kind: Any) -> None:
    bad_kind = api.post(
        "/api/connections/", {"kind": "nope", "name": "x", "base_url": "https://x.example.com"}, format="json"
    )
    assert bad_kind.status_code == 400 and "unknown kind" in bad_kind.json()["kind"][0]
    bad_secret = api.post(
        "/api/connections/",
        {"kind": "echo", "name": "x", "base_url": "https://x.example.com", "secrets": {"password": "p"}},
        format="json",
    )
    assert bad_secret.status_code == 400


def test_key_rotation_keeps_old_secrets_readable(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LEDGERLINE_ENCRYPTION_KEYS = [old]
    token = encrypt_json({"a": "1"})
    settings.LEDGERLINE_ENCRYPTION_KEYS = [new, old]
    assert decrypt_json(token) == {"a": "1"}
    settings.LEDGERLINE_ENCRYPTION_KEYS = [new]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt_json(token)


def test_update_secrets_merges_and_persists(db: Any, org: Any) -> None:
    row = Connection(organization=org, kind="echo", name="E", base_url="https://e.example.com")
    row.set_secrets({"api_key": "k"})
    row.save()
    handle = open_connection(str(row.pk))
    with handle.locked() as locked:
        locked.update_secrets(access_token="t1")
    assert open_connection(str(row.pk)).secret("access_token") == "t1"
    assert open_connection(str(row.pk)).secret("api_key") == "k"
