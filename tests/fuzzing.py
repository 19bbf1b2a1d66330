"""What the schemathesis runs share (``tests/unit/gateway/test_openapi_fuzz.py`` in process,
``tests/e2e/test_fuzz.py`` against the running system): every check schemathesis has, the
credentials each operation is called with, and the few ways generated data is steered.

Nothing here widens what counts as right, but for answers the document states in words
because no JSON Schema can: 413 for a body over the gateway's size limit (a schema cannot
count a whole body's bytes), the orders service's refusal of a well-formed order (422
``order-rejected``: an unknown or retired plan, too many of it, no age attestation, A1),
which it decides after the gateway recorded the request, a recipient that is not in the
privacy service's registry (422 ``unknown-recipient``), and a page cursor the disclosure
ledger did not give (400); and for one check whose premise
the API does not share: a privacy request's ``DELETE`` asks to cancel it, and the request
stays readable (``cancelled``) as proof, so a read after it is not a use after free.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from allwan_gateway.entrypoints.schemas.requests import DateTimeText
from pydantic import TypeAdapter, ValidationError
from schemathesis import Case, Response
from schemathesis.auths import AuthContext
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import (
    NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES,
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
)
from schemathesis.core.failures import Failure
from schemathesis.hooks import HookContext
from schemathesis.openapi.checks import RejectedPositiveData, UseAfterFree
from schemathesis.schemas import BaseSchema

SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
DEFAULT_CUSTOMER = "cust-1"
PUBLISH_POLICY = "POST /v1/staff/policies"
ASK_FOR_PRIVACY = "POST /v1/customers/{customer_id}/privacy-requests"
PRIVACY_REQUEST = "/v1/customers/{customer_id}/privacy-requests/{request_id}"
RECORD_PRIVACY = "POST /v1/staff/privacy-requests"
ORDER_REJECTED = "urn:allwan:problem:order-rejected"
# The privacy service's refusals of well-formed data (stated in the document's words).
IN_WORDS = {ORDER_REJECTED, "urn:allwan:problem:unknown-recipient"}
# Instants that may not be in the future (a breach detected, a disclosure made, the
# regulator told): a well-formed one drawn from the whole calendar mostly is.
PAST_ONLY = {
    "POST /v1/staff/breaches": "detected_at",
    "POST /v1/staff/disclosures": "disclosed_at",
    "POST /v1/staff/breaches/{breach_id}/regulator-notification": "notified_at",
}
_DATE_TIME: TypeAdapter[datetime] = TypeAdapter(DateTimeText)
GATEWAY_CHECKS = ("ignored_auth",)
"""Checks of what the gateway decides alone, the same code in process as running: whether an
operation refuses a request without credentials or with wrong ones (two more requests per
case, S1)."""
RUNNING_SYSTEM_BUDGET_S = 20
"""The running system's fuzz (``tests/e2e/test_fuzz.py``), all phases together: it repeats
what the in-process run covers but for the services behind the gateway, so a budget, not a
number of examples, bounds it."""


def config(
    *,
    max_examples: int,
    max_steps: int,
    unexpected_methods: list[str] | None = None,
    coverage: bool = True,
    gateway_checks: bool = True,
    max_time_s: int | None = None,
) -> SchemathesisConfig:
    """All checks, in every phase (examples, coverage, fuzzing, stateful), positive and
    negative data, reproducible: the same cases on every machine. One worker: Hypothesis's
    deterministic mode is not thread-safe. ``unexpected_methods`` narrows the methods the
    coverage phase tries where the document has none (405 with ``Allow``); ``coverage=False``
    leaves that phase out, ``gateway_checks=False`` the checks of what the gateway alone
    decides (``GATEWAY_CHECKS``).

    ``max_time_s`` is a hard budget: schemathesis gives every operation its share of it in
    each phase (each is still called at least once), then repeats fuzzing and chains of calls
    with new data until it is spent: a run takes the budget, a faster machine gets further."""
    phase = {} if unexpected_methods is None else {"unexpected-methods": unexpected_methods}
    return SchemathesisConfig.from_dict(
        {
            **({} if max_time_s is None else {"max-time": max_time_s}),
            "generation": {"max-examples": max_examples, "deterministic": True},
            "phases": {
                "coverage": phase | {"enabled": coverage},
                "stateful": {"max-steps": max_steps},
            },
            "checks": {
                **{name: {"enabled": gateway_checks} for name in GATEWAY_CHECKS},
                "positive_data_acceptance": {
                    "expected-statuses": [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "413"]
                },
                "negative_data_rejection": {
                    "expected-statuses": [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
                },
            },
        }
    )


def _of_its_own(customer: Any) -> Any:
    # A customer's second open privacy request of a kind is 409 (tested on its own): the
    # answer to one generated request would hang on what ran before it, and the stateful
    # phase replays choices expecting the same answers. A well-formed customer id gets a
    # suffix that makes it a customer of its own, and stays well-formed; any other is kept.
    if not isinstance(customer, str) or not SUBJECT.match(customer):
        return customer
    return f"{customer[:48]}-{uuid.uuid4().hex[:12]}"


def _customer(case: Case[Any]) -> str:
    # The caller is the customer whose data the path names: someone else's is refused (403,
    # tested on its own), which would stop every chain of calls at its first step. Credentials
    # are set on a case before the ``map_case`` hooks run, so a privacy request is made a
    # customer's of its own here, with the token to match.
    if case.operation.label == ASK_FOR_PRIVACY and case.path_parameters:
        named = case.path_parameters.get("customer_id")
        case.path_parameters = case.path_parameters | {"customer_id": _of_its_own(named)}
    named = (case.path_parameters or {}).get("customer_id")
    return named if isinstance(named, str) and SUBJECT.match(named) else DEFAULT_CUSTOMER


def credentials(
    *, storefront_key: str, staff_key: str, customer_token: Callable[[str], str]
) -> type[Any]:
    """An auth provider (``schema.auth(refresh_interval=None)``): staff's key for the staff
    API, the storefront's key where an operation asks for an API key, a customer's token
    where it asks for a Bearer token, nothing for public operations and webhooks (whose
    signatures fuzzed data cannot make). A customer's token is asked for once per run, and
    once for each customer of its own a privacy request is asked for (``_of_its_own``)."""
    tokens: dict[str, str] = {}

    def token(customer: str) -> str:
        if customer not in tokens:
            tokens[customer] = customer_token(customer)
        return tokens[customer]

    class Credentials:
        def get(self, case: Case[Any], context: AuthContext) -> dict[str, str] | None:
            if case.path.startswith("/v1/staff/"):
                return {"X-API-Key": staff_key}
            schemes = {
                name
                for requirement in case.operation.definition.raw.get("security", [])
                for name in requirement
            }
            if "ApiKey" in schemes:
                return {"X-API-Key": storefront_key}
            if "BearerToken" in schemes:
                return {"Authorization": f"Bearer {token(_customer(case))}"}
            return None

        def set(self, case: Case[Any], data: dict[str, str], context: AuthContext) -> None:
            case.headers.update(data)

    return Credentials


def _in_publishing_window(body: Any) -> Any:
    # A well-formed effective_at drawn from the whole calendar is almost never within the
    # window a new version may take effect in (``domain.requests.check_effective_at``), a
    # rule of time the schema states in words only; move it there, keep anything malformed.
    if not isinstance(body, dict) or not isinstance(body.get("effective_at"), str):
        return body
    try:
        _DATE_TIME.validate_python(body["effective_at"])
    except ValidationError:
        return body
    soon = datetime.now(UTC) + timedelta(hours=1)
    return body | {"effective_at": soon.isoformat()}


def _well_formed(value: Any) -> bool:
    try:
        _DATE_TIME.validate_python(value)
    except ValidationError:
        return False
    return True


def _in_the_past(body: Any, field: str) -> Any:
    # Moved to a minute ago, and a breach's order window (which starts before it ends, a rule
    # in words) to the month before; anything malformed is kept.
    if not isinstance(body, dict):
        return body
    now = datetime.now(UTC)
    if _well_formed(body.get(field)):
        body = body | {field: (now - timedelta(minutes=1)).isoformat()}
    window = body.get("affected")
    if isinstance(window, dict) and all(
        _well_formed(window.get(end)) for end in ("ordered_from", "ordered_until")
    ):
        start = (now - timedelta(days=30)).isoformat()
        body = body | {
            "affected": window | {"ordered_from": start, "ordered_until": now.isoformat()}
        }
    return body


def _not_material(body: Any) -> Any:
    # PC2: a material version emails every customer. Fuzzing publishes non-material ones.
    if isinstance(body, dict) and body.get("material") is True:
        return body | {"material": False}
    return body


def steer(schema: BaseSchema, *, material_policies: bool) -> None:
    """Register the hooks on ``schema``: a well-formed order the orders service refused is
    not a schema-valid request the gateway rejected, nor is a cancelled privacy request
    still readable a use after free (see above); policies are published within their
    window, breaches are detected, disclosures made and regulators told a minute ago (not
    in the future), and each privacy request a staff member records is for a customer of
    its own (a case hook sees every phase's cases, the coverage phase's too);
    ``material_policies=False`` where a material version would email real inboxes (the
    running system's Mailpit)."""

    @schema.hook("filter_failure")
    def a_real_failure(
        context: HookContext, failure: Failure, case: Case[Any], response: Response
    ) -> bool:
        if isinstance(failure, UseAfterFree):
            # DELETE asks to cancel a privacy request; the request stays readable, cancelled,
            # as the proof of what was asked and answered (PDPL).
            return not case.operation.path.startswith(PRIVACY_REQUEST)
        if not isinstance(failure, RejectedPositiveData):
            return True
        if response.status_code == 400 and "cursor" in (case.query or {}):
            return False  # a cursor the ledger did not give (the document says so)
        try:
            problem = response.json()
        except ValueError:
            return True
        return not (isinstance(problem, dict) and problem.get("type") in IN_WORDS)

    @schema.hook("map_case")
    def publishable(context: HookContext, case: Case[Any]) -> Case[Any]:
        if case.operation.label == PUBLISH_POLICY:
            body = _in_publishing_window(case.body)
            case.body = body if material_policies else _not_material(body)
        if case.operation.label in PAST_ONLY:
            case.body = _in_the_past(case.body, PAST_ONLY[case.operation.label])
        if (
            case.operation.label == RECORD_PRIVACY
            and isinstance(case.body, dict)
            and "customer_id" in case.body
        ):
            case.body = case.body | {"customer_id": _of_its_own(case.body["customer_id"])}
        return case
