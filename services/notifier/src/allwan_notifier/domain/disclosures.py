"""Every email the SMTP provider accepts is a disclosure to it (P2, D3): the customer's address
and what the letter says leave allwan for a processor that delivers them on the store's behalf.

One disclosure per ledger entry, whatever the number of attempts: its id is derived from the
recipient and the entry (``disclosure_id(recipient, "email:<delivery id>")``), so a later
attempt finds the disclosure an earlier one recorded: the server accepted that message, and it
is not sent again. A message the server refused or that was never sent (skipped, failed
before SMTP) discloses nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from allwan_contracts.disclosures import (
    DataDisclosed,
    LegalBasis,
    RecipientRole,
    disclosure_id,
)

from allwan_notifier.domain.deliveries import Delivery
from allwan_notifier.domain.messages import Letter

_CORRELATION_NAMESPACE = uuid.UUID("5b0d3e62-9a41-5c7f-8e2b-d46a1f0c93b8")


def email_source(entry: Delivery) -> str:
    """What carried the data: the ledger entry, never the address."""
    return f"email:{entry.id}"


def email_disclosure_id(entry: Delivery, recipient: str) -> str:
    """The id of the disclosure of ``entry``'s message to ``recipient``, whichever attempt
    the server accepted."""
    return disclosure_id(recipient, email_source(entry))


def email_disclosure(
    entry: Delivery, letter: Letter, *, recipient: str, recorded_by: str, at: datetime
) -> DataDisclosed:
    """The disclosure of ``entry``'s message to the SMTP provider ``recipient`` (an id of the
    privacy service's recipient registry), for the purpose the address was opened for."""
    source = email_source(entry)
    return DataDisclosed(
        disclosure_id=email_disclosure_id(entry, recipient),
        customer_id=entry.customer_id,
        recipient=recipient,
        role=RecipientRole.PROCESSOR,
        categories=list(letter.disclosed),
        purpose=letter.purpose.value,
        legal_basis=LegalBasis.PROCESSOR,
        source=source,
        recorded_by=recorded_by,
        at=at,
    )


def correlation(entry: Delivery) -> uuid.UUID:
    """The correlation id of a message no single event caused (a fan-out's): its job's, so one
    policy change or campaign ties its disclosures together."""
    return uuid.uuid5(_CORRELATION_NAMESPACE, entry.job or entry.id)
