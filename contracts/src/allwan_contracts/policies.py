"""Events of the published privacy policy (PC1, PC2)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import HttpUrl, StrictBool, UrlConstraints

from allwan_contracts.base import Event
from allwan_contracts.fields import Summary, UtcDatetime, Version
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
