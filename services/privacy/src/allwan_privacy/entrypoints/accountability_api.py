"""The internal accountability API, for the gateway to proxy (its port is internal: the gateway
authenticates customers and staff and names the staff member in ``X-Allwan-Actor``)::

    GET  /internal/customers/{customer_id}/disclosures?limit=&cursor=     the ledger (D3)
    POST /internal/disclosures                                             a legal one (D2)
    GET  /internal/recipients                                              the registry
    GET  /internal/retention                                               schedule + preview
    POST /internal/breaches                     GET /internal/breaches?state=&overdue=
    GET  /internal/breaches/{breach_id}         GET /internal/breaches/{breach_id}/report
    POST /internal/breaches/{breach_id}/regulator-notification | notifications | closure
    GET  /internal/records-of-processing

Bodies and answers are the models of ``allwan_contracts.accountability``. A POST that creates
needs an ``Idempotency-Key`` (the id derives from it: a retry answers the same resource, the
key with other details is 409); every POST needs the staff actor. Errors are RFC 9457
problems (``internal_http``) that never repeat a value sent.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import structlog
from allwan_contracts.accountability import (
    BreachRequest,
    ClosureRequest,
    CustomerNotificationRequest,
    LegalDisclosureRequest,
    Recipient,
    RecordOfProcessing,
    RegulatorNotificationRequest,
)
from allwan_contracts.breaches import BreachState
from allwan_runtime.eventstore import ConcurrencyConflict
from pydantic import BaseModel, ValidationError
from pymongo.errors import PyMongoError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from allwan_privacy.domain import breach_rules as rules
from allwan_privacy.domain import breach_view
from allwan_privacy.domain import disclosures as ledger_rules
from allwan_privacy.entrypoints.internal_http import (
    Problem,
    answer,
    body_of,
    breach_id,
    customer_id,
    flag_of,
    idempotency_key,
    limit_of,
    on_busy,
    on_http_error,
    on_problem,
    problem_response,
    staff_actor,
)
from allwan_privacy.handlers import breaches, disclosures
from allwan_privacy.handlers.accountability_ports import BreachDeps, LedgerDeps
from allwan_privacy.handlers.ports import RetentionPreview

log = structlog.get_logger(__name__)

PREFIX = "/internal/"


class Recipients(BaseModel):
    recipients: list[Recipient]


@dataclass(frozen=True)
class Accountability:
    """What the API serves: the ledger, the register, the retention preview (None: not
    available in this build) and the generated record of processing."""

    ledger: LedgerDeps
    breaches: BreachDeps
    retention: RetentionPreview | None
    records_file: Path


def accountability_api(service: Accountability) -> Starlette:
    """The ASGI app answering every path under ``/internal/``."""
    ledger, register = service.ledger, service.breaches

    async def customer_disclosures(request: Request) -> Response:
        customer, limit = customer_id(request), limit_of(request)
        try:
            page = await disclosures.disclosure_page(
                customer, limit, request.query_params.get("cursor"), ledger
            )
        except ledger_rules.InvalidCursor:
            raise Problem(
                400, "invalid-cursor", "The cursor is not one this ledger gave."
            ) from None
        return answer(page)

    async def legal_disclosure(request: Request) -> Response:
        actor, key = staff_actor(request), idempotency_key(request)
        body = await body_of(request, LegalDisclosureRequest)
        shown = await disclosures.record_legal_disclosure(body, key=key, by=actor, deps=ledger)
        where = f"{PREFIX}customers/{shown.customer_id}/disclosures"
        return answer(shown, 201, {"Location": where})

    async def recipients(request: Request) -> Response:
        return answer(Recipients(recipients=ledger.registry.recipients))

    async def retention(request: Request) -> Response:
        if service.retention is None:
            raise Problem(503, "retention-unavailable", "The retention preview is not available.")
        return answer(await service.retention.view(register.clock()))

    async def open_breach(request: Request) -> Response:
        actor, key = staff_actor(request), idempotency_key(request)
        body = await body_of(request, BreachRequest)
        opened = await breaches.open_breach(body, key=key, by=actor, deps=register)
        shown = breach_view.view(opened, register.clock())
        return answer(shown, 201, {"Location": f"{PREFIX}breaches/{shown.breach_id}"})

    async def list_breaches(request: Request) -> Response:
        raw = request.query_params.get("state")
        if raw is not None and raw not in set(BreachState):
            states = ", ".join(state.value for state in BreachState)
            raise Problem(400, "invalid-query", f"state is one of {states}.")
        state = BreachState(raw) if raw is not None else None
        listed = await breaches.breach_register(
            register, state=state, overdue=flag_of(request, "overdue")
        )
        return answer(listed)

    async def the_register(request: Request) -> Response:
        if request.method == "POST":
            return await open_breach(request)
        return await list_breaches(request)

    async def one_breach(request: Request) -> Response:
        return answer(await breaches.breach_now(breach_id(request), register))

    async def report(request: Request) -> Response:
        return answer(await breaches.breach_report(breach_id(request), register))

    async def regulator_notification(request: Request) -> Response:
        target, actor = breach_id(request), staff_actor(request)
        body = await body_of(request, RegulatorNotificationRequest)
        moved = await breaches.notify_regulator(target, body, by=actor, deps=register)
        return answer(breach_view.view(moved, register.clock()))

    async def notifications(request: Request) -> Response:
        target, actor = breach_id(request), staff_actor(request)
        body = await body_of(request, CustomerNotificationRequest)
        moved = await breaches.notify_customers(target, body, by=actor, deps=register)
        return answer(breach_view.view(moved, register.clock()), 202)

    async def closure(request: Request) -> Response:
        target, actor = breach_id(request), staff_actor(request)
        body = await body_of(request, ClosureRequest)
        moved = await breaches.close_breach(target, body, by=actor, deps=register)
        return answer(breach_view.view(moved, register.clock()))

    async def records(request: Request) -> Response:
        return answer(_record_of_processing(service.records_file))

    routes = [
        Route(
            f"{PREFIX}customers/{{customer_id}}/disclosures", customer_disclosures, methods=["GET"]
        ),
        Route(f"{PREFIX}disclosures", legal_disclosure, methods=["POST"]),
        Route(f"{PREFIX}recipients", recipients, methods=["GET"]),
        Route(f"{PREFIX}retention", retention, methods=["GET"]),
        Route(f"{PREFIX}breaches", the_register, methods=["GET", "POST"]),
        Route(f"{PREFIX}breaches/{{breach_id}}", one_breach, methods=["GET"]),
        Route(f"{PREFIX}breaches/{{breach_id}}/report", report, methods=["GET"]),
        Route(
            f"{PREFIX}breaches/{{breach_id}}/regulator-notification",
            regulator_notification,
            methods=["POST"],
        ),
        Route(f"{PREFIX}breaches/{{breach_id}}/notifications", notifications, methods=["POST"]),
        Route(f"{PREFIX}breaches/{{breach_id}}/closure", closure, methods=["POST"]),
        Route(f"{PREFIX}records-of-processing", records, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            Problem: on_problem,
            HTTPException: on_http_error,
            rules.BreachRefused: _on_refusal,
            ledger_rules.DisclosureRefused: _on_refusal,
            ConcurrencyConflict: on_busy,
            PyMongoError: on_busy,
        },
    )


def _record_of_processing(path: Path) -> RecordOfProcessing:
    try:
        text = path.read_bytes()
    except OSError:
        raise Problem(
            503, "records-unavailable", "The record of processing has not been generated."
        ) from None
    with contextlib.suppress(ValidationError):
        return RecordOfProcessing.model_validate_json(text)
    log.error("privacy.record_of_processing_invalid")  # stale or hand-edited: regenerate it
    raise Problem(503, "records-unavailable", "The record of processing does not validate.")


_REFUSALS: dict[str, tuple[int, str]] = {
    rules.UnknownBreach.code: (404, "There is no breach under this id."),
    rules.DetectedInFuture.code: (422, "A breach is registered after it was detected."),
    rules.NotifiedOutOfRange.code: (
        422,
        "The regulator is notified after the breach was detected and not later than now.",
    ),
    rules.WrongState.code: (
        409,
        "The breach is not in a state that allows this, or this step was recorded with other "
        "details.",
    ),
    rules.KeyReused.code: (409, "The Idempotency-Key was used for a request with other details."),
    ledger_rules.UnknownRecipient.code: (
        422,
        "The recipient is not in the registry (GET /internal/recipients).",
    ),
    ledger_rules.DisclosedInFuture.code: (422, "A disclosure is recorded after it happened."),
}
"""Each refusal's status and what staff are told (``code`` is the problem's slug)."""


async def _on_refusal(request: Request, error: Exception) -> Response:
    code = getattr(error, "code", "refused")
    status, detail = _REFUSALS.get(code, (409, "The request is refused by the register's rules."))
    return problem_response(Problem(status, code, detail))
