"""A token bucket: the pace at which mail is handed to the SMTP server."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up.

    ``reserve`` always takes a token, possibly one that only exists in the future, and says how
    long to wait for it: callers wait in the order they reserved, and the long-run rate holds
    however many callers there are.
    """

    rate: float
    burst: int
    _tokens: float = field(init=False)
    _updated: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self._tokens = float(self.burst)

    def reserve(self, now: float) -> float:
        """Take one token at monotonic time ``now``; seconds to wait before using it."""
        if self._updated is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate
