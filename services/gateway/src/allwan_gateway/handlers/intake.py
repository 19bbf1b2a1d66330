"""Requests become intake events in the gateway's own event store ("Requests enter as events").

Personal fields are sealed under the customer's key before anything is stored (T2, C1); the
relay publishes the events; the owning service decides. A request's stream is named by what
identifies it (``allwan_runtime.eventstore.stream_id``), so a retry lands on the same
stream: an order by its id (from the ``Idempotency-Key``), a webhook by its body's hash. The
first event of such a stream is recorded once (``EventRecorder.first``), a retry is answered
as already recorded; requests about a stream that has events already (consent, policy,
payments) are appended at its head (``EventRecorder.next``).
"""

from __future__ import annotations

import uuid

from allwan_contracts import (
    ConsentEvidence,
    ConsentPurpose,
    CustomerContact,
    Event,
    Sealed,
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
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestSubmitted,
)
from allwan_runtime.eventstore import stream_id

from allwan_gateway.domain.idempotency import fingerprint
from allwan_gateway.domain.policy_window import effective
from allwan_gateway.domain.signatures import delivery_id
from allwan_gateway.handlers.ports import (
    IntakeDeps,
    OrderRequest,
    PaymentReport,
    PendingOrder,
    PersonalFields,
    PolicyVersion,
    Sealer,
)

RECORDED: tuple[type[Event], ...] = (
    OrderRequested,
    PaymentReported,
    CancellationRequested,
    ConsentChangeRequested,
    PolicyPublishRequested,
    WebhookReceived,
    PrivacyRequestSubmitted,
    PrivacyRequestCancellationRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestDenialRequested,
)
"""Every event the gateway records: what its relay publishes (the intake topics). Privacy
requests are recorded by ``handlers.privacy``."""


class IdempotencyKeyReused(Exception):
    """The key was used before for a different request."""


class CustomerErased(Exception):
    """The customer's key is destroyed (erasure): nothing of theirs can be sealed any more."""


async def seal_fields(customer_id: str, given: PersonalFields, keys: Sealer) -> dict[str, Sealed]:
    """Each personal field given sealed under the customer's own key, bound to its field name
    (T2), with one lookup of that key; ``CustomerErased`` if the customer was erased (they
    never get a new key)."""
    try:
        return await keys.seal_many(customer_id, given.model_dump(exclude_none=True))
    except LookupError:
        raise CustomerErased(customer_id) from None


async def seal_contact(customer_id: str, contact: PersonalFields, keys: Sealer) -> CustomerContact:
    """The contact of an order, sealed (``seal_fields``)."""
    return CustomerContact(**await seal_fields(customer_id, contact, keys))


async def record_order(
    request: OrderRequest,
    *,
    order_id: str,
    customer_id: str,
    correlation_id: uuid.UUID,
    deps: IntakeDeps,
) -> bool:
    """Record ``OrderRequested`` once per order id; False for a retry of the same request.

    Raises ``IdempotencyKeyReused`` when the order id was used for a different request (the
    pending order keeps the request's fingerprint), ``CustomerErased`` for an erased customer
    (before anything is listed). The order is listed as pending for its customer before the
    event is stored, so the decision, however fast, finds it.
    """
    contact = await seal_contact(customer_id, request.contact, deps.keys)
    same = fingerprint(deps.fingerprint_key, request.model_dump(mode="json"))
    pending = PendingOrder(order_id, customer_id, request.plan_id, request.quantity, deps.clock())
    first = await deps.pending.add(pending, same)
    if not first:
        if not await deps.pending.same_request(order_id, same):
            raise IdempotencyKeyReused(order_id)
        if await deps.store.load(stream_id(OrderRequested.aggregate_type, order_id)):
            return False  # recorded before
    event = OrderRequested(
        order_id=order_id,
        customer_id=customer_id,
        requested_by="customer",
        plan_id=request.plan_id,
        quantity=request.quantity,
        contact=contact,
        age_attestation=request.age_attestation,
        payment_token=request.payment_token,
        marketing_opt_in=request.marketing_opt_in,
        locale=request.locale,
        source=OrderSource.STOREFRONT,
    )
    # Listed just now by this very request: its stream is surely empty, no need to look.
    return await deps.recorder.first(event, correlation_id, surely_new=first)


async def record_payment(
    request: PaymentReport,
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
    await deps.recorder.next(event, correlation_id)


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
    await deps.recorder.next(event, correlation_id)


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
    await deps.recorder.next(event, correlation_id)


async def record_policy(
    request: PolicyVersion, *, requested_by: str, correlation_id: uuid.UUID, deps: IntakeDeps
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
    await deps.recorder.next(event, correlation_id)


async def record_webhook(
    source: WebhookSource, raw: bytes, *, correlation_id: uuid.UUID, deps: IntakeDeps
) -> tuple[str, bool]:
    """Record a verified delivery, its body sealed under its own key (``webhook:<id>``,
    field ``body``); ``(delivery id, False)`` when this very body was recorded before."""
    delivery = delivery_id(raw)
    # The delivery's stream is also the subject of its key, which its consumer shreds.
    subject = stream_id(WebhookReceived.aggregate_type, delivery)
    if await deps.store.load(subject):
        return delivery, False  # its consumer may have shredded the key: do not seal again
    try:
        body = await deps.keys.seal(subject, "body", raw.decode("utf-8"))
    except LookupError:  # handled and shredded between the two lines above
        return delivery, False
    event = WebhookReceived(
        delivery_id=delivery, source=source, received_at=deps.clock(), body=body
    )
    return delivery, await deps.recorder.first(event, correlation_id)
