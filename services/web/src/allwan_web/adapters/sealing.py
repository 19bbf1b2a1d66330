"""Sealed cookie values (AES-256-GCM under a key derived from ``ALLWAN_WEB_SESSION_KEY``):
the browser can carry them but neither read nor forge them (T2). Each value is bound to its
cookie's name, so one cookie's value is no good in another."""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Sealer:
    def __init__(self, secret: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"allwan-web cookie seal v1"
        ).derive(secret.encode())
        self._aead = AESGCM(key)

    def seal(self, name: str, value: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, value.encode(), name.encode())
        return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()

    def open(self, name: str, sealed: str | None) -> str | None:
        """The value, or None for anything forged, truncated or sealed for another cookie."""
        if not sealed:
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            return self._aead.decrypt(raw[:12], raw[12:], name.encode()).decode()
        except (ValueError, InvalidTag):
            return None
