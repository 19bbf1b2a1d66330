"""Schemathesis against the app in process (fakes behind it), with every check it has: each
operation alone (examples, coverage, fuzzing; valid and invalid data), then chains of calls
along the document's links, as the storefront, customers and staff. No 5xx, and every answer
as documented (``tests/fuzzing.py``)."""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from tests import fuzzing
from tests.unit.gateway.fakes import SECRETS, harness, stub_notifier
from tests.unit.gateway.privacy_fake import stub_privacy
from tests.unit.gateway.seed import everything

HARNESS = harness(notifier=stub_notifier(), privacy_api=stub_privacy())
asyncio.run(everything(HARNESS.gateway))
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", HARNESS.app, config=fuzzing.config(max_examples=10, max_steps=6)
)
schema.auth(refresh_interval=None)(
    fuzzing.credentials(
        storefront_key=SECRETS["gateway_storefront_api_key"],
        staff_key=SECRETS["gateway_staff_api_key"],
        customer_token=HARNESS.token,
    )
)
# In process nothing is emailed: material versions are fuzzed too.
fuzzing.steer(schema, material_policies=True)


@schema.parametrize()
def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    case: Case[Any],
) -> None:
    case.call_and_validate()


def test_chains_of_calls_along_the_links_answer_as_documented() -> None:
    schema.as_state_machine().run(
        settings=settings(
            max_examples=10,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
