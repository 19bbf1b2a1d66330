"""Transactional mail, sent as the events arrive: receipts and confirmations.

Each message has a ledger entry named after what it is about (``receipt:<order>``,
``activation:<order>``, ``withdrawal:<customer>:<ledger version>``), so a redelivered event
finds its entry sent and sends nothing. While the SMTP server is away, ``SendDeferred`` (a
``TransientError``) lets the consumer retry the record with backoff; the entry waits in
``sending`` and goes out, once, when the server is back.

An order also tells the mail consumer its customer's address: the privacy letters parked for
want of one go after the receipt (``handlers.parked``).
"""

from __future__ import annotations

from allwan_contracts import ConsentWithdrawn, OrderPlaced, SubscriptionActivated
from allwan_contracts.envelope import Envelope

from allwan_notifier.domain.deliveries import Kind
from allwan_notifier.domain.messages import Activation, Receipt, WithdrawalConfirmation
from allwan_notifier.domain.recipients import Address, Recipient
from allwan_notifier.handlers.deliver import deliver, owed
from allwan_notifier.handlers.parked import send_parked
from allwan_notifier.handlers.ports import Deps


async def send_receipt(placed: OrderPlaced, envelope: Envelope, deps: Deps) -> None:
    """The order's receipt, to the address the order itself carries, in its language; then
    the privacy letters that were parked until this customer's address was known."""
    address = Address(placed.contact.email, placed.locale)
    # Later mail about this order finds the address even if the address book lags behind.
    await deps.book.remember(placed.customer_id, address, envelope.occurred_at)
    entry = await owed(deps, Kind.RECEIPT, placed.customer_id, placed.order_id)
    letter = Receipt.of(placed, envelope.occurred_at, deps.contact)
    recipient = Recipient(placed.customer_id, address)
    await deliver(entry, letter, recipient, deps, cause=envelope.correlation_id)
    await send_parked(placed.customer_id, deps)  # after the receipt, which never waits on them


async def send_activation(activated: SubscriptionActivated, envelope: Envelope, deps: Deps) -> None:
    """The subscription is delivered: its period, to the customer's current address."""
    entry = await owed(deps, Kind.ACTIVATION, activated.customer_id, activated.order_id)
    recipient = await deps.book.recipient(activated.customer_id)
    letter = Activation.of(activated, deps.contact)
    await deliver(entry, letter, recipient, deps, cause=envelope.correlation_id)


async def confirm_withdrawal(withdrawn: ConsentWithdrawn, envelope: Envelope, deps: Deps) -> None:
    """K3: the customer hears that their withdrawal is recorded, whatever channel they used."""
    entry = await owed(
        deps,
        Kind.WITHDRAWAL,
        withdrawn.customer_id,
        withdrawn.customer_id,
        envelope.aggregate_version,
    )
    letter = WithdrawalConfirmation.of(
        withdrawn, envelope.occurred_at, deps.contact, deps.withdrawal()
    )
    recipient = await deps.book.recipient(withdrawn.customer_id)
    await deliver(entry, letter, recipient, deps, cause=envelope.correlation_id)
