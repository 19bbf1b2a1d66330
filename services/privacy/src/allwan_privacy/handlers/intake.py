"""Requests as the gateway (web, staff) and the consent service (WhatsApp) recorded them.

Intake is at-least-once: a redelivered record changes nothing (the request is on record, or
its event id already caused events on the request's stream), and a command the rules refuse
is logged with its reason and records nothing; neither is retried nor dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import structlog
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy import (
    PrivacyRequestKind,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestConfirmed,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestSubmitted,
)

from allwan_privacy.domain.errors import RequestRefused
from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.fulfilment import progress, save
from allwan_privacy.handlers.ports import Deps

log = structlog.get_logger(__name__)

ABANDONED_CLAIM = timedelta(minutes=10)
"""A slot claimed this long ago by a request that recorded nothing was left by a crash (a
request records its receipt right after its claim)."""


async def receive_request(
    submitted: PrivacyRequestSubmitted, envelope: Envelope, deps: Deps
) -> None:
    """A customer asked to exercise a right (PDPL): put it on record, its 30-day clock running
    from when they asked, and start work at once when their identity is shown.

    A customer has one open request of each kind: another one is refused here, quietly (the
    gateway answers 409 before it records one; this closes the race).
    """
    request = await deps.requests.get(submitted.request_id)
    if request.receipt is not None:  # redelivered: finish what a crash may have left
        if request.receipt.customer_id == submitted.customer_id:
            await progress(request, envelope, deps)
        return
    if not await _claim(submitted.customer_id, submitted.kind, submitted.request_id, deps):
        _refused(submitted.request_id, "open_request_of_same_kind", submitted.kind)
        return
    try:
        request.receive(
            customer_id=submitted.customer_id,
            kind=submitted.kind,
            channel=submitted.channel,
            by=submitted.requested_by,
            at=submitted.submitted_at,
            identity_check=submitted.identity_check,
            changes=submitted.changes,
            erasure_grace=deps.erasure_grace,
        )
    except RequestRefused as refusal:
        await deps.slots.release(submitted.customer_id, submitted.kind, submitted.request_id)
        _refused(submitted.request_id, refusal.code, submitted.kind)
        return
    await save(request, envelope, deps)
    log.info(
        "privacy.request_received",
        request_id=request.id,
        kind=submitted.kind.value,
        channel=submitted.channel.value,
        state=request.state.value if request.state else None,
    )
    await progress(request, envelope, deps, starting=True)


async def confirm_erasure(
    confirmed: PrivacyRequestConfirmed, envelope: Envelope, deps: Deps
) -> None:
    """A second WhatsApp message confirms the customer's erasure awaiting confirmation (K3):
    within 24 hours of the request, the erasure starts; any other "yes" changes nothing."""
    customer = confirmed.customer_id
    held = await deps.slots.holder(customer, PrivacyRequestKind.ERASURE)
    if held is None:
        _refused(confirmed.request_id, "nothing_to_confirm", PrivacyRequestKind.ERASURE)
        return
    request = await deps.requests.get(held.request_id)
    if await deps.requests.handled(request.id, envelope.event_id):
        await progress(request, envelope, deps)
        return
    try:
        request.check_customer(customer)
        request.confirm(
            at=confirmed.confirmed_at, by=confirmed.requested_by, erasure_grace=deps.erasure_grace
        )
    except RequestRefused as refusal:
        _refused(request.id, refusal.code, PrivacyRequestKind.ERASURE)
        return
    await save(request, envelope, deps)
    log.info("privacy.erasure_confirmed", request_id=request.id)
    await progress(request, envelope, deps, starting=True)


async def cancel_request(
    cancellation: PrivacyRequestCancellationRequested, envelope: Envelope, deps: Deps
) -> None:
    """The customer withdraws their request, before work on it starts."""
    request = await _close(
        cancellation.request_id,
        cancellation.customer_id,
        lambda request: request.cancel(by=cancellation.requested_by, at=cancellation.requested_at),
        envelope,
        deps,
    )
    if request is not None:
        log.info("privacy.request_cancelled", request_id=request.id)


async def extend_request(
    extension: PrivacyRequestExtensionRequested, envelope: Envelope, deps: Deps
) -> None:
    """Staff extend the deadline, once, by up to 30 days, before it passes (PDPL); the
    notifier tells the customer the new date and the reason."""
    request = await _command_target(extension.request_id, extension.customer_id, deps)
    if request is None or await deps.requests.handled(request.id, envelope.event_id):
        return
    try:
        request.extend(
            extension.days, extension.reason, by=extension.requested_by, at=extension.requested_at
        )
    except RequestRefused as refusal:
        _refused(request.id, refusal.code)
        return
    await save(request, envelope, deps)
    log.info("privacy.request_extended", request_id=request.id, days=extension.days)


async def deny_request(
    denial: PrivacyRequestDenialRequested, envelope: Envelope, deps: Deps
) -> None:
    """Staff refuse the request for a legal reason, shown to the customer."""
    request = await _close(
        denial.request_id,
        denial.customer_id,
        lambda request: request.deny(
            denial.reason, denial.explanation, by=denial.requested_by, at=denial.requested_at
        ),
        envelope,
        deps,
    )
    if request is not None:
        log.info("privacy.request_denied", request_id=request.id, reason=denial.reason.value)


async def _close(
    request_id: str,
    customer_id: str,
    command: Callable[[PrivacyRequest], None],
    envelope: Envelope,
    deps: Deps,
) -> PrivacyRequest | None:
    """Run a command that closes the named request (cancel, deny) and store it, freeing the
    customer's slot; the request if the command recorded something now, else None."""
    request = await _command_target(request_id, customer_id, deps)
    if request is None:
        return None
    if await deps.requests.handled(request.id, envelope.event_id):
        await progress(request, envelope, deps)  # a crash may have left the slot held
        return None
    try:
        command(request)
    except RequestRefused as refusal:
        _refused(request.id, refusal.code)
        return None
    await progress(request, envelope, deps)
    return request


async def _command_target(request_id: str, customer_id: str, deps: Deps) -> PrivacyRequest | None:
    """The request a command names, if it is on record and the named customer's."""
    request = await deps.requests.get(request_id)
    try:
        request.check_customer(customer_id)
    except RequestRefused as refusal:
        _refused(request_id, refusal.code)
        return None
    return request


async def _claim(customer_id: str, kind: PrivacyRequestKind, request_id: str, deps: Deps) -> bool:
    """Whether ``request_id`` holds the customer's slot for ``kind`` (now or already)."""
    now = deps.clock()
    held = await deps.slots.claim(customer_id, kind, request_id, now)
    if held.request_id == request_id:
        return True
    holder = await deps.requests.get(held.request_id)
    if holder.open:
        return False
    if holder.receipt is None and now - held.claimed_at < ABANDONED_CLAIM:
        return False  # claimed a moment ago: its receipt is being recorded
    return await deps.slots.take_over(customer_id, kind, held, request_id, now)


def _refused(request_id: str, code: str, kind: PrivacyRequestKind | None = None) -> None:
    log.warning(
        "privacy.command_refused",
        request_id=request_id,
        reason=code,
        kind=kind.value if kind else None,
    )
