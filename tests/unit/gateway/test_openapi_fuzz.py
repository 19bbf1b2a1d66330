"""Schemathesis against the app in process (fakes behind it): no 5xx, nothing off-schema."""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.unit.gateway.fakes import SECRETS, harness, stub_notifier
from tests.unit.gateway.seed import everything

HARNESS = harness(notifier=stub_notifier())
asyncio.run(everything(HARNESS.gateway))
schema = schemathesis.openapi.from_asgi("/openapi.json", HARNESS.app)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _credentials(path: str) -> dict[str, str]:
    if path.startswith("/v1/staff/"):
        return {"X-API-Key": SECRETS["gateway_staff_api_key"]}
    if path.startswith("/v1/auth/") or path.endswith("/payments"):
        return {"X-API-Key": SECRETS["gateway_storefront_api_key"]}
    return HARNESS.customer("cust-1")


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error_and_every_answer_matches_the_schema(case: Any) -> None:
    headers = {**_credentials(case.path), **(case.headers or {})}
    case.call_and_validate(headers=headers, checks=CHECKS)
