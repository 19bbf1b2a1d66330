"""Events of the published privacy policy (PC1, PC2, CT1)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, HttpUrl, StrictBool, StringConstraints, UrlConstraints

from allwan_contracts.base import Event
from allwan_contracts.consent import Actor
from allwan_contracts.fields import Summary, UtcDatetime, Version
from allwan_contracts.intake import PolicyText
from allwan_contracts.topics import POLICIES

HttpsUrl = Annotated[HttpUrl, UrlConstraints(allowed_schemes=["https"])]


class PolicyChanged(Event):
    """A new version of the privacy policy is published and served at once (PC1).

    ``material`` changes are announced to every customer, once, in their language (PC2).
    """

    event_type: ClassVar[str] = "PolicyChanged"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "policy"
    aggregate_id_field: ClassVar[str] = "policy_id"
    topic: ClassVar[str] = POLICIES.name

    policy_id: Literal["privacy"] = "privacy"
    version: Version
    effective_at: UtcDatetime
    material: StrictBool
    summary_ar: Summary
    summary_en: Summary
    url: HttpsUrl


ContactPhone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{6,20}$")]
ContactEmail = Annotated[
    str, StringConstraints(max_length=254, pattern=r"^[^@\s]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
]


class PolicyContact(BaseModel):
    """Where customers reach the store about privacy (CT1): configuration, not policy text."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    phone: ContactPhone
    whatsapp: ContactPhone
    email: ContactEmail


class PolicyDocumentPublished(Event):
    """The full texts of one policy version, in Arabic and English, with the contact details
    in force (PC1, CT1).

    Stored and published in the same commit as, and just before, the version's
    ``PolicyChanged``: whoever serves the policy has the texts by the time it learns that the
    version is current. ``PolicyChanged`` stays the short notice most consumers need.
    """

    event_type: ClassVar[str] = "PolicyDocumentPublished"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "policy"
    aggregate_id_field: ClassVar[str] = "policy_id"
    topic: ClassVar[str] = POLICIES.name

    policy_id: Literal["privacy"] = "privacy"
    version: Version
    text_ar: PolicyText
    text_en: PolicyText
    contact: PolicyContact
    published_by: Actor
