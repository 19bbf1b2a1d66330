"""Consent changes by web, email and phone, purchases, and erasure (K1, K2, K3, CK1, CK2)."""

from __future__ import annotations

import structlog
from allwan_contracts import Channel, ErasureReason, OrderPlaced
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import ConsentAction, ConsentChangeRequested, ErasureRequested
from allwan_runtime.dispatch import TransientError
from allwan_runtime.keystore import ERASED, Purpose

from allwan_consent.domain.ledger import ConsentChange, UnprovenConsent
from allwan_consent.domain.phones import to_e164
from allwan_consent.domain.policy import PRIVACY, PrivacyPolicy
from allwan_consent.domain.purchase import purchase_consents
from allwan_consent.handlers.ports import Deps, Policies

log = structlog.get_logger(__name__)


async def policy_in_force(policies: Policies) -> PrivacyPolicy:
    """The published policy; until version 1 exists no consent can name its version."""
    policy = await policies.get(PRIVACY)
    if not policy.published:
        raise TransientError("no privacy policy is published yet")
    return policy


async def change_consent(request: ConsentChangeRequested, envelope: Envelope, deps: Deps) -> None:
    """A grant or a withdrawal from the web, or one staff recorded from an email or a call
    (K2, K3, CK1, CK2), under the policy version in force."""
    ledgers = deps.ledgers
    if await ledgers.handled(request.customer_id, envelope.event_id):
        return
    policy = await policy_in_force(deps.policies)
    ledger = await ledgers.get(request.customer_id)
    change = ConsentChange(
        purpose=request.purpose,
        channel=request.channel,
        policy_version=policy.current_version,
        recorded_by=request.requested_by,
        evidence=request.evidence,
    )
    try:
        if request.action is ConsentAction.WITHDRAW:
            changed = ledger.withdraw(change)
        else:
            changed = ledger.grant(change, latest_material_version=policy.latest_material_version)
    except UnprovenConsent:
        log.warning("consent.grant_refused", reason="no_evidence", channel=request.channel.value)
        return
    if changed:
        await ledgers.save(
            ledger, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
        )
    log.info(
        "consent.change_handled",
        customer_id=request.customer_id,
        action=request.action.value,
        purpose=request.purpose.value,
        changed=changed,
    )


async def record_purchase(order: OrderPlaced, envelope: Envelope, deps: Deps) -> None:
    """K1: an order is consent to process it, under the order's policy version; K2:
    marketing only if the buyer opted in. Also indexes the buyer's phone for K3."""
    await index_phone(order, deps)
    ledgers = deps.ledgers
    if await ledgers.handled(order.customer_id, envelope.event_id):
        return
    policy = await deps.policies.get(PRIVACY)
    ledger = await ledgers.get(order.customer_id)
    changes = [
        ledger.grant(change, latest_material_version=policy.latest_material_version)
        for change in purchase_consents(order)
    ]
    if any(changes):
        await ledgers.save(
            ledger, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
        )


async def index_phone(order: OrderPlaced, deps: Deps) -> None:
    """Remember the blind index of the buyer's phone, so a WhatsApp "stop" finds them."""
    secrets = deps.secrets
    phone = await secrets.open(order.contact.phone, field="phone", purpose=Purpose.CONSENT_MATCHING)
    if phone == ERASED:
        return
    number = to_e164(phone, deps.country_code)
    if number is None:
        log.info("consent.phone_not_indexed", order_id=order.order_id, reason="not_a_phone")
        return
    await deps.phones.add(secrets.blind_index("phone", number), order.customer_id)
    if await secrets.is_erased(order.customer_id):  # erased while we were indexing
        await deps.phones.forget(order.customer_id)


class NotARetentionErasure(Exception):
    """The privacy service recorded an erasure other than at the end of retention.

    It may ask for one only when a customer's retention period ended (P3). A customer's own
    erasure reaches this service as a privacy request (``PrivacyRequestStarted``), with its
    grace period and proof: one recorded here would skip both, so it is refused (the record
    goes to the dead-letter topic under this name), never obeyed.
    """


async def erase_customer(request: ErasureRequested, envelope: Envelope, deps: Deps) -> None:
    """Erasure (PDPL) recorded at the consent intake: by the gateway, or by the privacy
    service when the customer's retention period ended (P3, reason ``retention_ended``);
    anything else the privacy service records is refused (``NotARetentionErasure``). Then
    see ``erase``."""
    if (
        envelope.producer == deps.privacy_producer
        and request.reason is not ErasureReason.RETENTION_ENDED
    ):
        log.warning(
            "consent.erasure_refused",
            event_id=str(envelope.event_id),
            reason="privacy_service_erasure_not_for_retention",
            erasure_reason=request.reason.value,
        )
        raise NotARetentionErasure(f"erasure reason {request.reason.value} from privacy")
    await erase(request.customer_id, request.reason, request.requested_via, envelope, deps)


async def erase(
    customer_id: str,
    reason: ErasureReason,
    requested_via: Channel | None,
    envelope: Envelope,
    deps: Deps,
) -> None:
    """Erasure (PDPL): destroy the customer's key, forget their phone, announce it
    (``CustomerErased``, naming the channel a customer's request came by).

    The ledger stays: it holds no personal data and proves what was consented. Each step
    is idempotent, so a redelivered request completes whatever a crash left undone.
    """
    await deps.secrets.shred(customer_id)
    await deps.phones.forget(customer_id)
    ledger = await deps.ledgers.get(customer_id)
    if ledger.erase(reason, requested_via, deps.clock()):
        await deps.ledgers.save(
            ledger, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
        )
    log.info("consent.customer_erased", customer_id=customer_id)
