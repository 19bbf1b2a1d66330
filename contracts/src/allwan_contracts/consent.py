"""Events of each customer's consent ledger (K1, K2, K3, CK1, CK2).

A ledger is append-only: a grant or a withdrawal is never edited, and each is kept as proof,
with the policy version in force and the evidence of how it was given.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from allwan_contracts.base import Event
from allwan_contracts.fields import Channel, CustomerId, Reference, Version
from allwan_contracts.topics import CONSENT

Actor = Annotated[
    str, StringConstraints(max_length=80, pattern=r"^[a-z]+(:[A-Za-z0-9._-]{1,64})?$")
]
"""Who recorded a change: ``kind[:id]``, e.g. ``customer``, ``service:orders``, ``staff:42``."""

IpHmac = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""Lower-case hex HMAC-SHA256 of an IP address under a server-side key: never the raw IP (C2)."""

UserAgent = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class ConsentPurpose(StrEnum):
    ORDER_PROCESSING = "order_processing"
    MARKETING = "marketing"
    ANALYTICS_COOKIES = "analytics_cookies"
    FUNCTIONAL_COOKIES = "functional_cookies"


class ConsentEvidence(BaseModel):
    """How the consent or withdrawal reached us: enough to prove it, nothing more."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    ip_hmac: IpHmac | None = None
    user_agent: UserAgent | None = None
    message_reference: Reference | None = Field(
        default=None,
        description="Id of the email, WhatsApp message, order or Salla webhook that carried it.",
    )


class _ConsentChange(Event):
    aggregate_type: ClassVar[str] = "customer"
    aggregate_id_field: ClassVar[str] = "customer_id"
    topic: ClassVar[str] = CONSENT.name

    customer_id: CustomerId
    purpose: ConsentPurpose
    channel: Channel
    policy_version: Version
    recorded_by: Actor
    evidence: ConsentEvidence


class ConsentGranted(_ConsentChange):
    """The customer agreed to one purpose under one policy version.

    Placing an order grants ``order_processing`` only (K1); marketing needs its own explicit
    grant (K2); non-essential cookies need theirs (CK1, CK2).
    """

    event_type: ClassVar[str] = "ConsentGranted"
    schema_version: ClassVar[int] = 1


class ConsentWithdrawn(_ConsentChange):
    """The customer withdrew consent to one purpose, by any channel, at any time (K3)."""

    event_type: ClassVar[str] = "ConsentWithdrawn"
    schema_version: ClassVar[int] = 1


class ConsentReconfirmationRequired(Event):
    """A material policy change suspends a secondary-purpose consent given under an older
    version until the customer confirms it again (PC1, PC2, K2, CK1).

    Marketing and non-essential cookies are not carried over silently: from this event on the
    purpose counts as not granted, until a ``ConsentGranted`` under ``policy_version`` or later.
    The customer can also withdraw it. ``order_processing`` (K1) is never suspended.
    """

    event_type: ClassVar[str] = "ConsentReconfirmationRequired"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "customer"
    aggregate_id_field: ClassVar[str] = "customer_id"
    topic: ClassVar[str] = CONSENT.name

    customer_id: CustomerId
    purpose: ConsentPurpose
    granted_under_version: Version = Field(description="Policy version of the suspended grant.")
    policy_version: Version = Field(description="The material version to confirm.")
    recorded_by: Actor
