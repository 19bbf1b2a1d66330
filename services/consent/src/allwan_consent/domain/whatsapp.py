"""Inbound WhatsApp messages in a WhatsApp Business Cloud API webhook body (K3).

The body is ``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {...}}]}]}``; a ``value`` carries ``messages`` a customer sent (each with
``from`` (the sender's number, digits only), ``id`` (``wamid.…``), ``timestamp`` (Unix
seconds, as a string) and ``type``) and/or ``statuses`` (receipts of messages we sent). Only
what a customer typed counts: a ``text`` message's ``text.body``, or the ``button.text`` of a
template's quick-reply button (such as a "stop promotions" button).

An opt-out withdraws marketing for every customer who gave the sender's number (K3); a privacy
command (``privacy_commands``) asks the privacy service, for each of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from allwan_contracts import Channel, ConsentEvidence, ConsentPurpose
from pydantic import ValidationError

from allwan_consent.domain.ledger import CONSENT_SERVICE, ConsentChange, ConsentLedger
from allwan_consent.domain.optout import is_opt_out

_SENDER = re.compile(r"^[0-9]{6,15}$")
_MESSAGE_ID = re.compile(r"^[\x21-\x7E]{1,200}$")  # what a consent evidence reference holds
_UNIX_SECONDS = re.compile(r"^[0-9]{1,11}$")


class MalformedWebhook(ValueError):
    """The body is not a WhatsApp Business Account webhook at all."""


@dataclass(frozen=True)
class InboundText:
    """What one customer typed (or tapped), from which number, in which message, and when
    WhatsApp says it was sent (None if the message does not say)."""

    sender: str
    message_id: str
    text: str
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """One webhook body: the typed messages, and counts of everything else in it."""

    texts: tuple[InboundText, ...] = ()
    other_messages: int = 0
    statuses: int = 0
    malformed: int = 0


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _typed_text(message: dict[str, Any]) -> str | None:
    kind = message.get("type")
    inner = message.get(kind) if isinstance(kind, str) else None
    if not isinstance(inner, dict):
        return None
    text = inner.get("body") if kind == "text" else inner.get("text") if kind == "button" else None
    return text if isinstance(text, str) else None


def _sent_at(message: dict[str, Any]) -> datetime | None:
    stamp = message.get("timestamp")
    if not isinstance(stamp, str) or not _UNIX_SECONDS.match(stamp):
        return None
    try:
        return datetime.fromtimestamp(int(stamp), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_delivery(body: str) -> Delivery:
    """The typed messages of a Cloud API webhook body; ``MalformedWebhook`` if it is none."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise MalformedWebhook("body is not JSON") from None
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise MalformedWebhook("body is not a WhatsApp Business Account webhook")
    texts: list[InboundText] = []
    other = statuses = malformed = 0
    for entry in _items(payload.get("entry")):
        for change in _items(entry.get("changes")):
            value = change.get("value")
            if change.get("field", "messages") != "messages" or not isinstance(value, dict):
                continue
            statuses += len(_items(value.get("statuses")))
            for message in _items(value.get("messages")):
                sender, message_id = message.get("from"), message.get("id")
                if not (
                    isinstance(sender, str)
                    and _SENDER.match(sender)
                    and isinstance(message_id, str)
                    and _MESSAGE_ID.match(message_id)
                ):
                    malformed += 1
                elif (text := _typed_text(message)) is None:
                    other += 1
                else:
                    texts.append(InboundText(sender, message_id, text, _sent_at(message)))
    return Delivery(tuple(texts), other_messages=other, statuses=statuses, malformed=malformed)


def opt_out(message: InboundText, policy_version: int) -> ConsentChange | None:
    """The withdrawal ``message`` asks for (K3): marketing, by WhatsApp, under the policy in
    force, proven by the message's id; None if its text is not an opt-out."""
    if not is_opt_out(message.text):
        return None
    return ConsentChange(
        purpose=ConsentPurpose.MARKETING,
        channel=Channel.WHATSAPP,
        policy_version=policy_version,
        recorded_by=CONSENT_SERVICE,
        evidence=_evidence(message),
    )


def withdraw_everyone_sharing(
    ledgers: Iterable[ConsentLedger], change: ConsentChange
) -> list[ConsentLedger]:
    """Record ``change`` on the ledger of every customer who gave the sender's number.

    WhatsApp names only the number, and a family may order under one: the opt-out stands for
    each of them, since a missed "stop" keeps messaging someone who refused (K3). Returns the
    ledgers that recorded a withdrawal (the others had no marketing to withdraw).
    """
    return [ledger for ledger in ledgers if ledger.withdraw(change)]


def _evidence(message: InboundText) -> ConsentEvidence:
    try:
        return ConsentEvidence(message_reference=message.message_id)
    except ValidationError:  # an id that looks like a card number: withdraw all the same
        return ConsentEvidence()
