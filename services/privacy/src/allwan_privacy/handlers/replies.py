"""Each holding service's answer to a request in progress, from ``allwan.privacy.replies``.

An answer is taken only from the service it names (S1: each speaks for itself) and only for a
request of its kind; it is recorded once (``PrivacyRequestServiceAnswered``, the proof), and
the request completes once every expected service answered. A redelivered or late answer
changes nothing.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy import (
    PrivacyRequestKind,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_contracts.privacy_replies import (
    CorrectionApplied,
    CustomerDataExported,
    ErasureConfirmed,
)

from allwan_privacy.domain.errors import RequestRefused
from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.fulfilment import progress
from allwan_privacy.handlers.ports import Deps, StoredPart

log = structlog.get_logger(__name__)


async def keep_part(exported: CustomerDataExported, envelope: Envelope, deps: Deps) -> None:
    """A service's part of an access request's export (or its word that it holds nothing):
    kept as sent, sealed and unopened, and counted as the service's answer."""
    request = await _request_answered(
        exported.request_id, exported, PrivacyRequestKind.ACCESS, envelope, deps
    )
    if request is None:
        return
    if request.state is State.IN_PROGRESS:  # a late part would outlive the export's cleanup
        part = StoredPart(exported.service, exported.part_name, exported.part)
        await deps.parts.keep(request.id, exported.customer_id, part)
    await _answer(request, exported.service, exported.exported_at, envelope, deps)


async def record_correction(applied: CorrectionApplied, envelope: Envelope, deps: Deps) -> None:
    """A service shows the corrected contact details (the owner recorded them, or a read model
    took them): its answer to the correction. The owner's "nothing held" (no contact to
    correct) ends the correction: no other service will see a change."""
    request = await _request_answered(
        applied.request_id, applied, PrivacyRequestKind.CORRECTION, envelope, deps
    )
    if request is None:
        return
    await _answer(request, applied.service, applied.applied_at, envelope, deps)
    if (
        applied.nothing_held
        and applied.service == deps.contact_owner
        and request.state is State.IN_PROGRESS
        and request.complete_nothing_to_correct(owner=applied.service, at=deps.clock())
    ):
        log.info("privacy.nothing_to_correct", request_id=request.id)
        await progress(request, envelope, deps)


async def record_erasure_confirmation(
    confirmed: ErasureConfirmed, envelope: Envelope, deps: Deps
) -> None:
    """A service holds nothing readable of an erased customer any more. It names no request:
    it answers the customer's erasure in progress. It is kept first, so that an erasure that
    starts later (a WhatsApp one confirmed afterwards) takes it when it starts."""
    if not _speaks_for_itself(confirmed.service, confirmed.reply_id, envelope):
        return
    customer, service = confirmed.customer_id, confirmed.service
    await deps.confirmations.remember(customer, service, confirmed.confirmed_at)
    held = await deps.slots.holder(customer, PrivacyRequestKind.ERASURE)
    request = None if held is None else await deps.requests.get(held.request_id)
    if request is None or request.state is not State.IN_PROGRESS:
        log.info("privacy.erasure_confirmation_kept", reply_id=confirmed.reply_id, service=service)
        return
    if request.received().customer_id == customer:
        await _answer(request, service, confirmed.confirmed_at, envelope, deps)


async def _request_answered(
    request_id: str,
    reply: CustomerDataExported | CorrectionApplied,
    kind: PrivacyRequestKind,
    envelope: Envelope,
    deps: Deps,
) -> PrivacyRequest | None:
    if not _speaks_for_itself(reply.service, reply.reply_id, envelope):
        return None
    request = await deps.requests.get(request_id)
    receipt = request.receipt
    if receipt is None or receipt.customer_id != reply.customer_id or receipt.kind is not kind:
        log.warning(
            "privacy.answer_refused",
            reply_id=reply.reply_id,
            request_id=request_id,
            reason="no_such_request_of_this_customer_and_kind",
        )
        return None
    return request


async def _answer(
    request: PrivacyRequest, service: str, at: datetime, envelope: Envelope, deps: Deps
) -> None:
    try:
        request.answer(service, at=at, expected=deps.expected[request.received().kind])
    except RequestRefused as refusal:
        # A request completed or denied meanwhile: the answer comes too late to matter.
        log.info(
            "privacy.answer_ignored", request_id=request.id, service=service, reason=refusal.code
        )
        return
    await progress(request, envelope, deps)


def _speaks_for_itself(service: str, reply_id: str, envelope: Envelope) -> bool:
    if envelope.producer == service:
        return True
    log.warning("privacy.answer_refused", reply_id=reply_id, reason="answered_for_another_service")
    return False
