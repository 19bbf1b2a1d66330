"""Each customer's consent ledger: an append-only proof of every grant and withdrawal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentGranted,
    ConsentPurpose,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerErased,
    ErasureReason,
)
from allwan_runtime.aggregate import Aggregate

from allwan_consent.domain.browsing import may_record_browsing
from allwan_consent.domain.purposes import (
    SECONDARY_PURPOSES,
    PurposeState,
    advance,
    grant_changes,
    in_force,
    needs_reconfirmation,
    withdrawal_changes,
)

CONSENT_SERVICE = "service:consent"


class UnprovenConsent(ValueError):
    """A grant without the evidence that would prove it later (K2: explicit consent)."""


_SECONDARY = tuple(sorted(SECONDARY_PURPOSES))


@dataclass(frozen=True)
class ConsentChange:
    """One grant or withdrawal as it reached us: its proof travels into the ledger."""

    purpose: ConsentPurpose
    channel: Channel
    policy_version: int
    recorded_by: str
    evidence: ConsentEvidence

    def fields(self, customer_id: str) -> dict[str, Any]:
        return {
            "customer_id": customer_id,
            "purpose": self.purpose,
            "channel": self.channel,
            "policy_version": self.policy_version,
            "recorded_by": self.recorded_by,
            "evidence": self.evidence,
        }

    def proven(self) -> bool:
        """A grant is provable by the message that carried it (an email, a WhatsApp message,
        an order, a Salla webhook), or, on the web, by the browser that sent it: the keyed
        hash of its address or of its ``User-Agent`` (C2). A browser family alone proves
        nothing: millions of browsers share it."""
        evidence = self.evidence
        if evidence.message_reference is not None:
            return True
        return self.channel is Channel.WEB and bool(evidence.ip_hmac or evidence.user_agent_hmac)


class ConsentLedger(Aggregate):
    """The consents of one customer (stream ``customer:<id>``).

    Commands return whether they recorded anything: repeating a grant or a withdrawal is a
    no-op, so every input may be delivered more than once. Once the customer is erased the
    ledger is closed; what it holds stays as proof, since it holds no personal data.
    """

    aggregate_type = "customer"

    def __init__(self, customer_id: str) -> None:
        super().__init__(customer_id)
        self.purposes: dict[ConsentPurpose, PurposeState] = {}
        self.erased = False

    def granted(self, purpose: ConsentPurpose) -> bool:
        """Whether ``purpose`` may be pursued now (K2, K3, PC1)."""
        return in_force(self.purposes.get(purpose), erased=self.erased)

    def may_record_browsing(self) -> bool:
        """C2: browsing data only while analytics cookies are granted (CK1)."""
        return may_record_browsing(self.purposes, erased=self.erased)

    def grant(self, change: ConsentChange, *, latest_material_version: int | None = None) -> bool:
        """Record a grant (K1, K2, CK1). A secondary purpose granted under a version older
        than the latest material change is suspended at once: the customer agreed to terms
        that are no longer the ones in force (PC1). ``UnprovenConsent`` without evidence."""
        if not change.proven():
            raise UnprovenConsent(f"a grant by {change.channel.value} needs its evidence")
        if self.erased or not grant_changes(
            self.purposes.get(change.purpose), change.policy_version
        ):
            return False
        self.record(ConsentGranted(**change.fields(self.id)))
        if latest_material_version is not None:
            self.require_reconfirmation(latest_material_version, purposes=(change.purpose,))
        return True

    def withdraw(self, change: ConsentChange) -> bool:
        """Record a withdrawal, by any channel, at any time (K3)."""
        if self.erased or not withdrawal_changes(self.purposes.get(change.purpose)):
            return False
        self.record(ConsentWithdrawn(**change.fields(self.id)))
        return True

    def require_reconfirmation(
        self,
        material_version: int,
        *,
        purposes: tuple[ConsentPurpose, ...] = _SECONDARY,
    ) -> list[ConsentPurpose]:
        """Suspend secondary consents given under versions older than ``material_version``."""
        if self.erased:
            return []
        suspended = []
        for purpose in purposes:
            state = self.purposes.get(purpose)
            if needs_reconfirmation(purpose, state, material_version):
                assert state is not None
                self.record(
                    ConsentReconfirmationRequired(
                        customer_id=self.id,
                        purpose=purpose,
                        granted_under_version=state.policy_version,
                        policy_version=material_version,
                        recorded_by=CONSENT_SERVICE,
                    )
                )
                suspended.append(purpose)
        return suspended

    def erase(self, reason: ErasureReason, requested_via: Channel | None, at: datetime) -> bool:
        """Close the ledger: the customer's key is destroyed (PDPL erasure)."""
        if self.erased:
            return False
        self.record(
            CustomerErased(
                customer_id=self.id, erased_at=at, reason=reason, requested_via=requested_via
            )
        )
        return True

    def apply(self, event: Any) -> None:
        match event:
            case ConsentGranted() | ConsentWithdrawn() | ConsentReconfirmationRequired():
                self.purposes[event.purpose] = advance(event)
            case CustomerErased():
                self.erased = True
