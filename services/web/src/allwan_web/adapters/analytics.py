"""First-party analytics, only for visitors who allowed analytics cookies (CK1, CK2): page
views per page, and distinct visitors by the random id of their analytics cookie. Counts
only, in memory; nothing about a visitor is sent anywhere or kept beyond the counts."""

from __future__ import annotations

from collections import Counter


class Analytics:
    def __init__(self, max_visitors: int = 100_000) -> None:
        self.views: Counter[str] = Counter()
        self._visitors: set[str] = set()
        self._max_visitors = max_visitors

    def record(self, page: str, visitor: str) -> None:
        self.views[page] += 1
        if len(self._visitors) < self._max_visitors:
            self._visitors.add(visitor)

    @property
    def visitors(self) -> int:
        return len(self._visitors)
