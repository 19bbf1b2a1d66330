"""Schemathesis against the running system, through the gateway, compact and bounded: every
check, in every phase (examples, coverage, fuzzing, then chains of calls along the document's
links), with real credentials (staff's key, the storefront's, customers' tokens from the
gateway) and real Kafka and MongoDB behind it (``tests/fuzzing.py``). No 5xx, and every
answer as documented."""

from __future__ import annotations

import collections

import pytest
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
PHASES = {"examples", "coverage", "fuzzing", "stateful"}
# Its POST emails every affected customer of a breach (through the running system's Mailpit,
# as real inboxes would be): fuzzed in process only (tests/unit/gateway/test_openapi_fuzz.py).
EMAILS_CUSTOMERS = "/v1/staff/breaches/{breach_id}/notifications"


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
    failures: list[str] = []
    statuses: collections.Counter[int] = collections.Counter()
    phases: dict[str, Status] = {}
    took: dict[str, float] = {}
    for event in from_schema(openapi.exclude(method="POST", path=EMAILS_CUSTOMERS)).execute():
        if isinstance(event, ScenarioFinished):
            failures.extend(_failures(event.recorder))
            statuses.update(
                interaction.response.status_code
                for interaction in event.recorder.interactions.values()
                if interaction.response is not None
            )
        elif isinstance(event, NonFatalError):
            failures.append(f"{event.label}: {event.info.title}: {event.info}"[:3000])
        elif isinstance(event, FatalError):
            failures.append(f"fatal: {event.exception!r}")
        elif isinstance(event, PhaseStarted):
            took[event.phase.name.value] = event.timestamp
        elif isinstance(event, PhaseFinished):
            phases[event.phase.name.value] = event.status
            took[event.phase.name.value] = event.timestamp - took[event.phase.name.value]

    print(f"\nfuzzed the running system: {sum(statuses.values())} answers, {dict(statuses)}")
    print("phases (s):", {name: round(seconds, 1) for name, seconds in took.items()})
    assert failures == []
    assert not [status for status in statuses if status >= 500]
    assert phases.keys() >= PHASES
    assert {phases[name] for name in PHASES} == {Status.SUCCESS}
    # Enough answers of each kind to have tried the system, not only its edge.
    assert sum(statuses[s] for s in statuses if s < 300) >= 50
    assert sum(statuses[s] for s in statuses if 400 <= s < 500) >= 50
