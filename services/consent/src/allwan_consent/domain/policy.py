"""The privacy policy as versioned documents (PC1, PC2, CT1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allwan_contracts import PolicyChanged, PolicyContact, PolicyDocumentPublished
from allwan_contracts.intake import PolicyPublishRequested
from allwan_runtime.aggregate import Aggregate

PRIVACY = "privacy"


@dataclass(frozen=True)
class PolicyDraft:
    """A version ready to publish: both texts, what changed, and whether it is material."""

    text_ar: str
    text_en: str
    summary_ar: str
    summary_en: str
    material: bool
    effective_at: datetime
    requested_by: str

    @classmethod
    def from_request(cls, request: PolicyPublishRequested) -> PolicyDraft:
        return cls(
            text_ar=request.text_ar,
            text_en=request.text_en,
            summary_ar=request.summary_ar,
            summary_en=request.summary_en,
            material=request.material,
            effective_at=request.effective_at,
            requested_by=request.requested_by,
        )


class PrivacyPolicy(Aggregate):
    """The published versions of the privacy policy (stream ``policy:privacy``).

    Versions count from 1 and are assigned here, in publishing order; the newest is the one
    in force, served at once (PC1).
    """

    aggregate_type = "policy"

    def __init__(self, policy_id: str = PRIVACY) -> None:
        super().__init__(policy_id)
        self.current_version = 0
        self.latest_material_version: int | None = None

    @property
    def published(self) -> bool:
        return self.current_version > 0

    def publish(
        self, draft: PolicyDraft, *, contact: PolicyContact, url_for: Callable[[int], str]
    ) -> int:
        """Publish ``draft`` as the next version; the texts come first, then the notice."""
        version = self.current_version + 1
        self.record(
            PolicyDocumentPublished(
                version=version,
                text_ar=draft.text_ar,
                text_en=draft.text_en,
                contact=contact,
                published_by=draft.requested_by,
            )
        )
        self.record(
            PolicyChanged(
                version=version,
                effective_at=draft.effective_at,
                material=draft.material,
                summary_ar=draft.summary_ar,
                summary_en=draft.summary_en,
                url=url_for(version),
            )
        )
        return version

    def apply(self, event: Any) -> None:
        if isinstance(event, PolicyChanged):
            self.current_version = event.version
            if event.material:
                self.latest_material_version = event.version
