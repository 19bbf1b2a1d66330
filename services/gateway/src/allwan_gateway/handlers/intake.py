"""Requests become intake events in the gateway's own event store ("Requests enter as events").

Personal fields are sealed under the customer's key before anything is stored (T2, C1); the
relay publishes the events; the owning service decides. A request's stream is named by what
identifies it, so a retry lands on the same stream: an order by its id (from the
``Idempotency-Key``), a webhook by its body's hash; the first event of such a stream is
appended at version 0, and a retry loses the race (``ConcurrencyConflict``) and is answered
as already recorded.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from allwan_contracts import (
    ConsentEvidence,
    ConsentPurpose,
    CustomerContact,
    Event,
    new_envelope,
)
from allwan_contracts.fields import Channel
from allwan_contracts.intake import (
    CancellationRequested,
    ConsentAction,
    ConsentChangeRequested,
    OrderRequested,
    OrderSource,
    PaymentReported,
    PolicyPublishRequested,
    WebhookReceived,
    WebhookSource,
)
from allwan_contracts.orders import CancellationReason
from allwan_runtime.eventstore import ConcurrencyConflict, stream_id_of

from allwan_gateway.domain.idempotency import fingerprint
from allwan_gateway.domain.requests import (
    Contact,
    PlaceOrder,
    PublishPolicy,
    ReportPayment,
    effective,
)
from allwan_gateway.domain.signatures import delivery_id
from allwan_gateway.handlers.ports import Documents, EventLog, Sealer
from allwan_gateway.handlers.views import ORDERS, CustomerOrders, pending_order

FINGERPRINT = "_fingerprint"
_APPEND_ATTEMPTS = 5


class IdempotencyKeyReused(Exception):
    """The key was used before for a different request."""


@dataclass
class IntakeDeps:
    store: EventLog
    keys: Sealer
    documents: Documents
    customer_orders: CustomerOrders
    producer: str
    fingerprint_key: bytes
    clock: Callable[[], datetime]


async def _append_first(
    event: Event, correlation_id: uuid.UUID, deps: IntakeDeps, *, surely_new: bool = False
) -> bool:
    """Append the first event of a stream; False if it was recorded before (a retry).

    A retry is recognised by reading the stream first (unless the caller knows it is new):
    appending only to lose the race would re-create the outbox entry of a commit already
    published (the event store writes the entry before the commit), and the relay would
    publish it again.
    """
    stream = f"{event.aggregate_type}:{event.aggregate_id()}"
    if not surely_new and await deps.store.load(stream):
        return False
    envelope = new_envelope(
        event, aggregate_version=1, producer=deps.producer, correlation_id=correlation_id
    )
    try:
        await deps.store.append([envelope], expected_version=0)
    except ConcurrencyConflict:
        return False
    return True


async def _append_next(event: Event, correlation_id: uuid.UUID, deps: IntakeDeps) -> None:
    """Append an event at the head of its stream (consent and policy requests, payments)."""
    stream = f"{event.aggregate_type}:{event.aggregate_id()}"
    for attempt in range(1, _APPEND_ATTEMPTS + 1):
        head = await deps.store.load(stream)
        version = head[-1].aggregate_version if head else 0
        envelope = new_envelope(
            event,
            aggregate_version=version + 1,
            producer=deps.producer,
            correlation_id=correlation_id,
        )
        assert stream_id_of(envelope) == stream
        try:
            await deps.store.append([envelope], expected_version=version)
        except ConcurrencyConflict:
            if attempt == _APPEND_ATTEMPTS:
                raise
        else:
            return


async def seal_contact(customer_id: str, contact: Contact, keys: Sealer) -> CustomerContact:
    """Each personal field sealed under the customer's own key, bound to its field name."""
    fields = contact.model_dump(exclude_none=True)
    sealed = await asyncio.gather(
        *(keys.seal(customer_id, field, value) for field, value in fields.items())
    )
    return CustomerContact(**dict(zip(fields, sealed, strict=True)))


async def record_order(
    request: PlaceOrder,
    *,
    order_id: str,
    customer_id: str,
    correlation_id: uuid.UUID,
    deps: IntakeDeps,
) -> bool:
    """Record ``OrderRequested`` once per order id; False for a retry of the same request.

    Raises ``IdempotencyKeyReused`` when the order id was used for a different request (the
    pending order keeps the request's fingerprint). The order is listed as pending for its
    customer before the event is stored, so the decision, however fast, finds it.
    """
    same = fingerprint(deps.fingerprint_key, request.model_dump(mode="json"))
    pending = pending_order(order_id, customer_id, request, deps.clock())
    first = await deps.documents.insert(ORDERS, pending | {FINGERPRINT: same})
    if first:  # nobody listed or recorded this order before: no need to look
        await deps.customer_orders.add(customer_id, order_id, surely_new=True)
    else:
        earlier = await deps.documents.get(ORDERS, order_id)
        # An order known without a fingerprint came back from a rebuild: take it as a retry.
        if earlier is None or earlier.get(FINGERPRINT, same) != same:
            raise IdempotencyKeyReused(order_id)
        if await deps.store.load(f"order_intake:{order_id}"):
            return False  # recorded before: nothing to seal again
    event = OrderRequested(
        order_id=order_id,
        customer_id=customer_id,
        requested_by="customer",
        plan_id=request.plan_id,
        quantity=request.quantity,
        contact=await seal_contact(customer_id, request.contact, deps.keys),
        age_attestation=request.age_attestation,
        payment_token=request.payment_token,
        marketing_opt_in=request.marketing_opt_in,
        locale=request.locale,
        source=OrderSource.STOREFRONT,
    )
    return await _append_first(event, correlation_id, deps, surely_new=first)


async def record_payment(
    request: ReportPayment,
    *,
    order_id: str,
    customer_id: str,
    requested_by: str,
    correlation_id: uuid.UUID,
    deps: IntakeDeps,
) -> None:
    """Record ``PaymentReported``; orders ignores a payment reference it already has."""
    event = PaymentReported(
        order_id=order_id,
        customer_id=customer_id,
        requested_by=requested_by,
        payment_reference=request.payment_reference,
        amount_halalas=request.amount_halalas,
        card_brand=request.card_brand,
        card_last4=request.card_last4,
    )
    await _append_next(event, correlation_id, deps)


async def record_cancellation(
    *, order_id: str, customer_id: str, correlation_id: uuid.UUID, deps: IntakeDeps
) -> None:
    """Record the customer's ``CancellationRequested``; orders decides whether it may be."""
    event = CancellationRequested(
        order_id=order_id,
        customer_id=customer_id,
        requested_by="customer",
        reason=CancellationReason.CUSTOMER_REQUEST,
    )
    await _append_next(event, correlation_id, deps)


async def record_consent_change(
    *,
    customer_id: str,
    purpose: ConsentPurpose,
    action: ConsentAction,
    channel: Channel,
    evidence: ConsentEvidence,
    requested_by: str,
    correlation_id: uuid.UUID,
    deps: IntakeDeps,
) -> None:
    """Record a grant or withdrawal (K2, K3, CK1) for the consent service to decide."""
    event = ConsentChangeRequested(
        customer_id=customer_id,
        requested_by=requested_by,
        action=action,
        purpose=purpose,
        channel=channel,
        evidence=evidence,
    )
    await _append_next(event, correlation_id, deps)


async def record_policy(
    request: PublishPolicy, *, requested_by: str, correlation_id: uuid.UUID, deps: IntakeDeps
) -> None:
    """Record a policy version to publish (PC1); the consent service numbers it."""
    event = PolicyPublishRequested(
        text_ar=request.text_ar,
        text_en=request.text_en,
        summary_ar=request.summary_ar,
        summary_en=request.summary_en,
        material=request.material,
        effective_at=effective(request.effective_at, deps.clock()),
        requested_by=requested_by,
    )
    await _append_next(event, correlation_id, deps)


async def record_webhook(
    source: WebhookSource, raw: bytes, *, correlation_id: uuid.UUID, deps: IntakeDeps
) -> tuple[str, bool]:
    """Record a verified delivery, its body sealed under its own key (``webhook:<id>``,
    field ``body``); ``(delivery id, False)`` when this very body was recorded before."""
    delivery = delivery_id(raw)
    if await deps.store.load(f"webhook:{delivery}"):
        return delivery, False  # its consumer may have shredded the key: do not seal again
    try:
        body = await deps.keys.seal(f"webhook:{delivery}", "body", raw.decode("utf-8"))
    except LookupError:  # handled and shredded between the two lines above
        return delivery, False
    event = WebhookReceived(
        delivery_id=delivery, source=source, received_at=deps.clock(), body=body
    )
    return delivery, await _append_first(event, correlation_id, deps)
