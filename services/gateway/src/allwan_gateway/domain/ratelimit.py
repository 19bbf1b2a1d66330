"""Rate limits per client (S1): a token bucket per caller, in this process's memory.

Each gateway process keeps its own buckets, so behind N replicas a client gets up to N times
the rate: acceptable as a brake on abuse and brute force; a shared limit belongs in the
ingress. The least recently seen callers are forgotten past ``max_callers``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class TokenBuckets:
    """``rate`` requests per second on average, bursts of up to ``burst``."""

    rate: float
    burst: int
    max_callers: int = 100_000
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def take(self, caller: str, now: float) -> float | None:
        """Spend one token of ``caller``: None if allowed, else seconds until one is free."""
        tokens, at = self._buckets.pop(caller, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[caller] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > self.max_callers:
            self._buckets.popitem(last=False)
        return None if allowed else (1.0 - tokens) / self.rate
