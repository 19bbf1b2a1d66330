"""Disclosures: each time a customer's personal data leaves allwan for a recipient (D1-D3, P2).

Every code path that sends personal data out (an email through the SMTP provider, a payment
named to the payment provider) records one ``DataDisclosed`` on ``allwan.disclosures``, and
staff record a disclosure required by law (D2) with its legal reference. The privacy service
keeps the ledger: the customer sees their own, staff see any customer's, and it is part of the
access export. A disclosure names what categories of data left and why, never the data.

Recipients are configuration (the privacy service's ``recipients.toml``): a sender names its
recipient by id and role; the ledger adds what the registry says about it.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, StringConstraints, model_validator

from allwan_contracts.base import Event
from allwan_contracts.consent import Actor
from allwan_contracts.fields import CustomerId, Identifier, Summary, UtcDatetime
from allwan_contracts.topics import DISCLOSURES


class LegalBasis(StrEnum):
    """Why a disclosure is allowed: the policy's D1, D2 and D3."""

    CONTRACT = "contract"  # D1: delivering what the customer bought
    LAW = "law"  # D2: a legal obligation or the store's legal rights
    PROCESSOR = "processor"  # D3: a trusted provider working on the store's behalf


class RecipientRole(StrEnum):
    PLATFORM = "platform"  # the e-commerce platform the store runs on (T1)
    PROCESSOR = "processor"  # acts on the store's instructions (SMTP, WhatsApp, payments)
    AUTHORITY = "authority"  # a public body entitled by law


class DataCategory(StrEnum):
    """What kind of personal data left: never the data itself."""

    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    BILLING_ADDRESS = "billing_address"
    ORDER_DETAILS = "order_details"
    PAYMENT = "payment"  # amounts, currency, the provider's reference: never card data (C3)
    MESSAGE_CONTENT = "message_content"
    CONSENT_RECORDS = "consent_records"
    BROWSING_EVIDENCE = "browsing_evidence"
    PRIVACY_REQUESTS = "privacy_requests"


RecipientId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
"""A recipient's id in the registry: ``salla``, ``smtp``, ``whatsapp``, ``payment.moyasar``."""

PurposeName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z_]*$")
]
"""A purpose of ``allwan_runtime.keystore.Purpose`` (C4), by its value."""

Categories = Annotated[list[DataCategory], Field(min_length=1, max_length=len(DataCategory))]

_DISCLOSURE_NAMESPACE = uuid.UUID("0c6b8f4e-5d2a-5e71-b3a9-1f8e24c07d66")


def disclosure_id(recipient: str, source: str) -> str:
    """The id of the disclosure of ``source`` (a delivery id, an order's payment) to
    ``recipient``: the same disclosure always has the same id, so it is recorded once."""
    return str(uuid.uuid5(_DISCLOSURE_NAMESPACE, f"{recipient}/{source}"))


class DataDisclosed(Event):
    """Personal data of one customer left allwan for ``recipient`` (D1-D3, P2).

    ``source`` names what carried it (``email:receipt:<order>``, ``payment:<order>``, staff's
    ``legal:<id>``) without personal data. A disclosure required by law (``law``) names the
    legal ``reference`` (a court order, a regulator's request) and the staff member who
    recorded it; the others are recorded by the service that sent the data.
    """

    event_type: ClassVar[str] = "DataDisclosed"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "disclosure"
    aggregate_id_field: ClassVar[str] = "disclosure_id"
    topic: ClassVar[str] = DISCLOSURES.name

    disclosure_id: Identifier
    customer_id: CustomerId
    recipient: RecipientId
    role: RecipientRole
    categories: Categories
    purpose: PurposeName
    legal_basis: LegalBasis
    source: Annotated[
        str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:#/-]+$")
    ]
    reference: Summary | None = None
    recorded_by: Actor
    at: UtcDatetime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.legal_basis is LegalBasis.LAW) != (self.reference is not None):
            raise ValueError("a disclosure names a legal reference exactly when law requires it")
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("each category is named once")
        return self


DISCLOSURE_EVENTS: tuple[type[Event], ...] = (DataDisclosed,)
