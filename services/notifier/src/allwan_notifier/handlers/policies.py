"""Policy versions: keep each version's contact details, schedule the notice of a material one.

The handler does not send: a material change for 100,000 customers must not hold up the
consumer. It records a fan-out job (``policy:<version>``, inserted once however often the
event comes) and wakes the worker (``handlers.fanout``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from allwan_contracts import PolicyChanged, PolicyContact, PolicyDocumentPublished
from allwan_contracts.envelope import Envelope

from allwan_notifier.domain.fanout import FanoutJob
from allwan_notifier.domain.messages import PolicyNotice, Withdrawal
from allwan_notifier.domain.recipients import notice_is_due
from allwan_notifier.handlers.ports import Jobs

log = structlog.get_logger(__name__)


async def keep_policy_contact(
    envelope: Envelope, published: PolicyDocumentPublished, *, jobs: Jobs
) -> None:
    """CT1: the contact details in force with this version, for its notice."""
    await jobs.remember_contact(published.version, published.contact)


async def schedule_policy_notice(
    envelope: Envelope,
    changed: PolicyChanged,
    *,
    jobs: Jobs,
    fallback_contact: PolicyContact,
    withdrawal_for: Callable[[PolicyContact], Withdrawal],
    clock: Callable[[], datetime],
    wake: Callable[[], None],
) -> None:
    """PC2: a material change is announced to every customer; a non-material one to nobody."""
    if not notice_is_due(changed):
        log.info("notifier.policy_notice_not_due", version=changed.version)
        return
    contact = await jobs.contact_for(changed.version) or fallback_contact
    notice = PolicyNotice.of(changed, contact, withdrawal_for(contact))
    if await jobs.record(FanoutJob.for_policy(notice, clock())):
        log.info("notifier.policy_notice_scheduled", version=changed.version)
    wake()
