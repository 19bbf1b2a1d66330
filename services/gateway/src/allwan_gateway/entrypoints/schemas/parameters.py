"""Path and header parameters shared by several routes, as the OpenAPI document states them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path

from allwan_gateway.domain.idempotency import KEY_PATTERN

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
CustomerId = Annotated[str, Path(pattern=ID_PATTERN, description="The customer's id.")]
OrderId = Annotated[str, Path(pattern=ID_PATTERN, description="The order's id.")]
RequestId = Annotated[str, Path(pattern=ID_PATTERN, description="The privacy request's id.")]
# The key's rule is ``order_id_for``'s, which refuses a bad key with its own 400 problem; the
# document states the same rule (the pattern holds the lengths too).
IdempotencyKey = Annotated[
    str | None,
    Header(
        description=(
            "Makes retries safe: the same key maps to the same order. 8 to 200 printable "
            "ASCII characters; any other key is refused (400 invalid-idempotency-key)."
        ),
        json_schema_extra={"pattern": KEY_PATTERN.pattern, "minLength": 8, "maxLength": 200},
    ),
]
PrivacyIdempotencyKey = Annotated[
    str | None,
    Header(
        description=(
            "Makes retries safe: the same key maps to the same privacy request (the same body "
            "is answered as the first time; another body is 409 idempotency-key-reused). 8 "
            "to 200 printable ASCII characters; any other key is refused (400 "
            "invalid-idempotency-key)."
        ),
        json_schema_extra={"pattern": KEY_PATTERN.pattern, "minLength": 8, "maxLength": 200},
    ),
]
