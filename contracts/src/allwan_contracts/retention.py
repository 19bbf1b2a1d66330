"""Retention that acts (PDPL: data is destroyed once its purpose ends; P3).

The privacy service applies the retention schedule and publishes each case on
``allwan.retention``. When a customer's contact details reach
the end of their period (the last subscription ended long enough ago, no order open), it
first tells the customer (``RetentionNoticeRequested``: the notifier emails them in their
language), and once the notice period has passed without new activity it records
``RetentionPeriodEnded`` and asks the consent service for the erasure
(``ErasureRequested`` with reason ``retention_ended``: crypto-shredding, as for a request).

A case is one customer's run to the end of one period: ``case_id`` is derived from the
customer and the last activity the period counts from, so new activity opens a new case and a
repeated run of the job records nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import StringConstraints

from allwan_contracts.base import Event
from allwan_contracts.fields import CustomerId, Identifier, UtcDatetime
from allwan_contracts.topics import RETENTION

RuleName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
]
"""A rule of the retention schedule, by name (``customer_contact``)."""

_CASE_NAMESPACE = uuid.UUID("3f6a1c9e-7b2d-5e48-a1c0-94d8e2f7b5a3")


def case_id(customer_id: str, rule: str, last_activity: datetime) -> str:
    """The retention case of ``customer_id`` under ``rule`` counted from ``last_activity``."""
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{customer_id}/{rule}/{last_activity.isoformat()}"))


class _RetentionEvent(Event):
    aggregate_type: ClassVar[str] = "retention_case"
    aggregate_id_field: ClassVar[str] = "case_id"
    topic: ClassVar[str] = RETENTION.name

    case_id: Identifier
    customer_id: CustomerId
    rule: RuleName


class RetentionNoticeRequested(_RetentionEvent):
    """The customer is told their data will be destroyed on ``erase_after`` unless they
    order again; the notifier emails them once."""

    event_type: ClassVar[str] = "RetentionNoticeRequested"
    schema_version: ClassVar[int] = 1

    last_activity: UtcDatetime
    erase_after: UtcDatetime
    at: UtcDatetime


class RetentionPeriodEnded(_RetentionEvent):
    """The rule's period and notice passed: the customer's data is destroyed under it."""

    event_type: ClassVar[str] = "RetentionPeriodEnded"
    schema_version: ClassVar[int] = 1

    last_activity: UtcDatetime
    at: UtcDatetime


RETENTION_EVENTS: tuple[type[Event], ...] = (RetentionNoticeRequested, RetentionPeriodEnded)
