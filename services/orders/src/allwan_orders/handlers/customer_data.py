"""What orders recorded about one customer, read from its own event store for their privacy
requests: their orders (listed by the ``customer_orders`` read model), each with its events,
and every contact they gave (the contact record's, each order's), with the times recorded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from allwan_contracts import CustomerContact, CustomerContactChanged, OrderPlaced, read_event
from allwan_runtime.eventstore import Streams, stream_id
from allwan_runtime.keystore import ERASED, Purpose

from allwan_orders.domain.customer import CustomerContactRecord
from allwan_orders.domain.order import Order
from allwan_orders.domain.placing import CONTACT_FIELDS
from allwan_orders.domain.privacy import REQUIRED_CONTACT_FIELDS, Stamped
from allwan_orders.handlers.ports import Keys, Privacy


@dataclass(frozen=True)
class CustomerData:
    """A customer's orders (id and events, oldest first) and every contact they gave, as
    ``(when recorded, contact)``, newest first."""

    orders: list[tuple[str, list[Stamped]]]
    contacts: list[tuple[Stamped, CustomerContact]]


async def customer_data(deps: Privacy, customer_id: str) -> CustomerData:
    """Everything orders recorded about the customer."""
    order_ids = list(await deps.customer_orders.order_ids(customer_id))
    changes, *orders = await asyncio.gather(
        history(deps.store, CustomerContactRecord.aggregate_type, customer_id),
        *(history(deps.store, Order.aggregate_type, order_id) for order_id in order_ids),
    )
    contacts = [
        (stamped, stamped.event.contact)
        for stamped in [*changes, *(stamped for events in orders for stamped in events)]
        if isinstance(stamped.event, OrderPlaced | CustomerContactChanged)
    ]
    contacts.sort(key=lambda found: found[0].at, reverse=True)
    return CustomerData(orders=list(zip(order_ids, orders, strict=True)), contacts=contacts)


async def history(store: Streams, aggregate_type: str, aggregate_id: str) -> list[Stamped]:
    """One aggregate's events with the times they were recorded, oldest first."""
    envelopes = await store.load(stream_id(aggregate_type, aggregate_id))
    return [Stamped(read_event(envelope), envelope.occurred_at) for envelope in envelopes]


async def newest_readable_contact(
    keys: Keys, contacts: list[tuple[Stamped, CustomerContact]], purpose: Purpose
) -> dict[str, str] | None:
    """The newest contact whose name, email and phone still open, opened for ``purpose``.

    Older ones are passed over: a correction retires the key generations of the values it
    replaced, which then open as ``ERASED``, and so does a contact sealed under one of them
    that was in flight (an order requested just before the correction).
    """
    for _, contact in contacts:
        opened = await open_contact(keys, contact, purpose)
        if all(field in opened for field in REQUIRED_CONTACT_FIELDS):
            return opened
    return None


async def open_contact(keys: Keys, contact: CustomerContact, purpose: Purpose) -> dict[str, str]:
    """The contact's fields that still open, by name (``ERASED`` ones left out)."""
    opened: dict[str, str] = {}
    for field in CONTACT_FIELDS:
        sealed = getattr(contact, field)
        if sealed is None:
            continue
        value = await keys.open(sealed, field=field, purpose=purpose)
        if value != ERASED:
            opened[field] = value
    return opened
