"""Sending one message owed by a ledger entry: the state machine of ``domain.deliveries``
carried out against the key store, the templates and the SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from allwan_contracts.fields import utc_now
from allwan_runtime.dispatch import is_transient
from allwan_runtime.keystore import ERASED

from allwan_notifier.domain.deliveries import Delivery, SkipReason, State, message_id, must_send
from allwan_notifier.domain.messages import Letter
from allwan_notifier.domain.recipients import Locale, Recipient, language
from allwan_notifier.handlers.ports import (
    AddressBook,
    Ledger,
    Mail,
    Metrics,
    Renderer,
    Secrets,
    Sender,
    SendRefused,
)

log = structlog.get_logger(__name__)
UNREADABLE = "address_unreadable"


@dataclass(frozen=True)
class Post:
    """Everything needed to send one message and record it."""

    ledger: Ledger
    book: AddressBook
    secrets: Secrets
    renderer: Renderer
    sender: Sender
    metrics: Metrics
    mail_domain: str
    default_locale: Locale
    clock: Callable[[], datetime] = utc_now
    record_attempts: int = 3


async def claimed(ledger: Ledger, entry: Delivery) -> Delivery:
    """The ledger's entry for ``entry.id``: ``entry`` itself if this call created it."""
    if await ledger.claim(entry):
        return entry
    existing = await ledger.get(entry.id)
    if existing is None:  # pragma: no cover - an entry is never deleted
        raise LookupError(entry.id)
    return existing


async def deliver(entry: Delivery, letter: Letter, recipient: Recipient, post: Post) -> Delivery:
    """Send ``letter`` to ``recipient`` for a claimed ledger entry; the entry as it ends up.

    An entry in a final state is left alone (a redelivered event, a resumed fan-out). The
    email is opened for the letter's purpose only (C4); an erased customer's reads as
    ``ERASED``: nothing is sent and the address book forgets them. ``SendDeferred`` leaves the
    entry in ``sending`` and propagates, so the caller retries later with the same Message-ID.
    """
    if not must_send(entry.state):
        return entry
    opened = await _open(entry, letter, recipient, post)
    if isinstance(opened, Delivery):
        return opened
    email, locale = opened
    mail = compose(entry, letter, email, locale, post)
    sending = entry.moved(
        State.SENDING,
        message_id=mail.message_id,
        locale=locale,
        attempts=entry.attempts + 1,
        sending_at=post.clock(),
    )
    if not await post.ledger.begin_attempt(sending):
        return entry  # another worker makes this attempt (a lease hand-over): it records it
    try:
        await post.sender.send(mail)
    except SendRefused as refused:
        log.warning("notifier.refused", kind=entry.kind.value, reason=refused.reason)
        return await finish(post, sending, State.FAILED, refused.reason)
    except Exception as error:
        if is_transient(error):
            post.metrics.counted(entry.kind, "deferred")
        raise
    return await finish(post, sending, State.SENT, None)


async def _open(
    entry: Delivery, letter: Letter, recipient: Recipient, post: Post
) -> tuple[str, Locale] | Delivery:
    """The recipient's email and language, or the entry finished because there are none."""
    reason = recipient.unreachable()
    if reason is not None or recipient.address is None:
        return await finish(post, entry, State.SKIPPED, reason or SkipReason.NO_ADDRESS)
    try:
        email = await post.secrets.open(
            recipient.address.email, field="email", purpose=letter.purpose
        )
    except ValueError:  # tampered with or sealed under another field: never guessed at
        return await finish(post, entry, State.FAILED, UNREADABLE)
    if email == ERASED:
        await post.book.redact(entry.customer_id)
        return await finish(post, entry, State.SKIPPED, SkipReason.ERASED)
    return email, language(recipient.address.locale, post.default_locale)


def compose(entry: Delivery, letter: Letter, to: str, locale: Locale, post: Post) -> Mail:
    """The message for ``entry`` in ``locale``, from the letter's template."""
    rendered = post.renderer.render_letter(letter, locale)
    return Mail(
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id(entry.id, post.mail_domain),
        locale=locale,
        reply_to=letter.reply_to(),
        headers=letter.headers(),
    )


async def finish(post: Post, entry: Delivery, state: State, reason: str | None) -> Delivery:
    """Record ``entry``'s outcome; the entry as recorded."""
    done = entry.moved(state, reason=reason, done_at=post.clock())
    # After a send, a failed write is the one way to send twice: try it a few times.
    for attempt in range(1, post.record_attempts + 1):
        try:
            await post.ledger.finish(done)
            break
        except Exception as error:
            if not is_transient(error) or attempt == post.record_attempts:
                raise
            await asyncio.sleep(0.1 * attempt)
    post.metrics.counted(entry.kind, state)
    return done
