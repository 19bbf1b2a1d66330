"""The read models: orders' own events, erasures, and the privacy-policy version in force.

Orders answers two privacy requests from here (PDPL), once its read models show the outcome:
a correction (``CorrectionApplied``) and an erasure (``ErasureConfirmed``).
"""

from __future__ import annotations

from allwan_contracts import (
    CustomerContactChanged,
    CustomerErased,
    ErasureConfirmed,
    PolicyChanged,
    reply_id,
)
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope

from allwan_orders.handlers.correction import record_correction_applied, retire_older
from allwan_orders.handlers.ports import Views


async def project(event: Event, envelope: Envelope, views: Views) -> None:
    """Apply one of orders' own events to the read models (orders, customers, each
    customer's orders), once per aggregate version: a redelivered event changes nothing."""
    await views.read_models(envelope, event)


async def show_contact(event: CustomerContactChanged, envelope: Envelope, views: Views) -> None:
    """A contact orders recorded, into the customer's record (the newest wins). One that
    corrects a privacy request is answered (``CorrectionApplied``) once the record shows it
    and the key generations of the old values are retired (``handlers.correction``, which
    may not have got that far yet: retiring is idempotent)."""
    await views.read_models(envelope, event)
    if event.request_id is None:
        return
    await retire_older(views.keys, event.customer_id, event.contact.name.kid)
    await record_correction_applied(
        views.replies,
        service=views.service,
        request_id=event.request_id,
        customer_id=event.customer_id,
        correlation_id=envelope.correlation_id,
        applied_at=views.clock(),
    )


async def forget_customer(event: CustomerErased, envelope: Envelope, views: Views) -> None:
    """PDPL erasure (consent shredded the key): the customer's record drops its sealed
    contact for good and takes no new one; then orders confirms it (``ErasureConfirmed``,
    once per customer). Orders keep their amounts, VAT and dates; their contact was sealed
    under the shredded key, and the customer is an id."""
    await views.customers.redact(event.customer_id, event.erased_at)
    confirmed = ErasureConfirmed(
        reply_id=reply_id(event.customer_id, views.service),
        customer_id=event.customer_id,
        service=views.service,
        confirmed_at=views.clock(),
    )
    await views.replies.first(confirmed, envelope.correlation_id)


async def follow_policy(event: PolicyChanged, envelope: Envelope, views: Views) -> None:
    """A published policy version (PC1): orders are placed under the newest one (K1)."""
    await views.policies.record(event.policy_id, event.version)
