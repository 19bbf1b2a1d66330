"""Privacy requests recorded as intake events for the privacy service (PDPL: access and a
copy, correction, destruction; answered within 30 days).

A submission's stream is named by its request id (``privacy_intake:<request_id>``, from the
customer and the ``Idempotency-Key``), so a retry lands on the same stream and is recorded
once; a cancellation, an extension or a denial is appended at the head of the request's
stream. A correction's values are sealed under the customer's key before anything is stored
(T2), like every personal field.
"""

from __future__ import annotations

import uuid

from allwan_contracts.fields import Channel
from allwan_contracts.privacy import (
    ContactChanges,
    DenialReason,
    IdentityCheck,
    PrivacyRequestKind,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestSubmitted,
)
from allwan_runtime.eventstore import stream_id

from allwan_gateway.domain.idempotency import fingerprint
from allwan_gateway.domain.privacy import RequestView, blocking
from allwan_gateway.handlers.intake import IdempotencyKeyReused, seal_fields
from allwan_gateway.handlers.ports import (
    IntakeDeps,
    PendingPrivacyRequest,
    PersonalFields,
    PrivacyRequestBody,
    Sealer,
)


class AlreadyOpen(Exception):
    """The customer has an open request of the same kind: ``request_id`` names it."""

    def __init__(self, request_id: str) -> None:
        super().__init__(request_id)
        self.request_id = request_id


async def seal_changes(customer_id: str, changes: PersonalFields, keys: Sealer) -> ContactChanges:
    """The corrected fields, sealed (``seal_fields``)."""
    return ContactChanges(**await seal_fields(customer_id, changes, keys))


async def record_privacy_request(
    request: PrivacyRequestBody,
    *,
    request_id: str,
    customer_id: str,
    channel: Channel,
    identity_check: IdentityCheck,
    requested_by: str,
    correlation_id: uuid.UUID,
    deps: IntakeDeps,
) -> bool:
    """Record ``PrivacyRequestSubmitted`` once per request id; False for a retry.

    Raises ``AlreadyOpen`` when the customer has an open request of the same kind (a retry
    of that very request is not a duplicate), ``IdempotencyKeyReused`` when the id was used
    for a different request, ``CustomerErased`` for a correction of an erased customer. The
    request is listed for its customer before its event is stored, so the privacy service's
    answer, however fast, finds it.
    """
    kind = PrivacyRequestKind(request.kind)
    same = fingerprint(deps.fingerprint_key, request.model_dump(mode="json"))
    now = deps.clock()
    known = await deps.privacy.known(request_id)
    if known:
        if not await deps.privacy.same_request(request_id, same):
            raise IdempotencyKeyReused(request_id)
        if await deps.store.load(stream_id(PrivacyRequestSubmitted.aggregate_type, request_id)):
            return False  # recorded before: nothing to seal again
    else:
        open_one = blocking(await deps.privacy.of_customer(customer_id), kind, now)
        if open_one is not None:
            raise AlreadyOpen(open_one.request_id)
    corrections = request.corrections()
    changes = (
        None if corrections is None else await seal_changes(customer_id, corrections, deps.keys)
    )
    first = False
    if not known:
        pending = PendingPrivacyRequest(request_id, customer_id, kind, channel, requested_by, now)
        first = await deps.privacy.add(pending, same)
        if not first and not await deps.privacy.same_request(request_id, same):
            raise IdempotencyKeyReused(request_id)
    event = PrivacyRequestSubmitted(
        request_id=request_id,
        customer_id=customer_id,
        requested_by=requested_by,
        kind=kind,
        channel=channel,
        identity_check=identity_check,
        changes=changes,
        submitted_at=now,
    )
    return await deps.recorder.first(event, correlation_id, surely_new=first)


async def record_privacy_cancellation(
    request: RequestView, *, correlation_id: uuid.UUID, deps: IntakeDeps
) -> None:
    """Record the customer's ``PrivacyRequestCancellationRequested``; the privacy service
    cancels the request if work on it has not started."""
    event = PrivacyRequestCancellationRequested(
        request_id=request.request_id,
        customer_id=request.customer_id,
        requested_by="customer",
        requested_at=deps.clock(),
    )
    await deps.recorder.next(event, correlation_id)


async def record_privacy_extension(
    request: RequestView,
    *,
    days: int,
    reason: str,
    requested_by: str,
    correlation_id: uuid.UUID,
    deps: IntakeDeps,
) -> None:
    """Record staff's ``PrivacyRequestExtensionRequested`` (once, up to 30 days, with the
    reason the customer is told)."""
    event = PrivacyRequestExtensionRequested(
        request_id=request.request_id,
        customer_id=request.customer_id,
        requested_by=requested_by,
        days=days,
        reason=reason,
        requested_at=deps.clock(),
    )
    await deps.recorder.next(event, correlation_id)


async def record_privacy_denial(
    request: RequestView,
    *,
    reason: DenialReason,
    explanation: str | None,
    requested_by: str,
    correlation_id: uuid.UUID,
    deps: IntakeDeps,
) -> None:
    """Record staff's ``PrivacyRequestDenialRequested`` with its legal reason."""
    event = PrivacyRequestDenialRequested(
        request_id=request.request_id,
        customer_id=request.customer_id,
        requested_by=requested_by,
        reason=reason,
        explanation=explanation,
        requested_at=deps.clock(),
    )
    await deps.recorder.next(event, correlation_id)
