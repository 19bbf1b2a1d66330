"""The breach aggregate (stream ``breach:<id>``): one personal-data breach from its
registration to its closure (S2; PDPL: the regulator is told within 72 hours of detection).

States (``BreachState``)::

    open ──► regulator_notified ──► customers_notified ──► closed
                      ╰──────────────────────────────────────╯ (no customer needs telling)

Commands check their rules, then record an ``allwan_contracts.breaches`` event; a refusal
raises a ``BreachRefused`` and records nothing. Staff retry over HTTP: a command repeating
one already made with the same details returns False (nothing new), one made with other
details is refused. Every instant is passed in: nothing here reads the time.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from allwan_contracts.accountability import BreachRequest
from allwan_contracts.base import Event
from allwan_contracts.breaches import (
    BREACH_EVENTS,
    BreachClosed,
    BreachCustomersNotified,
    BreachNotice,
    BreachNoticeRequested,
    BreachOpened,
    BreachRegulatorNotified,
    BreachState,
    notice_id,
    regulator_deadline,
)
from allwan_runtime.aggregate import Aggregate

from allwan_privacy.domain.breach_rules import (
    BreachRefused,
    DetectedInFuture,
    KeyReused,
    NotifiedOutOfRange,
    UnknownBreach,
    WrongState,
)

__all__ = ["Breach", "BreachRefused", "breach_id_for", "check_detection"]

_BREACH_IDS = uuid.UUID("6a0f3c52-9e1b-5d47-8c26-b4e8d17a9f05")


def breach_id_for(key: str) -> str:
    """The breach an ``Idempotency-Key`` opens: a retry names the same breach."""
    return str(uuid.uuid5(_BREACH_IDS, key))


def check_detection(request: BreachRequest, now: datetime) -> None:
    """A breach is registered once it was detected, not before."""
    if request.detected_at > now:
        raise DetectedInFuture("a breach is registered after it was detected")


class Breach(Aggregate):
    """One breach and the commands that move it on; ``opened`` is None until it is opened."""

    aggregate_type: ClassVar[str] = "breach"
    event_classes: ClassVar[tuple[type[Event], ...]] = BREACH_EVENTS

    def __init__(self, breach_id: str) -> None:
        super().__init__(breach_id)
        self.opened: BreachOpened | None = None
        self.regulator: BreachRegulatorNotified | None = None
        self.customers: BreachCustomersNotified | None = None
        self.closed: BreachClosed | None = None
        self.state: BreachState | None = None
        self.history: list[tuple[BreachState, datetime, str]] = []

    def open(self, request: BreachRequest, *, affected_count: int, by: str, now: datetime) -> bool:
        """Register the breach; its regulator deadline is detection + 72 hours. False if it
        is registered already with the same details (a retry)."""
        if self.opened is not None:
            if _same_opening(self.opened, request):
                return False
            raise KeyReused("the Idempotency-Key opened another breach")
        check_detection(request, now)
        self.record(
            BreachOpened(
                breach_id=self.id,
                detected_at=request.detected_at,
                regulator_deadline=regulator_deadline(request.detected_at),
                description=request.description,
                categories=request.categories,
                affected=request.affected,
                affected_count=affected_count,
                likely_consequences=request.likely_consequences,
                measures_taken=request.measures_taken,
                opened_at=now,
                by=by,
            )
        )
        return True

    def check_retry_of_opening(self, request: BreachRequest) -> None:
        """``KeyReused`` unless the breach was opened with ``request``'s details."""
        if self.opened is None or not _same_opening(self.opened, request):
            raise KeyReused("the Idempotency-Key opened another breach")

    def notify_regulator(
        self, reference: str, notified_at: datetime, *, by: str, now: datetime
    ) -> bool:
        """The regulator was told (PDPL), at ``notified_at``; False if this was recorded."""
        opened = self.opening()
        if self.regulator is not None:
            if (self.regulator.reference, self.regulator.notified_at) == (reference, notified_at):
                return False
            raise WrongState("the regulator's notification is recorded with other details")
        if self.state is not BreachState.OPEN:
            raise WrongState("the regulator is notified while the breach is open")
        if not opened.detected_at <= notified_at <= now:
            raise NotifiedOutOfRange(
                "the regulator is notified after detection, not later than now"
            )
        self.record(
            BreachRegulatorNotified(
                breach_id=self.id, reference=reference, notified_at=notified_at, at=now, by=by
            )
        )
        return True

    def customers_to_notify(self, notice: BreachNotice) -> bool:
        """Whether telling the affected customers ``notice`` is still to be done: False if it
        was done with this notice (a retry); refused in any other state."""
        self.opening()
        if self.customers is not None:
            if self.customers.notice == notice:
                return False
            raise WrongState("the customers were notified with another notice")
        if self.state is not BreachState.REGULATOR_NOTIFIED:
            raise WrongState("customers are notified once the regulator is")
        return True

    def notice_for(
        self, customer_id: str, notice: BreachNotice, now: datetime
    ) -> BreachNoticeRequested:
        """What one affected customer is owed: recorded on a stream of its own, once."""
        opened = self.opening()
        return BreachNoticeRequested(
            notice_id=notice_id(self.id, customer_id),
            breach_id=self.id,
            customer_id=customer_id,
            detected_at=opened.detected_at,
            categories=opened.categories,
            notice=notice,
            at=now,
        )

    def notify_customers(
        self, notice: BreachNotice, notified_count: int, *, by: str, now: datetime
    ) -> bool:
        """Every affected customer was owed ``notice`` (their notices are recorded first)."""
        if not self.customers_to_notify(notice):
            return False
        self.record(
            BreachCustomersNotified(
                breach_id=self.id, notice=notice, notified_count=notified_count, at=now, by=by
            )
        )
        return True

    def close(self, summary: str, *, by: str, now: datetime) -> bool:
        """Close the breach once the regulator knows; False if it was closed so."""
        self.opening()
        if self.closed is not None:
            if self.closed.summary == summary:
                return False
            raise WrongState("the breach was closed with another summary")
        if self.state not in {BreachState.REGULATOR_NOTIFIED, BreachState.CUSTOMERS_NOTIFIED}:
            raise WrongState("a breach is closed once the regulator is notified")
        self.record(BreachClosed(breach_id=self.id, summary=summary, at=now, by=by))
        return True

    def opening(self) -> BreachOpened:
        """The breach's registration; ``UnknownBreach`` if it was never opened."""
        if self.opened is None:
            raise UnknownBreach("no breach is registered under this id")
        return self.opened

    def apply(self, event: Any) -> None:
        match event:
            case BreachOpened():
                self.opened = event
                self._reach(BreachState.OPEN, event.opened_at, event.by)
            case BreachRegulatorNotified():
                self.regulator = event
                self._reach(BreachState.REGULATOR_NOTIFIED, event.at, event.by)
            case BreachCustomersNotified():
                self.customers = event
                self._reach(BreachState.CUSTOMERS_NOTIFIED, event.at, event.by)
            case BreachClosed():
                self.closed = event
                self._reach(BreachState.CLOSED, event.at, event.by)

    def _reach(self, state: BreachState, at: datetime, by: str) -> None:
        self.state = state
        self.history.append((state, at, by))


def _same_opening(opened: BreachOpened, request: BreachRequest) -> bool:
    return (
        opened.detected_at == request.detected_at
        and opened.description == request.description
        and set(opened.categories) == set(request.categories)
        and opened.affected == request.affected
        and opened.likely_consequences == request.likely_consequences
        and opened.measures_taken == request.measures_taken
    )
