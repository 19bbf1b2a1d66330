"""The read models: orders' own events, erasures, and the privacy-policy version in force."""

from __future__ import annotations

from allwan_contracts import CustomerErased, PolicyChanged
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope

from allwan_orders.handlers.ports import Views


async def project(event: Event, envelope: Envelope, views: Views) -> None:
    """Apply one of orders' own events to the read models (orders, customers), once per
    aggregate version: a redelivered event changes nothing."""
    await views.read_models(envelope, event)


async def forget_customer(event: CustomerErased, envelope: Envelope, views: Views) -> None:
    """PDPL erasure (consent shredded the key): the customer's record drops its sealed
    contact for good and takes no new one."""
    await views.customers.redact(event.customer_id, event.erased_at)


async def follow_policy(event: PolicyChanged, envelope: Envelope, views: Views) -> None:
    """A published policy version (PC1): orders are placed under the newest one (K1)."""
    await views.policies.record(event.policy_id, event.version)
