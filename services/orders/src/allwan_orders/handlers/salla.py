"""Salla webhook deliveries (T1) → the same requests the storefront makes.

The gateway verified the signature and sealed the body under a key of its own delivery. Here
it is opened, mapped (``domain.salla``), its personal fields sealed again under the customer's
own key (T2), carried out, and then the delivery's key is destroyed: from then on the body on
the webhooks topic is unreadable and the personal data lives only under the customer's key.
"""

from __future__ import annotations

import uuid

import structlog
from allwan_contracts import Channel, CustomerContact, RejectionReason
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import WebhookReceived, WebhookSource
from allwan_contracts.sealed import subject_of
from allwan_runtime.keystore import ERASED, Purpose

from allwan_orders.domain import salla
from allwan_orders.domain.customer import StaleContact
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.salla_contact import SallaContact
from allwan_orders.handlers.deciding import Request
from allwan_orders.handlers.ending import decide_cancellation, decide_refund
from allwan_orders.handlers.payment import decide_payment
from allwan_orders.handlers.placing import decide_placement, refuse_placement
from allwan_orders.handlers.ports import Deps

log = structlog.get_logger(__name__)
_REQUESTS = uuid.UUID("0c6f1f53-2f7e-4c1b-9b83-0d8f0a7e5c21")
_ATTESTATION_HINT = (
    "Salla orders are refused (A1) until ALLWAN_SALLA_CHECKOUT_ATTESTS_LEGAL_AGE=true, which"
    " is right only once the store's Salla checkout makes every buyer confirm legal age or"
    " a guardian's consent: see services/orders/README.md"
)


async def handle_webhook(event: WebhookReceived, envelope: Envelope, deps: Deps) -> None:
    """Carry out one Salla delivery, then shred its key. WhatsApp deliveries are consent's."""
    if event.source is not WebhookSource.SALLA:
        return
    subject = f"webhook:{event.delivery_id}"
    if subject_of(event.body.kid) != subject:
        raise salla.SallaPayloadError("the body is not sealed under its delivery's key")
    raw = await deps.keys.open(event.body, field="body", purpose=Purpose.ORDER_PROCESSING)
    if raw == ERASED:
        return  # carried out before; its key is already gone
    delivery = salla.parse_delivery(raw)
    for index, command in enumerate(salla.map_delivery(delivery, deps.catalogue)):
        request_id = uuid.uuid5(_REQUESTS, f"{event.delivery_id}/{index}")
        await _carry_out(command, Request(request_id, envelope.correlation_id), deps)
    await deps.keys.shred(subject)
    log.info("salla.delivery_done", delivery_id=event.delivery_id, salla_event=delivery.event)


async def _carry_out(command: salla.SallaCommand, cause: Request, deps: Deps) -> None:
    match command:
        case salla.PlaceFromSalla():
            await _place(command, cause, deps)
        case salla.RefuseFromSalla(order_id, customer_id, refusal):
            await refuse_placement(order_id, customer_id, refusal, cause, deps)
        case salla.PayFromSalla():
            await decide_payment(command.request(), cause, deps)
        case salla.CancelFromSalla():
            await decide_cancellation(command.request(), cause, deps)
        case salla.RefundFromSalla():
            await decide_refund(command.request(), cause, deps)
        case salla.ContactFromSalla(customer_id, contact):
            await _record_contact(customer_id, contact, cause, deps)


async def _place(command: salla.PlaceFromSalla, cause: Request, deps: Deps) -> None:
    try:
        contact = await _seal(command.customer_id, command.contact, deps)
    except LookupError:
        erased = OrderRefused(RejectionReason.CUSTOMER_ERASED, "This customer's data was erased.")
        await refuse_placement(command.order_id, command.customer_id, erased, cause, deps)
        return
    request = command.request(
        contact, checkout_attests_legal_age=deps.salla_checkout_attests_legal_age
    )
    if request.age_attestation is None:
        # A1 refuses the order; the operator, not the buyer, can change that.
        log.warning(
            "salla.order_without_age_attestation",
            order_id=command.order_id,
            hint=_ATTESTATION_HINT,
        )
    await decide_placement(request, cause, deps)


async def _record_contact(
    customer_id: str, plain: SallaContact, cause: Request, deps: Deps
) -> None:
    try:
        contact = await _seal(customer_id, plain, deps)
        record = await deps.contacts.get(customer_id)
        try:
            record.change(contact, Channel.SALLA)
        except StaleContact:
            # Sealed just before a correction rotated the key: its retirement would destroy
            # this contact, so seal it again under the new generation.
            record.change(await _seal(customer_id, plain, deps), Channel.SALLA)
    except LookupError:
        log.info("salla.contact_of_erased_customer_dropped", customer_id=customer_id)
        return
    await deps.contacts.save(
        record, correlation_id=cause.correlation_id, causation_id=cause.request_id
    )


async def _seal(customer_id: str, plain: SallaContact, deps: Deps) -> CustomerContact:
    """Seal each field under the customer's key; ``LookupError`` if they were erased."""
    address = plain.billing_address
    return CustomerContact(
        name=await deps.keys.seal(customer_id, "name", plain.name),
        email=await deps.keys.seal(customer_id, "email", plain.email),
        phone=await deps.keys.seal(customer_id, "phone", plain.phone),
        billing_address=(
            await deps.keys.seal(customer_id, "billing_address", address) if address else None
        ),
    )
