"""Webhooks prove their sender by a shared secret (T1, K3); a delivery is named by its body.

- Salla, ``Signature`` strategy (the default): ``X-Salla-Signature`` is the hex HMAC-SHA256 of
  the raw body under the webhook secret, with ``X-Salla-Security-Strategy: Signature``;
- Salla, ``Token`` strategy: the secret itself in ``Authorization`` (``Bearer <secret>`` or
  bare), with ``X-Salla-Security-Strategy: Token``;
- WhatsApp Business Cloud API: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
  under the app secret>``; subscribing answers ``hub.challenge`` when ``hub.mode`` is
  ``subscribe`` and ``hub.verify_token`` is ours.

Every comparison is constant-time. The delivery id is the body's SHA-256, so a replayed
delivery has the id of the first and is recorded once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def delivery_id(raw: bytes) -> str:
    """The id of a delivery: the SHA-256 of its raw body, lower-case hex."""
    return hashlib.sha256(raw).hexdigest()


def _hmac_hex(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.strip().lower().encode(), expected.lower().encode())


def salla_verified(raw: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """Whether a Salla delivery carries a valid signature or token; ``headers`` lower-cased."""
    strategy = headers.get("x-salla-security-strategy", "Signature").strip().lower()
    if strategy == "signature":
        given = headers.get("x-salla-signature")
        return bool(given) and _same(given or "", _hmac_hex(secret, raw))
    if strategy == "token":
        given = headers.get("authorization", "").strip()
        token = given[7:].strip() if given[:7].lower() == "bearer " else given
        return bool(token) and hmac.compare_digest(token.encode(), secret.encode())
    return False


def whatsapp_verified(raw: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``X-Hub-Signature-256`` is ``sha256=`` the body's HMAC under the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    return _same(header.removeprefix("sha256="), _hmac_hex(app_secret, raw))


def whatsapp_challenge(
    mode: str | None, token: str | None, challenge: str | None, verify_token: str
) -> str | None:
    """The challenge to echo when the subscription request is ours, else None."""
    if mode != "subscribe" or token is None or challenge is None:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return challenge
