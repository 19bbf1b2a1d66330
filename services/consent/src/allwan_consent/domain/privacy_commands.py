"""Privacy requests a customer sends on WhatsApp from their registered phone (PDPL, K3).

The commands, in Arabic and English, compared after the opt-out parser's normalisation (case,
width, diacritics, tatweel, alef forms, punctuation and emoji read as spaces):

- "بياناتي" / "my data": access, the right to know and obtain a copy;
- "احذف بياناتي" / "delete my data": erasure, which starts only once confirmed;
- "تأكيد" / "confirm", "نعم" / "yes": the confirmation of an erasure asked for on WhatsApp.

A command is the whole message: "delete my data" is one, "can you delete my data?" is a
conversation for staff. An erasure cannot be undone, so a request is never read into a
sentence; the receipt email tells the customer the exact words to send.

The sender's number is the identity check (``registered_phone``), matched like an opt-out
(``withdraw_everyone_sharing``): a message from a number several customers gave asks for each
of them, one request per customer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from allwan_contracts import Channel, IdentityCheck, PrivacyRequestKind
from allwan_contracts.privacy_intake import (
    PrivacyRequestConfirmed,
    PrivacyRequestSubmitted,
)

from allwan_consent.domain.optout import normalise

_REQUEST_NAMESPACE = uuid.UUID("2f6c1e0a-9b47-5d3e-8a21-c4d7f05b6e93")


class PrivacyCommand(StrEnum):
    ACCESS = "access"
    ERASURE = "erasure"
    CONFIRMATION = "confirmation"


_COMMANDS = {
    normalise(words): command
    for words, command in {
        "بياناتي": PrivacyCommand.ACCESS,
        "my data": PrivacyCommand.ACCESS,
        "احذف بياناتي": PrivacyCommand.ERASURE,
        "delete my data": PrivacyCommand.ERASURE,
        "تأكيد": PrivacyCommand.CONFIRMATION,
        "confirm": PrivacyCommand.CONFIRMATION,
        "نعم": PrivacyCommand.CONFIRMATION,
        "yes": PrivacyCommand.CONFIRMATION,
    }.items()
}
_KINDS = {
    PrivacyCommand.ACCESS: PrivacyRequestKind.ACCESS,
    PrivacyCommand.ERASURE: PrivacyRequestKind.ERASURE,
}
CUSTOMER = "customer"


def privacy_command(text: str) -> PrivacyCommand | None:
    """The privacy command ``text`` is, or None (see the module docstring)."""
    return _COMMANDS.get(normalise(text))


def request_id(message_id: str, customer_id: str) -> str:
    """The request a WhatsApp message makes for one customer: the same message, delivered
    again (WhatsApp retries, a replayed webhook), always names the same request, and each
    customer sharing the number gets a request of their own."""
    return str(uuid.uuid5(_REQUEST_NAMESPACE, f"whatsapp/{message_id}/{customer_id}"))


def message_time(sent_at: datetime | None, received_at: datetime) -> datetime:
    """When the customer asked: WhatsApp's time of the message (a delivery retried hours
    later still counts from when it was sent), never after the webhook arrived (a sender's
    clock cannot move a deadline forwards)."""
    return received_at if sent_at is None or sent_at > received_at else sent_at


def privacy_intake(
    command: PrivacyCommand, message_id: str, customer_id: str, at: datetime
) -> PrivacyRequestSubmitted | PrivacyRequestConfirmed:
    """What ``command`` asks of the privacy service for ``customer_id``, sent at ``at``."""
    request = request_id(message_id, customer_id)
    if command is PrivacyCommand.CONFIRMATION:
        return PrivacyRequestConfirmed(
            request_id=request, customer_id=customer_id, requested_by=CUSTOMER, confirmed_at=at
        )
    return PrivacyRequestSubmitted(
        request_id=request,
        customer_id=customer_id,
        requested_by=CUSTOMER,
        kind=_KINDS[command],
        channel=Channel.WHATSAPP,
        identity_check=IdentityCheck.REGISTERED_PHONE,
        submitted_at=at,
    )
