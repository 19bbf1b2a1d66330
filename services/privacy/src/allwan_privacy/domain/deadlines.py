"""The clock of a privacy request (PDPL): every deadline is computed here, from instants the
caller passes in. Nothing reads the time itself, so tests move the clock instead of waiting.

- a request is answered within ``RESPONSE_DAYS`` (30) of its receipt;
- staff may extend that once, by 1 to ``MAX_EXTENSION_DAYS`` (30) days, before it passes,
  with a reason the customer is told;
- an erasure asked for on WhatsApp starts only when a second message confirms it within
  ``WHATSAPP_CONFIRMATION_HOURS`` (24) of the first; unconfirmed, it is cancelled;
- an erasure, once its requester is verified, starts after a grace period (the service's
  setting, 15 minutes by default): the customer is told it is coming while their address can
  still be read, and may cancel it until then; after that it is irreversible;
- an access request's export can be downloaded for ``EXPORT_DAYS`` (7), then it is destroyed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from allwan_contracts import Channel
from allwan_contracts.privacy import (
    MAX_EXTENSION_DAYS,
    RESPONSE_DAYS,
    WHATSAPP_CONFIRMATION_HOURS,
    PrivacyRequestKind,
)

DAY = timedelta(days=1)
CONFIRMATION_WINDOW = timedelta(hours=WHATSAPP_CONFIRMATION_HOURS)
CONFIRMATION_GRACE = timedelta(minutes=10)
"""How long after the 24 hours an unconfirmed erasure is cancelled: a confirmation sent in
time may still be on its way through the gateway, Kafka and the consent service."""


def due_date(received_at: datetime) -> datetime:
    """When a request received at ``received_at`` must be answered."""
    return received_at + timedelta(days=RESPONSE_DAYS)


def may_extend(due_at: datetime, days: int, at: datetime) -> bool:
    """Whether an extension of ``days`` asked at ``at`` is allowed (once is checked by the
    request): 1 to 30 days, and before the first deadline passes, so that the customer is
    told before it does."""
    return 1 <= days <= MAX_EXTENSION_DAYS and at < due_at


def extended_date(due_at: datetime, days: int) -> datetime:
    """The new deadline after an extension of ``days``."""
    return due_at + timedelta(days=days)


def needs_confirmation(kind: PrivacyRequestKind, channel: Channel) -> bool:
    """An erasure is irreversible: asked for on WhatsApp, a second message must confirm it."""
    return kind is PrivacyRequestKind.ERASURE and channel is Channel.WHATSAPP


def confirmed_in_time(received_at: datetime, confirmed_at: datetime) -> bool:
    """A confirmation counts if it was sent after the request and within 24 hours of it."""
    return received_at <= confirmed_at <= received_at + CONFIRMATION_WINDOW


def erasure_may_start(verified_at: datetime, grace: timedelta, now: datetime) -> bool:
    """Whether a verified erasure's grace period is over, so that work on it starts now."""
    return now >= verified_at + grace


def confirmation_expired(received_at: datetime, now: datetime) -> bool:
    """Whether an unconfirmed erasure is to be cancelled now (24 hours, plus the grace)."""
    return now > received_at + CONFIRMATION_WINDOW + CONFIRMATION_GRACE


def days_overdue(deadline: datetime, now: datetime) -> int:
    """How many days (started ones count) a request is past its deadline; 0 if it is not."""
    if now <= deadline:
        return 0
    return math.ceil((now - deadline) / DAY)


def export_expiry(completed_at: datetime, days: int) -> datetime:
    """Until when an export made at ``completed_at`` can be downloaded."""
    return completed_at + timedelta(days=days)
