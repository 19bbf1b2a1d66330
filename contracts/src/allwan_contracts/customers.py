"""Events of the customer aggregate, and the customer's contact details as they travel."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from allwan_contracts.base import Event
from allwan_contracts.fields import Channel, CustomerId, Identifier, UtcDatetime
from allwan_contracts.sealed import Sealed
from allwan_contracts.topics import CUSTOMERS


class CustomerContact(BaseModel):
    """The personal data a customer gives us (C1), each field sealed under their key (T2)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: Sealed
    email: Sealed
    phone: Sealed
    billing_address: Sealed | None = None


class ErasureReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    RETENTION_ENDED = "retention_ended"


def require_channel_of_request(reason: ErasureReason, requested_via: Channel | None) -> None:
    """An erasure the customer asked for names the channel they used (it is proof)."""
    if reason is ErasureReason.CUSTOMER_REQUEST and requested_via is None:
        raise PydanticCustomError(
            "erasure_channel_missing",
            "an erasure the customer asked for names the channel they used",
        )


class CustomerErased(Event):
    """The customer's data key is destroyed and projections are redacted: their personal
    data is unrecoverable everywhere (PDPL erasure by crypto-shredding).

    A customer's own request names the channel it came by; erasure because retention ended
    (the purpose is over) has none.
    """

    event_type: ClassVar[str] = "CustomerErased"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "customer"
    aggregate_id_field: ClassVar[str] = "customer_id"
    topic: ClassVar[str] = CUSTOMERS.name

    customer_id: CustomerId
    erased_at: UtcDatetime
    reason: ErasureReason
    requested_via: Channel | None = None

    @model_validator(mode="after")
    def _request_names_its_channel(self) -> Self:
        require_channel_of_request(self.reason, self.requested_via)
        return self


class CustomerContactChanged(Event):
    """A customer's contact details as orders last learnt them (from Salla, C1, T1), or as
    the customer corrected them (PDPL correction: ``request_id`` names the privacy request).

    Owned by the orders service (aggregate ``customer_contact``, apart from the consent
    ledger's ``customer``); every field is sealed under the customer's key (T2). A service
    whose read model takes a correction's new values answers the request
    (``CorrectionApplied``).
    """

    event_type: ClassVar[str] = "CustomerContactChanged"
    schema_version: ClassVar[int] = 2
    """v2: ``request_id`` of the privacy request a correction came from."""
    aggregate_type: ClassVar[str] = "customer_contact"
    aggregate_id_field: ClassVar[str] = "customer_id"
    topic: ClassVar[str] = CUSTOMERS.name

    customer_id: CustomerId
    contact: CustomerContact
    channel: Channel
    request_id: Identifier | None = None
