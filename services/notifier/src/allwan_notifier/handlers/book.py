"""The address book: where each customer is written to, and whether marketing may reach them.

Fed by orders (``OrderPlaced``: email and language; ``CustomerContactChanged``: email) and by
the consent service (the consent ledger, and ``CustomerErased``). It keeps the sealed email and
the language only, nothing else of the customer (P1, C1). A correction and an erasure are
answered to the privacy request once the book shows them (``handlers.privacy_replies``).

This consumer sends no email, so an SMTP outage never holds it up. The privacy letters parked
until a customer's address is known are sent by the mail consumer, which reads the same orders
and contact changes and writes their address to the book itself (``handlers.parked``).
"""

from __future__ import annotations

from allwan_contracts import CustomerContactChanged, CustomerErased, OrderPlaced
from allwan_contracts.envelope import Envelope

from allwan_notifier.domain.recipients import Address, ConsentEvent, status_after
from allwan_notifier.handlers.parked import forget_parked
from allwan_notifier.handlers.ports import Deps
from allwan_notifier.handlers.privacy_replies import answer_correction, confirm_erasure


async def remember_order_contact(placed: OrderPlaced, envelope: Envelope, deps: Deps) -> None:
    """An order tells us where and in which language to write to its customer."""
    address = Address(placed.contact.email, placed.locale)
    await deps.book.remember(placed.customer_id, address, envelope.occurred_at)


async def remember_contact_change(
    changed: CustomerContactChanged, envelope: Envelope, deps: Deps
) -> None:
    """Salla told orders of a new email, or the customer corrected it (PDPL: the privacy
    request is answered once the book shows it); the language stays the last order's."""
    address = Address(changed.contact.email)
    await deps.book.remember(changed.customer_id, address, envelope.occurred_at)
    await answer_correction(changed, envelope, deps)


async def record_consent(event: ConsentEvent, envelope: Envelope, deps: Deps) -> None:
    """A consent ledger event: a relationship (PC2) and, for marketing, the audience (K2).

    Each event states its purpose's status in full; the ledger version orders them."""
    await deps.book.record_consent(
        event.customer_id, event.purpose.value, status_after(event), envelope.aggregate_version
    )


async def forget_customer(erased: CustomerErased, envelope: Envelope, deps: Deps) -> None:
    """Erasure: the sealed email goes, marketing stops, the privacy letters still waiting
    for an address are skipped and dropped, only the fact of erasure stays; then the notifier
    confirms it holds nothing readable of the customer (PDPL)."""
    await deps.book.erase(erased.customer_id, envelope.aggregate_version)
    await forget_parked(erased.customer_id, deps)  # no address will come for them now
    await confirm_erasure(erased, envelope, deps)
