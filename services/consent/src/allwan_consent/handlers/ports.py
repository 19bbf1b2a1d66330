"""What the handlers need: one ``Deps`` for every consent handler, built by ``bootstrap``
from the real adapters and by the unit tests from the runtime's in-memory ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from allwan_contracts import PolicyContact, Sealed
from allwan_contracts.fields import utc_now
from allwan_runtime.keystore import Purpose
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.repository import AggregateRepository

from allwan_consent.domain.access import LedgerRecord
from allwan_consent.domain.ledger import ConsentLedger
from allwan_consent.domain.policy import PrivacyPolicy

Ledgers = AggregateRepository[ConsentLedger]
Policies = AggregateRepository[PrivacyPolicy]
UrlFor = Callable[[int], str]


class Secrets(Protocol):
    """The part of the key store this service uses (C4: it holds ``CONSENT_MATCHING``; it
    seals its part of an access request for the customer, T2)."""

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed: ...

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str: ...

    async def shred(self, subject: str) -> bool: ...

    async def is_erased(self, subject: str) -> bool: ...

    def blind_index(self, kind: str, value: str) -> str: ...


class PhoneIndex(Protocol):
    """Customers by the blind index of their phone number, never the number itself."""

    async def add(self, phone_hash: str, customer_id: str) -> None: ...

    async def customers(self, phone_hash: str) -> list[str]: ...

    async def forget(self, customer_id: str) -> None: ...

    async def replace(self, customer_id: str, phone_hash: str) -> None:
        """Leave ``phone_hash`` as the customer's only entry (a corrected phone)."""
        ...


class LedgerHistory(Protocol):
    """A customer's ledger events with the time each was recorded, oldest first."""

    async def records(self, customer_id: str) -> list[LedgerRecord]: ...


@dataclass(frozen=True)
class Deps:
    """Everything a consent handler may use.

    ``contact`` (CT1) and ``url_for`` (PC1) go into every published policy version;
    ``country_code`` reads national phone numbers (K3). ``recorder`` records what no
    aggregate decides (privacy requests from WhatsApp, answers to privacy requests), as
    ``service`` (the name the privacy service knows the answers by). ``privacy_producer``
    names the privacy service, whose intake records are obeyed only for what it may ask
    (an erasure at the end of retention).
    """

    ledgers: Ledgers
    policies: Policies
    secrets: Secrets
    phones: PhoneIndex
    history: LedgerHistory
    recorder: EventRecorder
    service: str
    privacy_producer: str
    contact: PolicyContact
    url_for: UrlFor
    country_code: str
    clock: Callable[[], datetime] = utc_now
