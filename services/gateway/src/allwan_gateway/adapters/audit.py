"""The audit trail of staff actions (S1): who did what to what, and when; insert-only.

Each entry is inserted once under a fresh id and never updated or deleted by the gateway;
an action whose entry cannot be written is not carried out.

An entry's ``_id`` is ordered by its time (``t<UTC yyyymmddhhmmssffffff>-<sequence><random>``),
so the trail reads newest first in ``_id`` order, which MongoDB answers from the ``_id`` index.
Entries written before that had a random UUID for ``_id``: they still read, after every
newer entry, in no order of time among themselves (their ``at`` is right, and the time
filters use it).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from allwan_runtime.mongo import Document

from allwan_gateway.handlers.ports import Documents

AUDIT = "staff_audit"
ENTRY_ID_PATTERN = (
    r"^(t[0-9]{20}-[0-9a-f]{16}"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
"""A time-ordered entry id, or the UUID of an entry written before there were any."""


def entry_id(at: datetime, sequence: int) -> str:
    """A new entry's ``_id``: after every id of an earlier instant (and of a UUID, as ``t``
    sorts after the hex digits), before every id of a later one; within one instant, in
    the order of this process's ``sequence``, and apart from other processes' by chance."""
    return f"t{at.astimezone(UTC):%Y%m%d%H%M%S%f}-{sequence % 2**32:08x}{secrets.token_hex(4)}"


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to read: all of them unless narrowed."""

    actor: str | None = None
    action: str | None = None
    """An action (``privacy.request.read``), or with a final ``.`` every action that starts
    with it (``privacy.``)."""
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> Document:
        """The MongoDB filter of these conditions: equalities and ranges only."""
        found: Document = {}
        if self.actor is not None:
            found["actor"] = self.actor
        if self.action is not None and self.action.endswith("."):
            # Every string that starts with "privacy." lies in ["privacy.", "privacy/").
            found["action"] = {"$gte": self.action, "$lt": self.action[:-1] + "/"}
        elif self.action is not None:
            found["action"] = self.action
        at = {"$gte": self.since} if self.since is not None else {}
        at |= {"$lte": self.until} if self.until is not None else {}
        if at:
            found["at"] = at
        return found


@dataclass(frozen=True)
class AuditPage:
    entries: list[Document]
    next: str | None
    """Where the next page starts (``before``), None on the last page."""


@dataclass
class AuditLog:
    documents: Documents
    clock: Callable[[], datetime]
    _sequence: Iterator[int] = field(default_factory=itertools.count)

    async def record(self, actor: str, action: str, target: str, request_id: str) -> None:
        """Write one entry; raises if it cannot be written (the action must not go ahead)."""
        at = self.clock()
        entry = {
            "_id": entry_id(at, next(self._sequence)),
            "at": at,
            "actor": actor,
            "action": action,
            "target": target,
            "request_id": request_id,
        }
        if not await self.documents.insert(AUDIT, entry):
            raise RuntimeError("audit entry id collided")

    async def read(self, query: AuditQuery, *, before: str | None, limit: int) -> AuditPage:
        """Up to ``limit`` entries matching ``query``, newest first, those older than the
        entry ``before`` only (a page's ``next``)."""
        found = await self.documents.page(AUDIT, query.where(), before=before, limit=limit + 1)
        if len(found) <= limit:
            return AuditPage(found, None)
        return AuditPage(found[:limit], str(found[limit - 1]["_id"]))
