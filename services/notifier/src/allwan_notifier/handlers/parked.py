"""Privacy letters that wait for an address (``domain.parked``): parked by the mail consumer
when the address book has none for the customer, sent when the mail consumer learns one.

The mail consumer learns addresses itself, from the ``OrderPlaced`` and
``CustomerContactChanged`` it reads: it writes them to the address book, as the receipt does,
and then sends the letters parked for that customer. They go through ``deliver``, so the
ledger's rules hold. A letter goes at most once however often either event comes: its entry's
outcome is final and each attempt is one insert. A letter that waited longer than
``PARKING_BOUND`` is skipped (``no_address``). The address book's own consumer sends nothing,
so an SMTP outage never holds it up.

Parking and learning may run at once (two replicas, two partitions). Each first writes its own
record (the parked letter; the address) and then reads the other's, so at least one of them
sees both and sends the letter. If both do, the ledger's attempt insert lets one through.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import structlog
from allwan_contracts import CustomerContactChanged
from allwan_contracts.envelope import Envelope

from allwan_notifier.domain.deliveries import Delivery, SkipReason, State, must_send
from allwan_notifier.domain.parked import PARKING_BOUND, ParkedLetter, waits_for_address
from allwan_notifier.domain.privacy import PrivacyLetter
from allwan_notifier.domain.recipients import Address
from allwan_notifier.handlers.deliver import deliver, finish
from allwan_notifier.handlers.ports import Deps

log = structlog.get_logger(__name__)
PARKED = "parked"
"""The ``status`` of the email metric for a letter that starts waiting for its address."""


async def send_or_park(
    entry: Delivery, letter: PrivacyLetter, deps: Deps, *, cause: UUID | None
) -> Delivery:
    """Send ``letter`` for its claimed ledger entry, or park it while the address book has no
    address for the customer; the entry as it ends up (``pending`` while parked).

    A customer the key store has erased is skipped (``erased``) and not parked, even before
    the address book hears of the erasure: no address will ever open for them.
    """
    recipient = await deps.book.recipient(entry.customer_id)
    if not (must_send(entry.state) and waits_for_address(recipient)):
        return await deliver(entry, letter, recipient, deps, cause=cause)
    if await deps.secrets.is_erased(entry.customer_id):
        return await deliver(entry, letter, replace(recipient, erased=True), deps, cause=cause)
    waiting = ParkedLetter(entry.id, entry.customer_id, letter, deps.clock(), cause)
    parked = await deps.parked.park(waiting)
    if parked is waiting:
        log.info("notifier.parked", kind=entry.kind.value)
        deps.metrics.counted(entry.kind, PARKED)
    # The address may have come while the letter was being parked: then it goes now.
    return await release(entry, parked, deps)


async def send_waiting_letters(
    changed: CustomerContactChanged, envelope: Envelope, deps: Deps
) -> None:
    """A customer's email became known (from Salla, or corrected): the address book takes it
    here too, as from an order, and the privacy letters parked for the customer go now."""
    address = Address(changed.contact.email)
    await deps.book.remember(changed.customer_id, address, envelope.occurred_at)
    await send_parked(changed.customer_id, deps)


async def send_parked(customer_id: str, deps: Deps) -> None:
    """Send the letters parked for ``customer_id`` now that the address book has their
    address; those parked longer than ``PARKING_BOUND`` are skipped (``no_address``)."""
    for parked in await deps.parked.of_customer(customer_id):
        entry = await deps.ledger.get(parked.id)
        if entry is None:  # pragma: no cover - a letter is parked after its entry is claimed
            continue
        await release(entry, parked, deps)


async def skip_overdue(deps: Deps) -> int:
    """Finish as skipped (``no_address``) the letters that waited for an address longer than
    ``PARKING_BOUND`` and were never tried (a customer who never gets an address: a WhatsApp
    request from someone known only to the consent service), and drop them; how many.

    Run every ``parked_sweep_interval_s`` by each replica: an entry's outcome is one insert, so
    two replicas sweeping at once record it once. A letter tried before was released in time
    and only its sending waits (the SMTP server deferred it): the consumer retrying it sends
    it, as ``release`` would.
    """
    skipped = 0
    now = deps.clock()
    for parked in await deps.parked.parked_before(now - PARKING_BOUND):
        entry = await deps.ledger.get(parked.id)
        if entry is not None and must_send(entry.state) and not parked.given_up(entry, now):
            continue  # its sending waits for the SMTP server: the consumer's retry sends it
        skipped += await _drop(parked, entry, SkipReason.NO_ADDRESS, deps) is not None
    return skipped


async def forget_parked(customer_id: str, deps: Deps) -> None:
    """Erasure: the letters parked for ``customer_id`` will never go (no address will open
    for them again); each is finished as skipped (``erased``) and no longer kept."""
    for parked in await deps.parked.of_customer(customer_id):
        await _drop(parked, await deps.ledger.get(parked.id), SkipReason.ERASED, deps)


async def _drop(
    parked: ParkedLetter, entry: Delivery | None, reason: SkipReason, deps: Deps
) -> Delivery | None:
    """Record ``entry`` skipped for ``reason`` if it is still owed, and no longer keep the
    letter; the entry as recorded now, None if it had its outcome already."""
    done = None
    if entry is not None and must_send(entry.state):
        log.info("notifier.parked_dropped", kind=entry.kind.value, reason=reason.value)
        done = await finish(deps, entry, State.SKIPPED, reason)
    await deps.parked.discard(parked.id)
    return done


async def release(entry: Delivery, parked: ParkedLetter, deps: Deps) -> Delivery:
    """The parked letter's entry as it ends up: sent (or skipped, failed) once the address
    book has an address, and then no longer parked; still ``pending`` and parked if not.

    One that waited past the bound is skipped instead (``ParkedLetter.given_up``).
    """
    if parked.given_up(entry, deps.clock()):
        return await _drop(parked, entry, SkipReason.NO_ADDRESS, deps) or entry
    recipient = await deps.book.recipient(entry.customer_id)
    if must_send(entry.state) and waits_for_address(recipient):
        return entry
    entry = await deliver(entry, parked.letter, recipient, deps, cause=parked.cause)
    if not must_send(entry.state):
        await deps.parked.discard(entry.id)
    return entry
