"""``Idempotency-Key`` → order id or privacy request id: a retry maps to the same intake stream.

The order id is a UUIDv5 of the client, the customer and the key, so two customers (or two
clients) using the same key never collide, and a retry of one request names the same
``order_intake:<order_id>`` stream, which the event store records once. A privacy
request's id is a UUIDv5 of the customer and the key, in a namespace of its own
(``privacy_intake:<request_id>``). A fingerprint of the request (an HMAC, so it reveals
nothing of the personal data it covers) tells a true retry from a different request that
reuses a key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from typing import Any

ORDER_IDS = uuid.UUID("9c3c2b8e-54a1-4f0b-a0a5-7f4e1b6f2d10")
PRIVACY_REQUEST_IDS = uuid.UUID("3e6b1f0a-8d27-5c4e-b9a1-62f0d4c8e7b3")
KEY_PATTERN = re.compile(r"^[\x21-\x7E]{8,200}$")


class InvalidIdempotencyKey(ValueError):
    """The key is not 8 to 200 printable ASCII characters."""


def _checked(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise InvalidIdempotencyKey("Idempotency-Key must be 8 to 200 printable ASCII characters")
    return key


def checked_key(key: str) -> str:
    """``key``, if it is 8 to 200 printable ASCII characters; ``InvalidIdempotencyKey`` if not."""
    return _checked(key)


def order_id_for(client_id: str, customer_id: str, key: str) -> str:
    """The order id a keyed request of this client and customer always maps to."""
    return str(uuid.uuid5(ORDER_IDS, f"{client_id}\n{customer_id}\n{_checked(key)}"))


def privacy_request_id_for(customer_id: str, key: str) -> str:
    """The privacy request id a keyed request about this customer always maps to."""
    return str(uuid.uuid5(PRIVACY_REQUEST_IDS, f"{customer_id}\n{_checked(key)}"))


def fresh_order_id() -> str:
    """An id for a request without a key (a retry of it is a new order or request)."""
    return str(uuid.uuid4())


def fingerprint(secret: bytes, request: Any) -> str:
    """A keyed hash of the request's canonical JSON: equal for equal requests only."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret, b"idempotency|" + canonical.encode(), hashlib.sha256).hexdigest()
