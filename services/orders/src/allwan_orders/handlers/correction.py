"""A correction of the customer's contact (PDPL): orders owns it (``customer_contact``), so
orders applies it, and makes the old values unreadable everywhere by crypto-shredding.

1. Open the contact held (the newest that still opens) and the requested changes, for
   ``data_correction`` only (C4), and merge them (``domain.privacy.corrected_contact``).
2. ``rotate`` the customer's data key, then seal every field, changed or not, under the new
   generation.
3. Append ``CustomerContactChanged`` naming the request (``CustomerContactRecord.correct``).
4. ``retire`` every older generation.

From step 4 on, every value sealed under an older generation opens as ``ERASED``, in every
event store, topic, read model and backup: the old values, and with them the contact in
earlier order events (``OrderPlaced``), in messages still in flight that were sealed before
the rotation (an order requested at that moment is refused; ``handlers.placing``), and in an
access export made before the correction. The current contact lives on in the new
``CustomerContactChanged``; read models take it from there (orders' customers view: the
newest contact wins), and nothing in orders opens an order's contact after placing it.

At-least-once delivery: a request redelivered after step 3 finds its correction on record
and only retires (idempotent); after a crash between steps 2 and 3 it is applied again with
one more generation, and still only the newest stays readable. Orders answers the request
(``CorrectionApplied``) once its customers view shows the new contact
(``handlers.views.show_contact``).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from uuid import UUID

import structlog
from allwan_contracts import (
    CorrectionApplied,
    CustomerContact,
    PrivacyRequestStarted,
    Sealed,
    reply_id,
)
from allwan_contracts.envelope import Envelope
from allwan_runtime.keystore import ERASED, Purpose

from allwan_orders.domain.customer import ContactRefused, CustomerContactRecord
from allwan_orders.domain.privacy import (
    CorrectionImpossible,
    changes_to_open,
    corrected_contact,
)
from allwan_orders.handlers.customer_data import customer_data, newest_readable_contact
from allwan_orders.handlers.ports import KeyGenerations, Privacy, Replies

log = structlog.get_logger(__name__)
_SEAL_ATTEMPTS = 3


async def apply_correction(event: PrivacyRequestStarted, envelope: Envelope, deps: Privacy) -> None:
    """Correct the customer's contact as the request asks; the old values become unreadable.

    An erased customer, or one orders holds no contact of that the changes cannot complete
    (a name, email and phone), has nothing here to correct: answered at once.
    """
    customer_id = event.customer_id
    record = await deps.contacts.get(customer_id)
    kid = record.corrections.get(event.request_id)
    if kid is None:
        kid = await _correct(event, envelope, record, deps)
        if kid is None:
            return
    await retire_older(deps.keys, customer_id, kid)


async def _correct(
    event: PrivacyRequestStarted, envelope: Envelope, record: CustomerContactRecord, deps: Privacy
) -> str | None:
    """Steps 1 to 3; the kid of the corrected contact, or None if there is nothing to correct."""
    customer_id = event.customer_id
    if event.changes is None:  # the contract gives every correction its changes
        raise ValueError("a correction without changes")
    if await deps.keys.is_erased(customer_id):
        await answer_nothing_to_correct(event, envelope, deps, "erased")
        return None
    held = await customer_data(deps, customer_id)
    current = await newest_readable_contact(deps.keys, held.contacts, Purpose.DATA_CORRECTION)
    changes = await _open_changes(deps.keys, changes_to_open(customer_id, event.changes.fields()))
    try:
        merged = corrected_contact(current or {}, changes)
    except CorrectionImpossible:
        await answer_nothing_to_correct(event, envelope, deps, "no_contact_held")
        return None
    try:
        await deps.keys.rotate(customer_id)
        contact = await _seal_under_one_generation(deps.keys, customer_id, merged)
    except LookupError:  # erased meanwhile
        await answer_nothing_to_correct(event, envelope, deps, "erased")
        return None
    record.correct(contact, event.channel, event.request_id)
    await deps.contacts.save(
        record, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
    )
    log.info("privacy.contact_corrected", request_id=event.request_id, fields=sorted(changes))
    return contact.name.kid


async def _open_changes(keys: KeyGenerations, fields: Mapping[str, Sealed]) -> dict[str, str]:
    changes = {
        field: await keys.open(sealed, field=field, purpose=Purpose.DATA_CORRECTION)
        for field, sealed in fields.items()
    }
    if ERASED in changes.values():
        # Sealed under a generation retired since the request was received: nothing else
        # retires it while the request is open, so this is a fault to look into.
        raise ValueError("the corrected values no longer open")
    return changes


async def _seal_under_one_generation(
    keys: KeyGenerations, customer_id: str, fields: dict[str, str]
) -> CustomerContact:
    # Retiring below one generation must leave every field readable; a concurrent rotation
    # (the same request handled twice at once) could split the fields over two.
    for _ in range(_SEAL_ATTEMPTS):
        sealed = {
            field: await keys.seal(customer_id, field, value) for field, value in fields.items()
        }
        if len({value.kid for value in sealed.values()}) == 1:
            return CustomerContact(**sealed)
    raise ContactRefused("the corrected contact could not be sealed under one key generation")


async def retire_older(keys: KeyGenerations, customer_id: str, kid: str) -> None:
    """Destroy every generation of the customer's key older than ``kid``'s (idempotent)."""
    # LookupError: a later correction retired ``kid`` too, and nothing older than it opens.
    with suppress(LookupError):
        await keys.retire(customer_id, keep_kid=kid)


async def answer_nothing_to_correct(
    event: PrivacyRequestStarted, envelope: Envelope, deps: Privacy, why: str
) -> None:
    """Answer a correction orders holds nothing to apply to: no old value of it is readable
    here, and no new contact will be recorded."""
    await record_correction_applied(
        deps.replies,
        service=deps.service,
        request_id=event.request_id,
        customer_id=event.customer_id,
        correlation_id=envelope.correlation_id,
        applied_at=deps.clock(),
        nothing_held=True,
    )
    log.info("privacy.nothing_to_correct", request_id=event.request_id, reason=why)


async def record_correction_applied(
    replies: Replies,
    *,
    service: str,
    request_id: str,
    customer_id: str,
    correlation_id: UUID,
    applied_at: datetime,
    nothing_held: bool = False,
) -> bool:
    """Record ``CorrectionApplied`` once per request and service; ``nothing_held`` when there
    was no contact to correct (the privacy service then waits for no other answer)."""
    applied = CorrectionApplied(
        reply_id=reply_id(request_id, service),
        request_id=request_id,
        customer_id=customer_id,
        service=service,
        applied_at=applied_at,
        nothing_held=nothing_held,
    )
    return await replies.first(applied, correlation_id)
