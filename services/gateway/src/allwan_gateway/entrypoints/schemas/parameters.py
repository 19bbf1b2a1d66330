"""Path and header parameters shared by several routes, as the OpenAPI document states them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query

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
BreachId = Annotated[str, Path(pattern=ID_PATTERN, description="The breach's id.")]
# Required, and checked by hand (``domain.idempotency.checked_key``) as the other keys are:
# a missing header is a 422 naming it, a malformed one a 400 invalid-idempotency-key.
CreationKey = Annotated[
    str,
    Header(
        description=(
            "Required. Makes retries safe: the same key with the same body is the same "
            "record, answered as the first time; with another body, 409 "
            "idempotency-key-reused. 8 to 200 printable ASCII characters; any other key is "
            "refused (400 invalid-idempotency-key)."
        ),
        json_schema_extra={"pattern": KEY_PATTERN.pattern, "minLength": 8, "maxLength": 200},
    ),
]
PAGE_SIZE = 20
PageSize = Annotated[
    int, Query(ge=1, le=100, description=f"Entries per page, 1 to 100 ({PAGE_SIZE} if absent).")
]
Cursor = Annotated[
    str | None,
    Query(
        pattern=r"^[\x21-\x7E]{1,500}$",
        description=(
            "Where the page starts: the ``next_cursor`` of the page before (also in its "
            "``Link: rel=next`` header); the newest entries if absent. A cursor the ledger did "
            "not give is refused (400)."
        ),
    ),
]
