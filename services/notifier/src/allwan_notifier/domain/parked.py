"""Privacy letters that wait for an address, and for how long.

Records of different topics reach the notifier in no particular order: a privacy request's
``PrivacyRequestReceived`` may come before the ``OrderPlaced`` that gives the customer's
address (a backlog after the notifier was down, or another partition's offsets still being
looked up). Skipping the letter then would lose it for good, because a ledger outcome is
final. So a privacy letter whose customer has no address yet is *parked*: its ledger entry
stays ``pending``, and the letter waits apart from the ledger, with its kind and fields (and
nothing else of the customer: it holds no address), until the notifier learns an address.
It is sent then if it waited no longer than ``PARKING_BOUND``, and skipped (``no_address``)
if it waited longer; a letter no address ever comes for is skipped by a periodic sweep once it
waited longer (``handlers.parked.skip_overdue``).

Only a missing address parks a letter, and only a privacy letter is parked: an erased
customer's is skipped as before, and other messages are as they were (a receipt carries its
address; a confirmation or a notice with no address is skipped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from allwan_notifier.domain.deliveries import Delivery, Kind, SkipReason, must_send
from allwan_notifier.domain.privacy import PRIVACY_LETTERS, PrivacyLetter
from allwan_notifier.domain.recipients import Recipient

PARKING_BOUND = timedelta(hours=24)
"""How long a parked letter may wait for its address, from when it was parked.

The events that park a letter and the one that releases it are normally seconds to minutes
apart: a partition read late, a backlog after a restart. The time counts from when the
notifier *parked* the letter, not from when the customer asked, so a notifier that was down
for a day still sends what its backlog owes: both events come out of the same backlog. An
address that comes more than a day later comes from an unrelated order or correction. A letter
about a privacy request says where the request stands at that moment (received, extended,
refused, done), and weeks or months later that is stale and misleading: the customer
sees the request's current state on the privacy page, and the privacy service still answers
by its due date. A day also keeps this store small: it holds only what waits.
"""


@dataclass(frozen=True)
class ParkedLetter:
    """A privacy letter waiting for its customer's address: the id of the ledger entry that
    owes it, the letter, when it was first parked, and the correlation id of the event that
    owed it (its disclosure, once sent, names it as the cause)."""

    id: str
    customer_id: str
    letter: PrivacyLetter
    parked_at: datetime
    cause: UUID | None = None

    def overdue(self, now: datetime) -> bool:
        """Whether it waited longer than ``PARKING_BOUND``."""
        return now - self.parked_at > PARKING_BOUND

    def given_up(self, entry: Delivery, now: datetime) -> bool:
        """Whether its ledger ``entry`` is skipped (``no_address``) rather than sent: still
        owed, never tried, and overdue. One tried before was released in time and only its
        sending waits (the SMTP server deferred it): the bound no longer applies to it."""
        return must_send(entry.state) and entry.attempts == 0 and self.overdue(now)


def waits_for_address(recipient: Recipient) -> bool:
    """Whether a privacy letter to ``recipient`` is parked rather than sent or skipped: only
    for want of an address (an erased customer is skipped, and will never have one)."""
    return recipient.unreachable() is SkipReason.NO_ADDRESS


def letter_fields(letter: PrivacyLetter) -> dict[str, Any]:
    """The letter's fields as JSON values: what is stored of it, with its kind."""
    return letter.model_dump(mode="json")


def rebuilt(kind: str, fields: Mapping[str, Any]) -> PrivacyLetter:
    """The letter of ``kind`` whose fields ``letter_fields`` gave."""
    return PRIVACY_LETTERS[Kind(kind)].model_validate(fields)
