"""A breach as staff and the regulator read it (``allwan_contracts.accountability``), at a
given instant: its state, history, and where it stands against the 72-hour deadline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from allwan_contracts.accountability import Breach as BreachView
from allwan_contracts.accountability import BreachList, BreachReport, BreachStep
from allwan_contracts.breaches import BreachState

from allwan_privacy.domain.breach import Breach
from allwan_privacy.domain.breach_rules import hours_to_deadline, is_overdue, register_order


def view(breach: Breach, now: datetime) -> BreachView:
    """The breach at ``now``; ``UnknownBreach`` if it was never opened."""
    opened = breach.opening()
    state = breach.state or BreachState.OPEN
    regulator, customers = breach.regulator, breach.customers
    return BreachView(
        breach_id=breach.id,
        detected_at=opened.detected_at,
        regulator_deadline=opened.regulator_deadline,
        state=state,
        categories=list(opened.categories),
        affected_count=opened.affected_count,
        description=opened.description,
        likely_consequences=opened.likely_consequences,
        measures_taken=opened.measures_taken,
        regulator_reference=regulator.reference if regulator else None,
        regulator_notified_at=regulator.notified_at if regulator else None,
        notified_customers=customers.notified_count if customers else None,
        overdue=is_overdue(state, opened.regulator_deadline, now),
        hours_to_deadline=hours_to_deadline(state, opened.regulator_deadline, now),
        history=[BreachStep(state=step, at=at, by=by) for step, at, by in breach.history],
    )


def register(
    breaches: Iterable[Breach],
    now: datetime,
    *,
    state: BreachState | None = None,
    overdue: bool | None = None,
) -> BreachList:
    """The register at ``now``, filtered by state and by being overdue when asked: overdue
    breaches first, then by nearest deadline, then by detection."""
    views = [view(breach, now) for breach in breaches if breach.opened is not None]
    chosen = [
        shown
        for shown in views
        if (state is None or shown.state is state) and (overdue is None or shown.overdue is overdue)
    ]
    chosen.sort(
        key=lambda shown: register_order(
            shown.overdue, shown.regulator_deadline, shown.detected_at, shown.breach_id
        )
    )
    return BreachList(breaches=chosen)


def report(breach: Breach, *, controller: str, contact_email: str, now: datetime) -> BreachReport:
    """The breach as the regulator is told of it."""
    return BreachReport(
        controller=controller,
        contact_email=contact_email,
        breach=view(breach, now),
        generated_at=now,
    )
