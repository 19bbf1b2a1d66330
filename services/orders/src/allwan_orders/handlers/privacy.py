"""A customer's privacy request (PDPL), orders' part of it: the orders part of an access
request's export, or the correction of the contact orders owns (``handlers.correction``).

Personal data is opened for ``data_access`` or ``data_correction`` only (C4).
"""

from __future__ import annotations

import structlog
from allwan_contracts import (
    CustomerDataExported,
    PrivacyRequestKind,
    PrivacyRequestStarted,
    SealedDocument,
    reply_id,
)
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy_export import OrdersPart
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
)
from allwan_runtime.eventstore import stream_id
from allwan_runtime.keystore import Purpose

from allwan_orders.domain.privacy import export_contact, export_order
from allwan_orders.handlers.correction import apply_correction
from allwan_orders.handlers.customer_data import customer_data, newest_readable_contact
from allwan_orders.handlers.ports import Privacy

log = structlog.get_logger(__name__)


async def answer_privacy_request(
    event: PrivacyRequestStarted, envelope: Envelope, deps: Privacy
) -> None:
    """Do orders' part of a privacy request the privacy service started.

    access: the customer's contact and every order with its history, sealed under their key
    (``CustomerDataExported``; ``nothing_held`` for an erased or unknown customer).
    correction: applied to the contact orders owns (``handlers.correction``).
    erasure: nothing here. The consent service shreds the key; orders confirms once its read
    models are redacted (``handlers.views.forget_customer``).
    """
    match event.kind:
        case PrivacyRequestKind.ACCESS:
            await export_orders_part(event, envelope, deps)
        case PrivacyRequestKind.CORRECTION:
            await apply_correction(event, envelope, deps)
        case PrivacyRequestKind.ERASURE:
            return


async def export_orders_part(
    event: PrivacyRequestStarted, envelope: Envelope, deps: Privacy
) -> None:
    """Record orders' part of the export once: a redelivered request opens nothing again."""
    answer = reply_id(event.request_id, deps.service)
    if await deps.store.load(stream_id(CustomerDataExported.aggregate_type, answer)):
        return
    customer_id = event.customer_id
    part = None if await deps.keys.is_erased(customer_id) else await orders_part(deps, customer_id)
    sealed = None
    if part is not None:
        try:
            sealed = await deps.keys.seal(customer_id, EXPORT_PART_FIELD, part.model_dump_json())
        except LookupError:  # erased meanwhile: nothing is sealed for them any more
            sealed = None
    exported = CustomerDataExported(
        reply_id=answer,
        request_id=event.request_id,
        customer_id=customer_id,
        service=deps.service,
        part_name="orders",
        part=None if sealed is None else SealedDocument(**sealed.model_dump()),
        nothing_held=sealed is None,
        exported_at=deps.clock(),
    )
    await deps.replies.first(exported, envelope.correlation_id)
    log.info("privacy.orders_part_exported", request_id=event.request_id, held=sealed is not None)


async def orders_part(deps: Privacy, customer_id: str) -> OrdersPart | None:
    """What orders holds about the customer, opened for their access request (C4:
    ``data_access``); None if it holds nothing."""
    held = await customer_data(deps, customer_id)
    orders = [
        found
        for order_id, events in held.orders
        if (found := export_order(order_id, events)) is not None
    ]
    orders.sort(key=lambda order: (order.placed_at, order.order_id))
    opened = await newest_readable_contact(deps.keys, held.contacts, Purpose.DATA_ACCESS)
    contact = export_contact(opened or {})
    if contact is None and not orders:
        return None
    return OrdersPart(contact=contact, orders=orders)
