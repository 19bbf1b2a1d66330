"""K3: a customer withdraws marketing by sending "stop" (or "إيقاف", ...) on WhatsApp."""

from __future__ import annotations

from collections import Counter

import structlog
from allwan_contracts import Channel, ConsentEvidence, ConsentPurpose
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import WebhookReceived, WebhookSource
from allwan_runtime.keystore import ERASED, Purpose
from pydantic import ValidationError

from allwan_consent.domain.ledger import CONSENT_SERVICE, ConsentChange
from allwan_consent.domain.optout import is_opt_out
from allwan_consent.domain.phones import to_e164
from allwan_consent.domain.whatsapp import InboundText, MalformedWebhook, parse_delivery
from allwan_consent.handlers.consent import policy_in_force
from allwan_consent.handlers.ports import Ledgers, PhoneIndex, Policies, Secrets

log = structlog.get_logger(__name__)


def _evidence(message: InboundText) -> ConsentEvidence:
    try:
        return ConsentEvidence(message_reference=message.message_id)
    except ValidationError:  # an id that looks like a card number: withdraw all the same
        return ConsentEvidence()


async def withdraw_by_whatsapp(
    envelope: Envelope,
    webhook: WebhookReceived,
    *,
    ledgers: Ledgers,
    policies: Policies,
    secrets: Secrets,
    phones: PhoneIndex,
    country_code: str,
) -> None:
    """Withdraw marketing for every known sender of an opt-out in the delivery, then shred
    the delivery's key: its phone numbers and texts are then unreadable everywhere.

    Unknown senders and other texts change nothing; logs count them, never their content.
    """
    if webhook.source is not WebhookSource.WHATSAPP:
        return
    subject = f"webhook:{webhook.delivery_id}"
    body = await secrets.open(webhook.body, field="body", purpose=Purpose.CONSENT_MATCHING)
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
        policy = await policy_in_force(policies)
        for message in delivery.texts:
            outcome = await _withdraw(
                envelope,
                message,
                policy_version=policy.current_version,
                ledgers=ledgers,
                secrets=secrets,
                phones=phones,
                country_code=country_code,
            )
            tally[outcome] += 1
    await secrets.shred(subject)
    log.info("whatsapp.delivery_handled", delivery_id=webhook.delivery_id, **tally)


async def _withdraw(
    envelope: Envelope,
    message: InboundText,
    *,
    policy_version: int,
    ledgers: Ledgers,
    secrets: Secrets,
    phones: PhoneIndex,
    country_code: str,
) -> str:
    if not is_opt_out(message.text):
        return "not_opt_out"
    number = to_e164(message.sender, country_code)
    customers = await phones.customers(secrets.blind_index("phone", number)) if number else []
    if not customers:
        return "unknown_sender"
    change = ConsentChange(
        purpose=ConsentPurpose.MARKETING,
        channel=Channel.WHATSAPP,
        policy_version=policy_version,
        recorded_by=CONSENT_SERVICE,
        evidence=_evidence(message),
    )
    withdrawn = False
    for customer_id in customers:
        ledger = await ledgers.get(customer_id)
        if ledger.withdraw(change):
            await ledgers.save(
                ledger, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
            )
            withdrawn = True
    return "withdrawn" if withdrawn else "not_granted"
