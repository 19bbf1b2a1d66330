"""Read models of the consent ledgers and the policy, built from this service's own events.

Each update is applied once per aggregate version (``apply_once``), so redelivery changes
nothing, and ``rebuild`` replays the event store into fresh collections. Events of other
producers are skipped: only this service writes these aggregates.

- ``consents``: one document per customer: ``purposes.<purpose>`` (status, policy version,
  version to re-confirm, channel, when), ``marketing`` (granted now: the notifier's
  audience), ``erased``;
- ``consent_history``: one document per ledger event, the proof (K3);
- ``policy_versions``: one document per policy version with both texts, contact details,
  summaries, the material flag; ``published`` once its ``PolicyChanged`` is in (PC1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from allwan_contracts import (
    ConsentPurpose,
    ConsentReconfirmationRequired,
    CustomerErased,
    Event,
    PolicyChanged,
    PolicyDocumentPublished,
)
from allwan_contracts.envelope import Envelope
from allwan_runtime.mongo import Document
from allwan_runtime.projection import apply_once
from pymongo.asynchronous.database import AsyncDatabase

from allwan_consent.domain.ledger import ConsentLedger
from allwan_consent.domain.purposes import LedgerEvent, advance

CONSENTS = "consents"
HISTORY = "consent_history"
POLICY_VERSIONS = "policy_versions"
LEDGER_EVENTS: tuple[type[Event], ...] = (*get_args(LedgerEvent), CustomerErased)
POLICY_EVENTS: tuple[type[Event], ...] = (PolicyDocumentPublished, PolicyChanged)


class ConsentProjection:
    """``consents`` and ``consent_history`` from the ledgers' events."""

    name = "consents"
    collections = (CONSENTS, HISTORY)

    def __init__(self, db: AsyncDatabase[Document], producer: str) -> None:
        self._consents = db[CONSENTS]
        self._history = db[HISTORY]
        self._producer = producer

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        mine = envelope.producer == self._producer
        if not mine or envelope.aggregate_type != ConsentLedger.aggregate_type:
            return
        customer, version = envelope.aggregate_id, envelope.aggregate_version
        entry: Document = {
            "customer_id": customer,
            "version": version,
            "event_type": envelope.event_type,
            "occurred_at": envelope.occurred_at,
            **event.model_dump(mode="json", exclude={"customer_id"}),
        }
        await apply_once(self._history, f"{customer}@{version}", version, {"$set": entry})
        if isinstance(event, CustomerErased):
            update = {"erased": True, "erased_at": event.erased_at, "marketing": False}
        else:
            update = self._purpose_update(envelope, event)
        await apply_once(self._consents, customer, version, {"$set": update})

    @staticmethod
    def _purpose_update(envelope: Envelope, event: LedgerEvent) -> Document:
        state = advance(event)
        channel = None if isinstance(event, ConsentReconfirmationRequired) else event.channel
        update: Document = {
            f"purposes.{event.purpose.value}": {
                "status": state.status.value,
                "policy_version": state.policy_version,
                "reconfirm_for": state.reconfirm_for,
                "channel": None if channel is None else channel.value,
                "changed_at": envelope.occurred_at,
            },
        }
        if event.purpose is ConsentPurpose.MARKETING:
            update["marketing"] = state.granted
        return update


class PolicyProjection:
    """``policy_versions`` from the policy's events."""

    name = "policies"
    collections = (POLICY_VERSIONS,)

    def __init__(self, db: AsyncDatabase[Document], producer: str) -> None:
        self._versions = db[POLICY_VERSIONS]
        self._producer = producer

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        if envelope.producer != self._producer:
            return
        if isinstance(event, PolicyDocumentPublished):
            update = event.model_dump(mode="json") | {"published": False}
        elif isinstance(event, PolicyChanged):
            update = event.model_dump(mode="json", exclude={"effective_at"}) | {
                "effective_at": event.effective_at,
                "published": True,
                "published_at": envelope.occurred_at,
            }
        else:
            return
        doc_id = f"{event.policy_id}:v{event.version}"
        await apply_once(self._versions, doc_id, envelope.aggregate_version, {"$set": update})


@dataclass(frozen=True)
class ReadModels:
    """The projections the ``read-models`` consumer feeds and ``rebuild`` replays."""

    consents: ConsentProjection
    policies: PolicyProjection


async def project_ledger(event: Event, envelope: Envelope, models: ReadModels) -> None:
    """A ledger event, or the erasure that closes the ledger, into ``consents`` and its
    history (K3: the proof stays readable)."""
    await models.consents(envelope, event)


async def project_policy(event: Event, envelope: Envelope, models: ReadModels) -> None:
    """A policy version's texts, then its notice, into ``policy_versions`` (PC1)."""
    await models.policies(envelope, event)
