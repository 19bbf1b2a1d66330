"""K3: a customer withdraws marketing by sending "stop" (or "إيقاف", ...) on WhatsApp."""

from __future__ import annotations

from collections import Counter

import structlog
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import WebhookReceived, WebhookSource
from allwan_runtime.keystore import ERASED, Purpose

from allwan_consent.domain.phones import to_e164
from allwan_consent.domain.whatsapp import (
    InboundText,
    MalformedWebhook,
    opt_out,
    parse_delivery,
    withdraw_everyone_sharing,
)
from allwan_consent.handlers.consent import policy_in_force
from allwan_consent.handlers.ports import Deps

log = structlog.get_logger(__name__)


async def withdraw_by_whatsapp(webhook: WebhookReceived, envelope: Envelope, deps: Deps) -> None:
    """Withdraw marketing for every known sender of an opt-out in the delivery, then shred
    the delivery's key: its phone numbers and texts are then unreadable everywhere.

    Unknown senders and other texts change nothing; logs count them, never their content.
    """
    if webhook.source is not WebhookSource.WHATSAPP:
        return
    subject = f"webhook:{webhook.delivery_id}"
    body = await deps.secrets.open(webhook.body, field="body", purpose=Purpose.CONSENT_MATCHING)
    if body == ERASED:  # handled before: the key is gone
        return
    tally: Counter[str] = Counter()
    try:
        delivery = parse_delivery(body)
    except MalformedWebhook:
        tally["malformed_body"] += 1
    else:
        tally.update(
            statuses=delivery.statuses,
            other_messages=delivery.other_messages,
            malformed_messages=delivery.malformed,
        )
        policy = await policy_in_force(deps.policies)
        for message in delivery.texts:
            tally[await _withdraw(message, policy.current_version, envelope, deps)] += 1
    await deps.secrets.shred(subject)
    log.info("whatsapp.delivery_handled", delivery_id=webhook.delivery_id, **tally)


async def _withdraw(
    message: InboundText, policy_version: int, envelope: Envelope, deps: Deps
) -> str:
    change = opt_out(message, policy_version)
    if change is None:
        return "not_opt_out"
    number = to_e164(message.sender, deps.country_code)
    phone_hash = deps.secrets.blind_index("phone", number) if number else None
    customers = await deps.phones.customers(phone_hash) if phone_hash else []
    if not customers:
        return "unknown_sender"
    ledgers = [await deps.ledgers.get(customer_id) for customer_id in customers]
    withdrawn = withdraw_everyone_sharing(ledgers, change)
    for ledger in withdrawn:
        await deps.ledgers.save(
            ledger, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
        )
    return "withdrawn" if withdrawn else "not_granted"
