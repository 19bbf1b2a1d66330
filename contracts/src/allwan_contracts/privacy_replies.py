"""Each service's answer to a privacy request, on ``allwan.privacy.replies`` (see
``allwan_contracts.privacy``): its part of an export, a correction applied, an erasure
confirmed. Recorded under ``reply_id(subject, service)``, so a repeated answer is one."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal, Self

from pydantic import Field, StrictBool, model_validator

from allwan_contracts.base import Event
from allwan_contracts.fields import CustomerId, Identifier, UtcDatetime
from allwan_contracts.privacy import RequestId, ServiceName
from allwan_contracts.sealed import SealedDocument
from allwan_contracts.topics import PRIVACY_REPLIES

EXPORT_PART_FIELD = "export_part"
"""The field name sealed into (AAD of) an export part."""
_REPLY_NAMESPACE = uuid.UUID("6a0f4d7e-2a8c-5b1e-9d3f-7c41e0b2a915")


def reply_id(subject: str, service: str) -> str:
    """The id of one service's answer about ``subject`` (a request id, or the customer id of an
    erasure): the same answer always has the same id, so a repeated one is recorded once."""
    return str(uuid.uuid5(_REPLY_NAMESPACE, f"{subject}/{service}"))


class _PrivacyReply(Event):
    aggregate_type: ClassVar[str] = "privacy_reply"
    aggregate_id_field: ClassVar[str] = "reply_id"
    topic: ClassVar[str] = PRIVACY_REPLIES.name

    reply_id: Identifier = Field(description="``reply_id(subject, service)``.")
    customer_id: CustomerId
    service: ServiceName


ExportPartName = Literal["orders", "consents", "emails"]
"""Which model of ``allwan_contracts.privacy_export`` a part holds: ``OrdersPart``,
``ConsentsPart`` or ``EmailsPart``."""


class CustomerDataExported(_PrivacyReply):
    """A service's part of an access request's export, sealed under the customer's key.

    ``part`` is ``None`` when the service holds nothing readable about the customer (never
    heard of them, or they were erased): ``nothing_held`` then says so.
    """

    event_type: ClassVar[str] = "CustomerDataExported"
    schema_version: ClassVar[int] = 1

    request_id: RequestId
    part_name: ExportPartName
    part: SealedDocument | None = None
    nothing_held: StrictBool = False
    exported_at: UtcDatetime

    @model_validator(mode="after")
    def _part_or_nothing(self) -> Self:
        if (self.part is None) != self.nothing_held:
            raise ValueError("an export part is either sealed data or says nothing is held")
        return self


class CorrectionApplied(_PrivacyReply):
    """A service shows the corrected values: the owner recorded them, a read model took them.

    ``nothing_held``: the service holds no contact of the customer to correct (never known, or
    erased). From the owner of the contact (orders) it also means that no new contact will be
    recorded, so no other service will have a change to show.
    """

    event_type: ClassVar[str] = "CorrectionApplied"
    schema_version: ClassVar[int] = 1

    request_id: RequestId
    applied_at: UtcDatetime
    nothing_held: StrictBool = False


class ErasureConfirmed(_PrivacyReply):
    """A service's read models hold no readable personal data of the erased customer.

    Sent for every erasure (``CustomerErased``), asked for or at the end of retention; the
    ``reply_id`` is ``reply_id(customer_id, service)``.
    """

    event_type: ClassVar[str] = "ErasureConfirmed"
    schema_version: ClassVar[int] = 1

    confirmed_at: UtcDatetime


PRIVACY_REPLY_EVENTS: tuple[type[Event], ...] = (
    CustomerDataExported,
    CorrectionApplied,
    ErasureConfirmed,
)
