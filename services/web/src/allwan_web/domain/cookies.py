"""The cookie choice (CK1, CK2): essential cookies only until the visitor chooses; accept,
reject and choose are equal; a browser's Global Privacy Control signal (``Sec-GPC: 1``) is a
rejection of analytics (and of marketing, which this store sets no cookie for), shown as such.

The choice itself is kept in an essential cookie, ``v1:<functional>:<analytics>``; once the
visitor is a customer it is also recorded with proof through the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass

_VERSION = "v1"


@dataclass(frozen=True)
class CookieChoice:
    functional: bool
    analytics: bool
    decided: bool
    """Whether the visitor chose (or their browser's GPC chose for them)."""
    gpc: bool = False

    @classmethod
    def undecided(cls, gpc: bool = False) -> CookieChoice:
        """Before any choice: essential only. With GPC the choice is made: analytics off."""
        return cls(functional=False, analytics=False, decided=gpc, gpc=gpc)

    def with_gpc(self, gpc: bool) -> CookieChoice:
        """GPC overrides analytics whatever was chosen before: the signal is the later word."""
        if not gpc:
            return self
        return CookieChoice(self.functional, analytics=False, decided=True, gpc=True)

    def encode(self) -> str:
        return f"{_VERSION}:{int(self.functional)}:{int(self.analytics)}"

    @classmethod
    def decode(cls, value: str | None, gpc: bool = False) -> CookieChoice:
        """The choice a cookie holds (a malformed one is no choice), then GPC applied."""
        parts = (value or "").split(":")
        if len(parts) == 3 and parts[0] == _VERSION and {parts[1], parts[2]} <= {"0", "1"}:
            choice = cls(parts[1] == "1", parts[2] == "1", decided=True)
        else:
            choice = cls.undecided()
        return choice.with_gpc(gpc)


def gpc_signal(header: str | None) -> bool:
    """``Sec-GPC: 1`` is the only value the specification defines."""
    return (header or "").strip() == "1"
