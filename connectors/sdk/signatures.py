"""HMAC signatures of webhook deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac

ALGORITHMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "sha512": hashlib.sha512}


def sign(secret: str, body: bytes, *, algorithm: str = "sha256", encoding: str = "hex") -> str:
    digest = hmac.new(secret.encode(), body, ALGORITHMS[algorithm]).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


def signature_matches(secret: str, body: bytes, given: str, *, algorithm: str, encoding: str, prefix: str = "") -> bool:
    """Constant-time comparison of ``given`` with the expected signature (``prefix`` stripped)."""
    if prefix and given.startswith(prefix):
        given = given[len(prefix) :]
    expected = sign(secret, body, algorithm=algorithm, encoding=encoding)
    if encoding == "hex":
        given = given.lower()
    return hmac.compare_digest(expected.encode(), given.strip().encode())
