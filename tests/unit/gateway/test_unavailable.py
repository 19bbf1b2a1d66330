"""A store that does not answer is a 503 problem with ``Retry-After``, on every route that
needs it, never a 500: the client may retry, the request itself was not wrong."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import (
    AutoReconnect,
    ExecutionTimeout,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from tests.unit.gateway.fakes import SECRETS, Harness
from tests.unit.gateway.seed import deliver, placed
from tests.unit.gateway.test_orders import FULL_ORDER
from tests.unit.gateway.test_problems import assert_problem
from tests.unit.gateway.test_webhooks import SALLA, salla_headers

HOST = "db-7.internal:27017"
DOWN: list[Exception] = [
    ServerSelectionTimeoutError(f"{HOST}: [Errno 111] Connection refused"),
    AutoReconnect(f"{HOST}: connection closed"),
    NetworkTimeout(f"{HOST}: timed out"),
    NotPrimaryError(f"{HOST}: node is recovering"),
    ExecutionTimeout("operation exceeded time limit", code=50),
    # FerretDB's SQLite backend, a query it interrupted under load (seen in ./dev bench chaos).
    OperationFailure(
        "[msg_find.go:344 handler.handleMaxTimeMSError] [collection.go:94"
        " sqlite.(*collection).Query] interrupted (9)",
        code=1,
    ),
]
STOREFRONT = {"X-API-Key": SECRETS["gateway_storefront_api_key"]}
PAYMENT = {"payment_reference": "pay_9", "amount_halalas": 2990, "card_last4": "4242"}


def requests(gw: Harness) -> list[tuple[str, str, dict[str, Any]]]:
    customer = gw.customer("cust-1")
    token = gw.keys.blind_index("unsubscribe-marketing", "cust-1")
    return [
        ("GET", "/v1/orders/o-1", {"headers": customer}),
        ("POST", "/v1/orders/o-1/payments", {"json": PAYMENT, "headers": STOREFRONT}),
        ("POST", "/v1/orders", {"json": FULL_ORDER, "headers": customer}),
        ("GET", "/v1/catalogue", {}),
        ("GET", "/v1/customers/cust-1/consents", {"headers": customer}),
        ("POST", f"/v1/unsubscribe?customer=cust-1&token={token}", {}),
        ("POST", "/v1/webhooks/salla", {"content": SALLA, "headers": salla_headers()}),
    ]


@pytest.mark.parametrize("error", DOWN, ids=lambda error: type(error).__name__)
async def test_every_route_answers_503_with_retry_after_while_the_database_is_down(
    gw: Harness, error: Exception
) -> None:
    await deliver(gw.gateway, placed("o-1", "cust-1"), 1)
    gw.database_down(error)
    async with gw.client() as http:
        for method, path, kwargs in requests(gw):
            answer = await http.request(method, path, **kwargs)

            body = assert_problem(answer, 503, "unavailable")
            assert int(answer.headers["retry-after"]) >= 1
            assert "Idempotency-Key" in body["detail"]
            assert HOST not in answer.text
            assert answer.headers["x-content-type-options"] == "nosniff"


async def test_an_error_raised_from_an_unreachable_database_is_a_503(gw: Harness) -> None:
    class SealingFailed(Exception):
        pass

    wrapped = SealingFailed("could not seal")
    wrapped.__cause__ = AutoReconnect(HOST)
    gw.database_down(wrapped)
    async with gw.client() as http:
        answer = await http.get("/v1/catalogue")

    assert_problem(answer, 503, "unavailable")


async def test_a_database_that_answers_with_a_refusal_is_still_a_500(gw: Harness) -> None:
    gw.database_down(OperationFailure("not authorized on allwan_gateway", code=13))
    async with gw.client() as http:
        answer = await http.get("/v1/catalogue")

    assert_problem(answer, 500, "internal-error")
    assert "authorized" not in answer.text


async def test_the_openapi_document_lists_503_for_every_route_that_reads_a_store(
    gw: Harness,
) -> None:
    async with gw.client() as http:
        document = (await http.get("/openapi.json")).json()

    for path, operations in document["paths"].items():
        if path.startswith("/health/"):
            continue
        for method, operation in operations.items():
            assert "503" in operation["responses"], f"{method.upper()} {path}"
