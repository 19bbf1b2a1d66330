"""Sending one message owed by a ledger entry: the state machine of ``domain.deliveries``
carried out against the key store, the templates and the SMTP server, and the disclosure to
the SMTP provider each accepted message is (P2, D3; ``domain.disclosures``).

A recipient with no address is skipped here (``no_address``), for good. Privacy letters are
the exception: ``handlers.parked`` parks one that has no address and sends it here only once
there is one (or skips it itself, once it waited past its bound)."""

from __future__ import annotations

import asyncio
from uuid import UUID

import structlog
from allwan_contracts.disclosures import DataDisclosed
from allwan_runtime.dispatch import is_transient
from allwan_runtime.keystore import ERASED

from allwan_notifier.domain.deliveries import (
    Delivery,
    Kind,
    SkipReason,
    State,
    delivery_id,
    message_id,
    must_send,
)
from allwan_notifier.domain.disclosures import (
    correlation,
    email_disclosure,
    email_disclosure_id,
)
from allwan_notifier.domain.mail import Mail
from allwan_notifier.domain.messages import Letter
from allwan_notifier.domain.recipients import Address, Locale, Recipient, language
from allwan_notifier.handlers.ports import Accepted, AddressSuperseded, Deps, SendRefused
from allwan_notifier.handlers.stores import Ledger

log = structlog.get_logger(__name__)
UNREADABLE = "address_unreadable"
RECORD_ATTEMPTS = 3
"""Tries at writing an outcome before the entry is left ``sending`` (its disclosure, recorded
before a ``sent``, keeps the next attempt from sending again)."""


async def claimed(ledger: Ledger, entry: Delivery) -> Delivery:
    """The ledger's entry for ``entry.id``: ``entry`` itself if this call created it."""
    if await ledger.claim(entry):
        return entry
    existing = await ledger.get(entry.id)
    if existing is None:  # pragma: no cover - an entry is never deleted
        raise LookupError(entry.id)
    return existing


async def owed(deps: Deps, kind: Kind, customer_id: str, *key: str | int) -> Delivery:
    """The ledger's entry for the message of ``kind`` about ``key``: claimed now, or as an
    earlier delivery of the same event left it."""
    entry = Delivery(
        id=delivery_id(kind, *key), kind=kind, customer_id=customer_id, queued_at=deps.clock()
    )
    return await claimed(deps.ledger, entry)


async def deliver(
    entry: Delivery,
    letter: Letter,
    recipient: Recipient,
    deps: Deps,
    *,
    cause: UUID | None = None,
) -> Delivery:
    """Send ``letter`` to ``recipient`` for a claimed ledger entry; the entry as it ends up.

    An entry in a final state is left alone (a redelivered event, a resumed fan-out). The
    email is opened for the letter's purpose only (C4); an erased customer's reads as
    ``ERASED``: nothing is sent and the address book forgets them. An address a correction
    superseded reads as ``ERASED`` too, though the customer is not erased: the book's current
    address is used, and ``AddressSuperseded`` (transient) while the book still holds the old
    one. ``SendDeferred`` leaves the entry in ``sending`` and propagates, so the caller
    retries later with the same Message-ID.

    A message the server accepted is recorded as a disclosure to the SMTP provider before it
    counts as sent (``disclose``); ``cause`` is the correlation id of the event that owed it.
    An entry whose earlier attempt got that far is marked sent, not sent again
    (``accepted_before``).
    """
    if (done := await settled(entry, deps, cause)) is not None:
        return done
    opened = await _open(entry, letter, recipient, deps)
    if isinstance(opened, Delivery):
        return opened
    email, locale = opened
    mail = compose(entry, letter, email, locale, deps)
    sending = entry.moved(
        State.SENDING,
        message_id=mail.message_id,
        locale=locale,
        attempts=entry.attempts + 1,
        sending_at=deps.clock(),
    )
    # Built before the message leaves: one that does not validate stops it here, not after 250.
    disclosed = email_disclosure(
        sending,
        letter,
        recipient=deps.smtp_recipient,
        recorded_by=f"service:{deps.service}",
        at=deps.clock(),
    )
    if not await deps.ledger.begin_attempt(sending):
        return entry  # another worker makes this attempt (a lease hand-over): it records it
    try:
        await deps.sender.send(mail)
    except SendRefused as refused:
        log.warning("notifier.refused", kind=entry.kind.value, reason=refused.reason)
        return await finish(deps, sending, State.FAILED, refused.reason)
    except Exception as error:
        if is_transient(error):
            deps.metrics.counted(entry.kind, "deferred")
        raise
    accepted = Accepted(sending, disclosed.model_copy(update={"at": deps.clock()}))
    deps.accepted[entry.id] = accepted
    return await record_accepted(accepted, deps, cause, retry=False)


async def settled(entry: Delivery, deps: Deps, cause: UUID | None) -> Delivery | None:
    """The entry as it ends up if nothing is to be sent for it: final already, or its
    message accepted by the server before (remembered by this process, or recorded by an
    earlier attempt); None if it must be sent."""
    if not must_send(entry.state):
        return entry
    if (held := deps.accepted.get(entry.id)) is not None:
        return await record_accepted(held, deps, cause, retry=True)
    return await accepted_before(entry, deps)


async def record_accepted(
    accepted: Accepted, deps: Deps, cause: UUID | None, *, retry: bool
) -> Delivery:
    """Record the disclosure of a message the server accepted, then its ``sent`` outcome.

    Until the disclosure is recorded the process remembers the message (``Deps.accepted``):
    a transient failure to record it (the database away) propagates, and the retry of the
    same delivery comes back here and records it, without sending the message again. Only a
    crash of the process between the 250 and the record can still send it twice.
    """
    sending = accepted.sending
    # A retry may follow an append that reached the server before its answer was lost.
    await disclose(
        accepted.disclosed,
        sending,
        deps,
        cause or correlation(sending),
        surely_new=sending.attempts == 1 and not retry,
    )
    deps.accepted.pop(sending.id, None)
    return await finish(deps, sending, State.SENT, None)


async def accepted_before(entry: Delivery, deps: Deps) -> Delivery | None:
    """``entry`` recorded as sent if an earlier attempt's message was accepted; else None.

    The disclosure is recorded after the server's 250 and before the ``sent`` outcome
    (``disclose``): an entry left ``sending`` with its disclosure recorded had its message
    accepted, and a crash or a lost outcome write came between the two. Sending it again would
    be a duplicate, so an email goes at most once after a 250 (P2, D3: the disclosure is the
    proof). An entry never tried costs no read: no attempt, no 250, no disclosure.
    """
    if entry.attempts == 0:
        return None
    disclosed = email_disclosure_id(entry, deps.smtp_recipient)
    if not await deps.replies.recorded(DataDisclosed.aggregate_type, disclosed):
        return None
    log.info("notifier.accepted_before", kind=entry.kind.value, attempts=entry.attempts)
    return await finish(deps, entry, State.SENT, None)


async def disclose(
    disclosed: DataDisclosed, sending: Delivery, deps: Deps, cause: UUID, *, surely_new: bool
) -> None:
    """P2, D3: record that the SMTP provider took the message, before it counts as sent.

    In this order a crash between the two leaves the entry ``sending`` with its disclosure
    recorded, and the next attempt marks it sent without sending (``accepted_before``); the
    other order could lose the disclosure for good. A transient failure to record defers the
    message as a deferred send does: the entry stays ``sending`` and the caller retries it,
    recording it then (``record_accepted``).

    One round trip on a first attempt (``surely_new``): attempt n is begun by one worker only
    (its insert in the ledger), and a disclosure is recorded only after an attempt's 250, so
    before attempt 1 none can exist and the stream is not read first. A later attempt, or a
    second try at recording, reads it again: a worker still at an earlier attempt, at a lease
    hand-over, may have recorded it since ``accepted_before`` looked, or the first try's
    append may have landed. (Should both append at once, one loses its race: recorded once,
    at worst published twice, which the ledger's consumer absorbs.)
    """
    try:
        await deps.replies.first(disclosed, cause, surely_new=surely_new)
    except Exception as error:
        if is_transient(error):
            log.warning(
                "notifier.disclosure_deferred",
                kind=sending.kind.value,
                error=type(error).__name__,
            )
            deps.metrics.counted(sending.kind, "deferred")
        raise


async def _open(
    entry: Delivery, letter: Letter, recipient: Recipient, deps: Deps
) -> tuple[str, Locale] | Delivery:
    """The recipient's email and language, or the entry finished because there are none
    (a privacy letter with no address is parked before it gets here: ``handlers.parked``)."""
    reason = recipient.unreachable()
    if reason is not None or recipient.address is None:
        return await finish(deps, entry, State.SKIPPED, reason or SkipReason.NO_ADDRESS)
    try:
        email = await deps.secrets.open(
            recipient.address.email, field="email", purpose=letter.purpose
        )
    except ValueError:  # tampered with or sealed under another field: never guessed at
        return await finish(deps, entry, State.FAILED, UNREADABLE)
    if email == ERASED:
        if await deps.secrets.is_erased(entry.customer_id):
            await deps.book.redact(entry.customer_id)
            return await finish(deps, entry, State.SKIPPED, SkipReason.ERASED)
        return await _open_current(entry, letter, recipient.address, deps)
    return email, language(recipient.address.locale, deps.default_locale)


async def _open_current(
    entry: Delivery, letter: Letter, superseded: Address, deps: Deps
) -> tuple[str, Locale] | Delivery:
    """A correction retired the key generation ``superseded`` was sealed under (an older
    order's address, or the book's before it took the correction): the customer is not
    erased, so their address is the book's current one, or soon will be."""
    current = await deps.book.recipient(entry.customer_id)
    reason = current.unreachable()
    if reason is not None or current.address is None:
        return await finish(deps, entry, State.SKIPPED, reason or SkipReason.NO_ADDRESS)
    if current.address.email == superseded.email:
        raise AddressSuperseded()
    return await _open(entry, letter, current, deps)


def compose(entry: Delivery, letter: Letter, to: str, locale: Locale, deps: Deps) -> Mail:
    """The message for ``entry`` in ``locale``, from the letter's template."""
    rendered = deps.renderer.render_letter(letter, locale)
    return Mail(
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id(entry.id, deps.mail_domain),
        locale=locale,
        reply_to=letter.reply_to(),
        headers=letter.headers(),
    )


async def finish(deps: Deps, entry: Delivery, state: State, reason: str | None) -> Delivery:
    """Record ``entry``'s outcome; the entry as recorded."""
    done = entry.moved(state, reason=reason, done_at=deps.clock())
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            await deps.ledger.finish(done)
            break
        except Exception as error:
            if not is_transient(error) or attempt == RECORD_ATTEMPTS:
                raise
            await asyncio.sleep(0.1 * attempt)
    deps.metrics.counted(entry.kind, state)
    return done
