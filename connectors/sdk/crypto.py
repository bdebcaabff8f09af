"""Encryption of secrets at rest (Fernet, with key rotation through MultiFernet)."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed


def _fernet_key(material: str) -> bytes:
    """Derive a Fernet key from any secret string (a Fernet key is used as is)."""
    try:
        raw = base64.urlsafe_b64decode(material.encode())
        if len(raw) == 32:
            return material.encode()
    except (ValueError, TypeError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest())


@lru_cache(maxsize=1)
def _cipher() -> MultiFernet:
    keys = settings.LEDGERLINE_ENCRYPTION_KEYS
    if not keys:
        raise RuntimeError("LEDGERLINE_ENCRYPTION_KEY is not set: secrets cannot be stored")
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def _reset(**_: Any) -> None:
    _cipher.cache_clear()


setting_changed.connect(_reset)


def encrypt_json(value: dict[str, Any]) -> str:
    """Encrypt a JSON object; the first configured key is used."""
    return _cipher().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    """Decrypt what :func:`encrypt_json` produced, with any configured key.

    Raises:
        ValueError: the token was made with a key that is no longer configured.
    """
    if not token:
        return {}
    try:
        data = json.loads(_cipher().decrypt(token.encode()))
    except InvalidToken:
        raise ValueError("stored secrets cannot be decrypted with the configured encryption keys") from None
    if not isinstance(data, dict):
        raise ValueError("stored secrets are not an object")
    return data
