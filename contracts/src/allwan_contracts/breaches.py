"""The breach register (S2; PDPL: the regulator is told within 72 hours of detection).

The privacy service owns each breach (aggregate ``breach``, stream ``breach:<id>``) and
publishes its life on ``allwan.breaches``::

    open ──► regulator_notified ──► customers_notified ──► closed
                      ╰──────────────────────────────────────╯ (no customer needs telling)

Staff open a breach with when it was detected, what happened, which categories of data,
which customers (by id, or every customer with an order placed in a window), the likely
consequences and the measures taken. The regulator's deadline is ``detected_at`` + 72 h.
Notifying the affected customers records one ``BreachNoticeRequested`` per customer on
``allwan.breach-notices`` (its own stream, so a repeated notification owes nobody a second
email); the notifier sends each in the customer's language, once, and keeps it in its
delivery ledger.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, ClassVar, Final, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from allwan_contracts.base import Event
from allwan_contracts.consent import Actor
from allwan_contracts.disclosures import Categories
from allwan_contracts.fields import CustomerId, Identifier, Summary, UtcDatetime
from allwan_contracts.topics import BREACH_NOTICES, BREACHES

REGULATOR_HOURS: Final = 72
"""PDPL: hours from detection within which the regulator is notified."""
MAX_LISTED_CUSTOMERS: Final = 10_000
"""Affected customers named one by one; more are named by a rule."""

BreachId = Identifier


class BreachState(StrEnum):
    OPEN = "open"
    REGULATOR_NOTIFIED = "regulator_notified"
    CUSTOMERS_NOTIFIED = "customers_notified"
    CLOSED = "closed"


def regulator_deadline(detected_at: datetime) -> datetime:
    """When the regulator must have been told of a breach detected at ``detected_at``."""
    return detected_at + timedelta(hours=REGULATOR_HOURS)


BreachText = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]


class AffectedCustomers(BaseModel):
    """Who is affected: listed by id, or every customer with an order placed in
    [``ordered_from``, ``ordered_until``). Exactly one of the two."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    customer_ids: Annotated[
        list[CustomerId] | None, Field(min_length=1, max_length=MAX_LISTED_CUSTOMERS)
    ] = None
    ordered_from: UtcDatetime | None = None
    ordered_until: UtcDatetime | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> Self:
        window = self.ordered_from is not None or self.ordered_until is not None
        if (self.customer_ids is not None) == window:
            raise ValueError("name the customers either by id or by an order window")
        if window and (
            self.ordered_from is None
            or self.ordered_until is None
            or self.ordered_from >= self.ordered_until
        ):
            raise ValueError("an order window has a start before its end")
        if self.customer_ids is not None and len(set(self.customer_ids)) != len(self.customer_ids):
            raise ValueError("each customer is named once")
        return self


class BreachNotice(BaseModel):
    """What affected customers are told, in both languages: what happened, the likely
    consequences, what was done and what they can do. No personal data: it goes to all."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    message_ar: BreachText
    message_en: BreachText


class _BreachEvent(Event):
    aggregate_type: ClassVar[str] = "breach"
    aggregate_id_field: ClassVar[str] = "breach_id"
    topic: ClassVar[str] = BREACHES.name

    breach_id: BreachId


class BreachOpened(_BreachEvent):
    """Staff registered a breach. ``affected_count`` is how many customers the selection
    named when it was opened."""

    event_type: ClassVar[str] = "BreachOpened"
    schema_version: ClassVar[int] = 1

    detected_at: UtcDatetime
    regulator_deadline: UtcDatetime
    description: BreachText
    categories: Categories
    affected: AffectedCustomers
    affected_count: Annotated[int, Field(strict=True, ge=0)]
    likely_consequences: BreachText
    measures_taken: BreachText
    opened_at: UtcDatetime
    by: Actor

    @model_validator(mode="after")
    def _deadline(self) -> Self:
        if self.regulator_deadline != regulator_deadline(self.detected_at):
            raise ValueError("the regulator's deadline is 72 hours after detection")
        if self.detected_at > self.opened_at:
            raise ValueError("a breach is detected before it is registered")
        return self


class BreachRegulatorNotified(_BreachEvent):
    event_type: ClassVar[str] = "BreachRegulatorNotified"
    schema_version: ClassVar[int] = 1

    reference: Summary = Field(description="The regulator's acknowledgement or case number.")
    notified_at: UtcDatetime
    at: UtcDatetime
    by: Actor


class BreachCustomersNotified(_BreachEvent):
    """Staff had every affected customer told (``BreachNoticeRequested`` each)."""

    event_type: ClassVar[str] = "BreachCustomersNotified"
    schema_version: ClassVar[int] = 1

    notice: BreachNotice
    notified_count: Annotated[int, Field(strict=True, ge=0)]
    at: UtcDatetime
    by: Actor


class BreachClosed(_BreachEvent):
    event_type: ClassVar[str] = "BreachClosed"
    schema_version: ClassVar[int] = 1

    summary: Summary
    at: UtcDatetime
    by: Actor


BREACH_EVENTS: tuple[type[Event], ...] = (
    BreachOpened,
    BreachRegulatorNotified,
    BreachCustomersNotified,
    BreachClosed,
)

_NOTICE_NAMESPACE = uuid.UUID("9d2e7b1a-4c3f-5a86-8e0d-2b6f91c4a3e7")


def notice_id(breach_id: str, customer_id: str) -> str:
    """The id of the one notice a customer gets about a breach."""
    return str(uuid.uuid5(_NOTICE_NAMESPACE, f"{breach_id}/{customer_id}"))


class BreachNoticeRequested(Event):
    """One affected customer is owed the breach's notice (stream ``breach_notice:<id>``,
    ``notice_id(breach, customer)``): recorded once, emailed once."""

    event_type: ClassVar[str] = "BreachNoticeRequested"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "breach_notice"
    aggregate_id_field: ClassVar[str] = "notice_id"
    topic: ClassVar[str] = BREACH_NOTICES.name

    notice_id: Identifier
    breach_id: BreachId
    customer_id: CustomerId
    detected_at: UtcDatetime
    categories: Categories
    notice: BreachNotice
    at: UtcDatetime
