"""Notices the privacy service owes a customer by law: a breach that affected them (S2, PDPL)
and the coming erasure of their data by the retention schedule (PDPL, P3).

One message per notice (``breach:<notice>``, ``retention:<case>``): the privacy service names
each once (``notice_id(breach, customer)``, ``case_id``), and a redelivered event finds its
ledger entry sent and sends nothing, so a customer is told once however often staff notify.
The address is the address book's, opened for ``LEGAL_OBLIGATION`` (C4); an erased customer
gets nothing (their address no longer opens) and the entry is ``skipped``.
"""

from __future__ import annotations

from allwan_contracts.breaches import BreachNoticeRequested
from allwan_contracts.envelope import Envelope
from allwan_contracts.retention import RetentionNoticeRequested

from allwan_notifier.domain.deliveries import Kind
from allwan_notifier.domain.notices import BreachLetter, RetentionLetter
from allwan_notifier.handlers.deliver import deliver, owed
from allwan_notifier.handlers.ports import Deps


async def notify_breach(requested: BreachNoticeRequested, envelope: Envelope, deps: Deps) -> None:
    """S2: tell one affected customer of a breach, in their language, once."""
    entry = await owed(deps, Kind.BREACH, requested.customer_id, requested.notice_id)
    recipient = await deps.book.recipient(requested.customer_id)
    letter = BreachLetter.of(requested, deps.contact)
    await deliver(entry, letter, recipient, deps, cause=envelope.correlation_id)


async def warn_of_retention(
    requested: RetentionNoticeRequested, envelope: Envelope, deps: Deps
) -> None:
    """PDPL: before the retention schedule erases a customer's data, tell them when and why,
    how to keep it and how to get a copy first."""
    entry = await owed(deps, Kind.RETENTION, requested.customer_id, requested.case_id)
    recipient = await deps.book.recipient(requested.customer_id)
    letter = RetentionLetter.of(requested, deps.contact, deps.privacy_url)
    await deliver(entry, letter, recipient, deps, cause=envelope.correlation_id)
