"""What the disclosure ledger and the breach register need (D1-D3, S2), built by
``bootstrap`` from the real adapters and by the unit tests from the runtime's in-memory event
store and small fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from allwan_contracts.base import Event
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.fields import utc_now
from allwan_runtime.repository import AggregateRepository

from allwan_privacy.domain.breach import Breach
from allwan_privacy.domain.breach_rules import RegisteredBreach
from allwan_privacy.domain.disclosures import Page
from allwan_privacy.domain.recipients import RecipientRegistry
from allwan_privacy.handlers.ports import Activity

E = TypeVar("E", bound=Event)
Breaches = AggregateRepository[Breach]


class Recorder(Protocol):
    """``allwan_runtime.recorder.EventRecorder``: events no aggregate decides, each the first
    of its stream, once."""

    async def first(
        self, event: Event, correlation_id: UUID, *, surely_new: bool = False
    ) -> bool: ...


class Recorded(Protocol):
    """The first event of a stream, as recorded: what a retry is compared with."""

    async def first_of(self, event_class: type[E], aggregate_id: str) -> E | None: ...


class Ledger(Protocol):
    """Every disclosure, once, listed per customer by position (``domain.disclosures``)."""

    async def keep(self, disclosure: DataDisclosed) -> bool:
        """Keep ``disclosure`` and list it for its customer; False if it was kept already."""
        ...

    async def page(self, customer_id: str, limit: int, cursor: str | None) -> Page:
        """``InvalidCursor`` for a cursor the ledger did not hand out."""
        ...

    async def positions(self, customer_id: str) -> list[str]: ...

    async def at(self, positions: Sequence[str]) -> list[DataDisclosed]:
        """The disclosures at ``positions``, in that order."""
        ...


class AffectedCustomers(Protocol):
    """The customers a breach affects, resolved once when it is opened."""

    async def keep(self, breach_id: str, customer_ids: Sequence[str]) -> int:
        """Keep them (again: a retry adds nothing); how many the breach has now."""
        ...

    async def of(self, breach_id: str) -> list[str]:
        """The breach's customers, sorted."""
        ...


class Register(Protocol):
    """The breach register's read model."""

    async def breaches(self) -> list[RegisteredBreach]: ...


@dataclass(frozen=True)
class LedgerDeps:
    """The ledger, the registry it names recipients from, where legal disclosures are
    recorded, and ``unknown_recipient``: told of each disclosure to an id the registry does
    not know (a metric)."""

    ledger: Ledger
    registry: RecipientRegistry
    recorder: Recorder
    recorded: Recorded
    unknown_recipient: Callable[[str], None] = lambda recipient: None
    clock: Callable[[], datetime] = utc_now


@dataclass(frozen=True)
class BreachDeps:
    """The breaches (event-sourced), where their notices are recorded, the customers each
    affects, who ordered when, the register's read model, and who the controller is."""

    breaches: Breaches
    recorder: Recorder
    recorded: Recorded
    affected: AffectedCustomers
    activity: Activity
    register: Register
    controller: str = "ALLWANSTORES"
    contact_email: str = "privacy@allwanstores.com"
    clock: Callable[[], datetime] = utc_now
