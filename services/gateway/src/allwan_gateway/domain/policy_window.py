"""When a new version of the privacy policy may take effect (PC1, PC2).

A version is served from the moment it is published, so an earlier time would claim
customers were bound by a text nobody could read yet, and a material change's notice would
announce a change already made; the skew absorbs the difference between the sender's clock
and ours. A time years ahead is a typo (2062 for 2026) far more often than a plan, and the
notice names a date customers hold us to: a change is announced at most a year ahead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

CLOCK_SKEW = timedelta(minutes=5)
NOTICE_HORIZON = timedelta(days=366)


class EffectiveAtRefused(ValueError):
    """``effective_at`` is outside the window in which a new version may take effect."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def effective(requested: datetime | None, now: datetime) -> datetime:
    """When a policy takes effect: as requested, or now."""
    return requested or now


def check_effective_at(requested: datetime | None, now: datetime) -> None:
    """Refuse an ``effective_at`` before ``now`` less the clock skew, or beyond the notice
    horizon (PC1, PC2); ``EffectiveAtRefused`` says which."""
    if requested is None:
        return
    if requested < now - CLOCK_SKEW:
        raise EffectiveAtRefused(
            "effective_at_in_the_past",
            "A new policy version cannot take effect before it is published (PC1, PC2): "
            "effective_at may be at most 5 minutes before now.",
        )
    if requested > now + NOTICE_HORIZON:
        raise EffectiveAtRefused(
            "effective_at_too_far_ahead",
            "A policy change is announced at most 366 days before it takes effect (PC2).",
        )
