"""Schemathesis against the running system, through the gateway, within a budget
(``tests.fuzzing.RUNNING_SYSTEM_BUDGET_S``): what only the running system can show.

The in-process run (``tests/unit/gateway/test_openapi_fuzz.py``) fuzzes every operation in
every phase, coverage too, with every check, against the gateway with fakes behind it. Here
each operation whose answer comes from the services behind the gateway (orders, consent,
privacy, the notifier, over real Kafka and MongoDB) gets the document's examples, then fuzzed
data and chains of calls along the document's links until the budget is spent, with real
credentials (staff's key, the storefront's, customers' tokens from the gateway) and every
check but those of what the gateway decides alone (``tests/fuzzing.py``). No 5xx, and every
answer as documented."""

from __future__ import annotations

import collections

import pytest
from schemathesis.core.result import Ok
from schemathesis.engine import Status, from_schema
from schemathesis.engine.events import (
    FatalError,
    NonFatalError,
    PhaseFinished,
    PhaseStarted,
    ScenarioFinished,
)
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.schemas import BaseSchema

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
# The fuzzer's requests come faster than a storefront's: the rate limit (S1) is tested on
# its own, and here would answer most of them 429. An order decided within half a second is
# answered 201 or 422, a slower one 202; each is as documented.
SYSTEM_ENV = {
    "ALLWAN_RATE_LIMIT_PER_S": "10000",
    "ALLWAN_RATE_LIMIT_BURST": "10000",
    "ALLWAN_DECISION_WAIT_S": "0.5",
}
PHASES = {"examples", "fuzzing", "stateful"}
# Answered by the gateway alone (tokens, staff sign-in, its own audit trail, its health), or
# refused before anything leaves it (a webhook's signature, which fuzzed data cannot make):
# the in-process run covers them in full.
GATEWAY_ONLY = {
    "POST /v1/auth/customer-token",
    "POST /v1/auth/staff-token",
    "GET /v1/auth/staff",
    "GET /v1/staff/audit",
    "POST /v1/webhooks/salla",
    "GET /v1/webhooks/whatsapp",
    "POST /v1/webhooks/whatsapp",
    "GET /health/live",
    "GET /health/ready",
}
# Its POST emails every affected customer of a breach (through the running system's Mailpit,
# as real inboxes would be): fuzzed in process only.
EMAILS_CUSTOMERS = "/v1/staff/breaches/{breach_id}/notifications"
SHARE = 0.1
"""Of the answers, at least this share 2xx and this share 4xx: the run went through to the
services behind the gateway, not only to its edge, and was refused as documented."""


def _failures(recorder: ScenarioRecorder) -> list[str]:
    return [
        f"{check.name} on {recorder.cases[case_id].value.operation.label}: "
        f"{check.failure_info.failure.title}\n{check.failure_info.code_sample[:2000]}"
        for case_id, checks in recorder.checks.items()
        for check in checks
        if check.failure_info is not None
    ]


def test_the_running_system_answers_every_fuzzed_request_as_documented(
    openapi: BaseSchema,
) -> None:
    schema = openapi.exclude(name=sorted(GATEWAY_ONLY | {f"POST {EMAILS_CUSTOMERS}"}))
    # An operation the document defines wrongly is reported by the run itself (a failure).
    operations = {
        result.ok().label for result in schema.get_all_operations() if isinstance(result, Ok)
    }
    failures: list[str] = []
    statuses: collections.Counter[int] = collections.Counter()
    answered: set[str] = set()
    # With a budget, fuzzing and chains of calls run again until it is spent; a turn of a
    # phase may find no time left and skip. On a loaded machine the budget may end before
    # every operation was fuzzed: the run says which (the in-process run fuzzed them all).
    phases: dict[str, set[Status]] = collections.defaultdict(set)
    took: dict[str, float] = collections.defaultdict(float)
    started: dict[str, float] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, ScenarioFinished):
            failures.extend(_failures(event.recorder))
            for case_id, interaction in event.recorder.interactions.items():
                if interaction.response is not None:
                    statuses[interaction.response.status_code] += 1
                    answered.add(event.recorder.cases[case_id].value.operation.label)
        elif isinstance(event, NonFatalError):
            failures.append(f"{event.label}: {event.info.title}: {event.info}"[:3000])
        elif isinstance(event, FatalError):
            failures.append(f"fatal: {event.exception!r}")
        elif isinstance(event, PhaseStarted):
            started[event.phase.name.value] = event.timestamp
        elif isinstance(event, PhaseFinished):
            phases[event.phase.name.value].add(event.status)
            took[event.phase.name.value] += event.timestamp - started[event.phase.name.value]

    unreached = sorted(operations - answered)
    print(f"\nfuzzed the running system: {sum(statuses.values())} answers, {dict(statuses)}")
    print("phases (s):", {name: round(seconds, 1) for name, seconds in took.items()})
    print(f"{len(answered)} of {len(operations)} operations; not reached in the budget:", unreached)
    assert failures == []
    assert not [status for status in statuses if status >= 500]
    assert Status.SUCCESS in phases["examples"]
    for name in PHASES:  # a turn the budget left no time for is skipped, never failed
        assert phases[name] <= {Status.SUCCESS, Status.SKIP}, (name, phases[name])
    assert phases["coverage"] == {Status.SKIP}  # the in-process run's
    answers = sum(statuses.values())
    assert sum(statuses[s] for s in statuses if s < 300) >= SHARE * answers > 0
    assert sum(statuses[s] for s in statuses if 400 <= s < 500) >= SHARE * answers
