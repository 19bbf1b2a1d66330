"""The notifier's answers to privacy requests (PDPL), on ``allwan.privacy.replies``.

- access: the customer's emails (kind, time, outcome) as the ``emails`` part of their export,
  sealed under their key (T2);
- correction: the address book shows the corrected email;
- erasure: the address book holds nothing readable of the erased customer.

Each answer is recorded once, as the first event of its own stream (``reply_id``): a
redelivered event records nothing twice, and the relay publishes what was recorded.
"""

from __future__ import annotations

from allwan_contracts import (
    CorrectionApplied,
    CustomerContactChanged,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    Event,
    PrivacyRequestKind,
    PrivacyRequestStarted,
    reply_id,
)
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
)
from allwan_contracts.sealed import (
    SealedDocument,
)

from allwan_notifier.domain.privacy import emails_part
from allwan_notifier.handlers.ports import Deps


async def export_emails(started: PrivacyRequestStarted, envelope: Envelope, deps: Deps) -> None:
    """Access: every email sent or tried to the customer, sealed as the ``emails`` part; for a
    customer erased, or unknown here, a part that says nothing is held."""
    if started.kind is not PrivacyRequestKind.ACCESS:
        return
    part = await _sealed_part(started.customer_id, deps)
    exported = CustomerDataExported(
        reply_id=reply_id(started.request_id, deps.service),
        request_id=started.request_id,
        customer_id=started.customer_id,
        service=deps.service,
        part_name="emails",
        part=part,
        nothing_held=part is None,
        exported_at=deps.clock(),
    )
    await _answer(exported, envelope, deps)


async def _sealed_part(customer_id: str, deps: Deps) -> SealedDocument | None:
    if await deps.secrets.is_erased(customer_id):
        return None
    entries = await deps.ledger.of_customer(customer_id)
    if not entries and (await deps.book.recipient(customer_id)).address is None:
        return None  # never heard of: sealing would make them a key
    part = emails_part(entries)
    try:
        sealed = await deps.secrets.seal(customer_id, EXPORT_PART_FIELD, part.model_dump_json())
    except LookupError:  # erased since the check: nothing readable is held any more
        return None
    return SealedDocument(**sealed.model_dump())


async def answer_correction(
    changed: CustomerContactChanged, envelope: Envelope, deps: Deps
) -> None:
    """Correction: called once the address book has taken ``changed``'s email."""
    if changed.request_id is None:
        return
    applied = CorrectionApplied(
        reply_id=reply_id(changed.request_id, deps.service),
        request_id=changed.request_id,
        customer_id=changed.customer_id,
        service=deps.service,
        applied_at=deps.clock(),
    )
    await _answer(applied, envelope, deps)


async def confirm_erasure(erased: CustomerErased, envelope: Envelope, deps: Deps) -> None:
    """Erasure, asked for or at the end of retention: called once the address book is
    redacted. One confirmation per customer, whichever erasure event brought it."""
    confirmed = ErasureConfirmed(
        reply_id=reply_id(erased.customer_id, deps.service),
        customer_id=erased.customer_id,
        service=deps.service,
        confirmed_at=deps.clock(),
    )
    await _answer(confirmed, envelope, deps)


async def _answer(reply: Event, envelope: Envelope, deps: Deps) -> None:
    # The request's correlation id: its answers are traced with it.
    await deps.replies.first(reply, envelope.correlation_id)
