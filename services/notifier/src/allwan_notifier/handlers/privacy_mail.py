"""The customer hears of each step of their privacy request (PDPL), in their language.

One message per request and kind (``privacy_received:<request>``, ``privacy_extended:<request>``,
...): a redelivered event finds its ledger entry sent and sends nothing. The address is the
address book's, opened for ``DATA_ACCESS`` (C4): answering the customer's own request.

The request may come before the order that gives the address (records of different topics
come in no order). A letter for a customer with no address yet is therefore parked, not
skipped: its entry stays ``pending`` and the letter goes once the mail consumer learns the
address from an order or a contact change, if that is within ``PARKING_BOUND`` (24 hours) of
parking, and is skipped (``no_address``) if later (``handlers.parked``). The consumer goes on
meanwhile. An erased customer's letter is skipped (``erased``) at once, as before.
"""

from __future__ import annotations

from allwan_contracts import (
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestExtended,
    PrivacyRequestKind,
    PrivacyRequestReceived,
    PrivacyRequestStarted,
)
from allwan_contracts.envelope import Envelope

from allwan_notifier.domain.privacy import (
    ErasureStarting,
    PrivacyLetter,
    RequestCompleted,
    RequestDenied,
    RequestExtended,
    RequestReceived,
)
from allwan_notifier.handlers.deliver import owed
from allwan_notifier.handlers.parked import send_or_park
from allwan_notifier.handlers.ports import Deps


async def acknowledge_request(
    received: PrivacyRequestReceived, envelope: Envelope, deps: Deps
) -> None:
    """The request is on record and answered by its due date; an erasure asked for on
    WhatsApp says how to confirm it."""
    letter = RequestReceived.of(received, deps.contact, deps.privacy_url)
    await _send(letter, received.customer_id, envelope, deps)


async def announce_extension(
    extended: PrivacyRequestExtended, envelope: Envelope, deps: Deps
) -> None:
    """PDPL: the one extension is notified, with its new date and reason."""
    letter = RequestExtended.of(extended, deps.contact)
    await _send(letter, extended.customer_id, envelope, deps)


async def announce_erasure(started: PrivacyRequestStarted, envelope: Envelope, deps: Deps) -> None:
    """An erasure starts: the customer is told now, while their address still opens; once
    their key is shredded nobody can write to them. Other kinds start silently."""
    if started.kind is not PrivacyRequestKind.ERASURE:
        return
    letter = ErasureStarting(request_id=started.request_id, contact=deps.contact)
    await _send(letter, started.customer_id, envelope, deps)


async def announce_completion(
    completed: PrivacyRequestCompleted, envelope: Envelope, deps: Deps
) -> None:
    """The copy is ready on the privacy page until it is destroyed, or the correction is done;
    an erasure gets nothing (the customer was told as it started)."""
    letter = RequestCompleted.of(completed, deps.contact, deps.privacy_url)
    if letter is not None:
        await _send(letter, completed.customer_id, envelope, deps)


async def announce_denial(denied: PrivacyRequestDenied, envelope: Envelope, deps: Deps) -> None:
    """The request is refused: the legal reason, in the customer's language."""
    letter = RequestDenied.of(denied, deps.contact)
    await _send(letter, denied.customer_id, envelope, deps)


async def _send(letter: PrivacyLetter, customer_id: str, envelope: Envelope, deps: Deps) -> None:
    entry = await owed(deps, letter.kind, customer_id, letter.request_id)
    await send_or_park(entry, letter, deps, cause=envelope.correlation_id)
