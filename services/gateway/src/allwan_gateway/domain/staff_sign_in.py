"""Staff sign in as themselves (S1: every audited action names a person).

- A staff member's password is checked against the hash configured for their id
  (``ALLWAN_STAFF_ACCOUNTS``); an unknown id is checked against a hash of the same cost that
  no password opens, so neither the answer nor its timing tells which ids exist.
- Guessing is braked per staff id: after ``limit`` failures within ``window`` the id is
  locked until the oldest of them is ``window`` old. Ids that do not exist are braked the
  same way, so a lock tells nothing either. The count lives in this process's memory: behind
  N replicas a guesser gets up to N times the tries, as with the rate limit.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allwan_runtime import passwords


def _unopenable_hash() -> str:
    # The default cost, so checking it takes as long as checking a hash made today; an
    # all-zero key that no password derives (2^-256).
    salt, key = bytes(16), bytes(passwords.KEY_BYTES)

    def text(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    cost = f"{passwords.LOG2_N}${passwords.R}${passwords.P}"
    return f"{passwords.SCHEME}${cost}${text(salt)}${text(key)}"


UNOPENABLE_HASH = _unopenable_hash()


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    name: str


@dataclass(frozen=True)
class StaffDirectory:
    """Who may sign in: staff id -> (display name, password hash)."""

    accounts: Mapping[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.accounts)

    def name_of(self, staff_id: str) -> str | None:
        found = self.accounts.get(staff_id)
        return None if found is None else found[0]

    def check(self, staff_id: str, password: str) -> StaffMember | None:
        """The staff member ``staff_id`` names if ``password`` is theirs, None otherwise.
        Costs one scrypt whether or not the id exists: run it off the event loop."""
        name, encoded = self.accounts.get(staff_id, (None, UNOPENABLE_HASH))
        matches = passwords.verify_password(password, encoded)
        return StaffMember(staff_id, name) if matches and name is not None else None


@dataclass
class SignInThrottle:
    """At most ``limit`` failed sign-ins per staff id within ``window``.

    An attempt counts as failed from the moment it starts (``attempt``) until it is known to
    have succeeded (``succeeded``), so concurrent guesses cannot slip past the limit while
    their passwords are being checked. The least recently tried ids are forgotten past
    ``max_ids``.
    """

    limit: int = 5
    window: timedelta = timedelta(minutes=15)
    max_ids: int = 10_000
    _failures: OrderedDict[str, list[datetime]] = field(default_factory=OrderedDict)

    def attempt(self, staff_id: str, now: datetime) -> timedelta | None:
        """Count an attempt for ``staff_id``: None if it may go ahead, else how long until
        the id may try again."""
        recent = sorted(at for at in self._failures.pop(staff_id, []) if now - at < self.window)
        if len(recent) >= self.limit:
            self._failures[staff_id] = recent
            return recent[-self.limit] + self.window - now
        self._failures[staff_id] = [*recent, now]
        if len(self._failures) > self.max_ids:
            self._failures.popitem(last=False)
        return None

    def succeeded(self, staff_id: str) -> None:
        """The id's password was right: its failures are forgiven."""
        self._failures.pop(staff_id, None)
