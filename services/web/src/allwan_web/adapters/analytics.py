"""First-party analytics, only for visitors who allowed analytics cookies (CK1, CK2): page
views per page, and distinct visitors of the day by the random id of their analytics cookie.
Counts only, in memory; the day's ids are forgotten when the day ends (the ``analytics``
retention rule), nothing about a visitor is sent anywhere."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from allwan_web.domain.locale import STORE_TZ


class Analytics:
    def __init__(self, clock: Callable[[], datetime], max_visitors: int = 100_000) -> None:
        self.views: Counter[str] = Counter()
        self._clock = clock
        self._day: date | None = None
        self._visitors: set[str] = set()
        self._max_visitors = max_visitors

    def _today(self) -> None:
        day = self._clock().astimezone(STORE_TZ).date()
        if day != self._day:
            self._day = day
            self._visitors = set()

    def record(self, page: str, visitor: str) -> None:
        self._today()
        self.views[page] += 1
        if len(self._visitors) < self._max_visitors:
            self._visitors.add(visitor)

    @property
    def visitors_today(self) -> int:
        """Distinct visitors (who allowed analytics) since the store's midnight."""
        self._today()
        return len(self._visitors)
