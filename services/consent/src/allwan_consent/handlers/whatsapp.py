"""WhatsApp messages from a customer's registered phone: "stop" (or "إيقاف", ...) withdraws
marketing (K3); "my data", "delete my data" and "confirm" (or "بياناتي", "احذف بياناتي",
"تأكيد", ...) are privacy requests for the privacy service (PDPL)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import structlog
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import WebhookReceived, WebhookSource
from allwan_runtime.keystore import ERASED, Purpose

from allwan_consent.domain.phones import to_e164
from allwan_consent.domain.privacy_commands import (
    PrivacyCommand,
    message_time,
    privacy_command,
    privacy_intake,
)
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


async def handle_whatsapp_delivery(
    webhook: WebhookReceived, envelope: Envelope, deps: Deps
) -> None:
    """Act on each message of a delivery from a known sender (an opt-out, a privacy
    request), then shred the delivery's key: its phone numbers and texts are then
    unreadable everywhere.

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
            command = privacy_command(message.text)
            if command is None:
                outcome = await _withdraw(message, policy.current_version, envelope, deps)
            else:
                at = message_time(message.sent_at, webhook.received_at)
                outcome = await _ask(message, command, at, envelope, deps)
            tally[outcome] += 1
    await deps.secrets.shred(subject)
    log.info("whatsapp.delivery_handled", delivery_id=webhook.delivery_id, **tally)


async def _senders(message: InboundText, deps: Deps) -> list[str]:
    """The customers who gave the number the message came from (its blind index)."""
    number = to_e164(message.sender, deps.country_code)
    if number is None:
        return []
    return await deps.phones.customers(deps.secrets.blind_index("phone", number))


async def _withdraw(
    message: InboundText, policy_version: int, envelope: Envelope, deps: Deps
) -> str:
    change = opt_out(message, policy_version)
    if change is None:
        return "not_opt_out"
    customers = await _senders(message, deps)
    if not customers:
        return "unknown_sender"
    ledgers = [await deps.ledgers.get(customer_id) for customer_id in customers]
    withdrawn = withdraw_everyone_sharing(ledgers, change)
    for ledger in withdrawn:
        await deps.ledgers.save(
            ledger, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
        )
    return "withdrawn" if withdrawn else "not_granted"


async def _ask(
    message: InboundText, command: PrivacyCommand, at: datetime, envelope: Envelope, deps: Deps
) -> str:
    """One request per customer who gave the number, as an opt-out withdraws each of them;
    a message delivered again names the same requests, recorded once."""
    customers = await _senders(message, deps)
    if not customers:
        return "unknown_sender"
    recorded = [
        await deps.recorder.first(
            privacy_intake(command, message.message_id, customer_id, at), envelope.correlation_id
        )
        for customer_id in customers
    ]
    return f"privacy_{command.value}" if any(recorded) else "privacy_repeated"
