"""Sessions, kept in this process's memory: the customer's and the staff member's tokens stay
on the server, the browser holds only an opaque, random session id (HttpOnly cookie).

A session unused for the idle time is forgotten, and the least recently used go first when
the store is full. Several replicas of the pages need the same browser to reach the same
replica (the Kubernetes Service pins by client address); a restart signs staff out, while a
customer is recognised again by the sealed cookie (``adapters.sealing``).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class Session:
    id: str
    csrf: str
    last_seen: datetime
    customer_id: str | None = None
    customer_token: str | None = None
    customer_token_expires: datetime | None = None
    staff_id: str | None = None
    staff_name: str | None = None
    staff_token: str | None = None
    staff_token_expires: datetime | None = None
    flash: list[str] = field(default_factory=list)
    """Message keys to show once, on the next page."""
    pending: dict[str, str] = field(default_factory=dict)
    """Short-lived per-session scratch values (a policy draft under preview, a staff
    member's selected customer) that must never travel in a URL."""

    def sign_out_staff(self) -> None:
        self.staff_id = self.staff_name = self.staff_token = None
        self.staff_token_expires = None


class Sessions:
    """The sessions of this process."""

    def __init__(self, idle: timedelta, capacity: int, clock: Callable[[], datetime]) -> None:
        self._idle = idle
        self._capacity = capacity
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str | None) -> Session | None:
        """The live session ``session_id`` names, touched; None if unknown or idle too long."""
        if not session_id:
            return None
        found = self._sessions.get(session_id)
        now = self._clock()
        if found is None:
            return None
        if now - found.last_seen > self._idle:
            del self._sessions[session_id]
            return None
        found.last_seen = now
        self._sessions.move_to_end(session_id)
        return found

    def new(self) -> Session:
        """A fresh session with its own id and CSRF token."""
        while len(self._sessions) >= self._capacity:
            self._sessions.popitem(last=False)
        session = Session(
            id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), last_seen=self._clock()
        )
        self._sessions[session.id] = session
        return session

    def rotate(self, session: Session) -> Session:
        """The same session under a new id and CSRF token (after signing in: no fixation)."""
        self._sessions.pop(session.id, None)
        session.id = secrets.token_urlsafe(32)
        session.csrf = secrets.token_urlsafe(32)
        self._sessions[session.id] = session
        return session

    def drop(self, session: Session) -> None:
        self._sessions.pop(session.id, None)
