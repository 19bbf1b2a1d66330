"""Moving a request in progress on: the answers it has, its completion, its slot.

Every handler that touches a request ends here (``progress``), so a redelivered record
finishes whatever a crash left undone: a completion not yet recorded, a slot not released.
"""

from __future__ import annotations

import uuid

import structlog
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy import (
    PrivacyRequestKind,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)

from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.exporting import UnreadablePart, make_export
from allwan_privacy.handlers.ports import Deps

log = structlog.get_logger(__name__)


async def save(request: PrivacyRequest, envelope: Envelope | None, deps: Deps) -> None:
    """Store what the request recorded, caused by ``envelope``'s event (if anything; None for
    what the clock decided)."""
    if not request.pending:
        return
    if envelope is None:
        await deps.requests.save(request, correlation_id=uuid.uuid4())
    else:
        await deps.requests.save(
            request, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
        )


async def progress(
    request: PrivacyRequest, envelope: Envelope | None, deps: Deps, *, starting: bool = False
) -> None:
    """Take the request as far as it goes now, and store it.

    A request in progress for an erased customer completes at once when ``completes_for_erased``
    says so (``starting``: work on it starts now); an erasure takes the confirmations that
    arrived before it started; a request every expected service answered completes. A closed
    request frees its customer's slot for another request of its kind.
    """
    receipt = request.receipt
    if receipt is None:
        return
    if request.state is State.IN_PROGRESS:
        customer, expected = receipt.customer_id, deps.expected[receipt.kind]
        if request.completes_for_erased(starting=starting) and await deps.secrets.is_erased(
            customer
        ):
            await _finish(request, envelope, deps, erased=True)
        else:
            if receipt.kind is PrivacyRequestKind.ERASURE:
                for service, at in (await deps.confirmations.of(customer, expected)).items():
                    request.answer(service, at=at, expected=expected)
            if not request.waiting_for(expected):
                await _finish(request, envelope, deps, erased=False)
    await save(request, envelope, deps)
    if not request.open:
        await deps.slots.release(receipt.customer_id, receipt.kind, request.id)
        if receipt.kind is PrivacyRequestKind.ACCESS:
            await deps.parts.drop(request.id)  # sealed copies the export now holds


async def _finish(
    request: PrivacyRequest, envelope: Envelope | None, deps: Deps, *, erased: bool
) -> None:
    receipt = request.received()
    at, export_expires_at = deps.clock(), None
    if receipt.kind is PrivacyRequestKind.ACCESS:
        try:
            export = await make_export(request, deps, at, erased=erased)
        except UnreadablePart as problem:
            # Stays in progress (and overdue in time): staff see it; nothing is made up.
            log.error(  # noqa: TRY400 - a traceback could quote what the part holds
                "privacy.export_part_unusable", request_id=request.id, problem=str(problem)
            )
            return
        at, export_expires_at = export.generated_at, export.expires_at
    if erased:
        request.complete_for_erased(at=at, export_expires_at=export_expires_at)
    else:
        request.complete(
            at=at, expected=deps.expected[receipt.kind], export_expires_at=export_expires_at
        )
    log.info(
        "privacy.request_completed",
        request_id=request.id,
        kind=receipt.kind.value,
        nothing_held=erased,
        correlation_id=str(envelope.correlation_id) if envelope else None,
    )
