"""Events of each customer's consent ledger (K1, K2, K3, CK1, CK2, C2).

A ledger is append-only: a grant or a withdrawal is never edited, and each is kept as proof,
with the policy version in force and the evidence of how it was given.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from allwan_contracts.base import Event
from allwan_contracts.browsers import BrowserFamily, DeviceClass
from allwan_contracts.fields import Channel, CustomerId, Reference, Version
from allwan_contracts.topics import CONSENT

Actor = Annotated[
    str, StringConstraints(max_length=80, pattern=r"^[a-z]+(:[A-Za-z0-9._-]{1,64})?$")
]
"""Who recorded a change: ``kind[:id]``, e.g. ``customer``, ``service:orders``, ``staff:42``."""

KeyedHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""Lower-case hex HMAC-SHA256 under a server-side key: the value itself is never kept (C2)."""

IpHmac = KeyedHash
"""The keyed hash of an IP address: never the raw IP (C2)."""


class ConsentPurpose(StrEnum):
    ORDER_PROCESSING = "order_processing"
    MARKETING = "marketing"
    ANALYTICS_COOKIES = "analytics_cookies"
    FUNCTIONAL_COOKIES = "functional_cookies"


def may_name_browser(purpose: ConsentPurpose, *, granting: bool) -> bool:
    """C2, CK1: whether a consent record may say which kind of browser sent it.

    Browser type is browsing data, kept only under the analytics-cookie consent; the record
    that grants it is made under that very consent, so it is the one record that may. Not a
    later record because analytics "is already granted": a withdrawal may be on its way at
    that moment, and proof needs no browser type anyway (the keyed hashes are the proof).
    """
    return granting and purpose is ConsentPurpose.ANALYTICS_COOKIES


class ConsentEvidence(BaseModel):
    """How the consent or withdrawal reached us: enough to prove it, nothing more (C2).

    On the web the proof is that one particular browser, from one address, made the choice:
    keyed hashes of its IP address and of its ``User-Agent`` header show it, and can be
    checked against a browser later by whoever holds the key, without keeping either value.
    The raw header is never kept: it is browsing data (versions, OS build, device model),
    and the ledger is proof that outlives the customer's erasure. Only a record that grants
    analytics cookies also names the browser's family and device class (``may_name_browser``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    ip_hmac: IpHmac | None = None
    user_agent_hmac: KeyedHash | None = Field(
        default=None, description="Keyed hash of the browser's User-Agent header (C2)."
    )
    browser: BrowserFamily | None = None
    device: DeviceClass | None = None
    message_reference: Reference | None = Field(
        default=None,
        description="Id of the email, WhatsApp message, order or Salla webhook that carried it.",
    )

    def names_browser(self) -> bool:
        return self.browser is not None or self.device is not None


def require_browser_allowed(
    evidence: ConsentEvidence, purpose: ConsentPurpose, *, granting: bool
) -> None:
    """Refuse evidence that names a browser on a record that may not (C2, CK1)."""
    if evidence.names_browser() and not may_name_browser(purpose, granting=granting):
        raise ValueError(
            "evidence names a browser only on a grant of analytics_cookies (C2: browser type "
            "is browsing data)"
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
    schema_version: ClassVar[int] = 2
    """v2: web evidence holds keyed hashes, not the raw ``User-Agent`` (C2)."""

    @model_validator(mode="after")
    def _browser_only_with_analytics(self) -> Self:
        require_browser_allowed(self.evidence, self.purpose, granting=True)
        return self


class ConsentWithdrawn(_ConsentChange):
    """The customer withdrew consent to one purpose, by any channel, at any time (K3)."""

    event_type: ClassVar[str] = "ConsentWithdrawn"
    schema_version: ClassVar[int] = 2
    """v2: web evidence holds keyed hashes, not the raw ``User-Agent`` (C2)."""

    @model_validator(mode="after")
    def _names_no_browser(self) -> Self:
        require_browser_allowed(self.evidence, self.purpose, granting=False)
        return self


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
