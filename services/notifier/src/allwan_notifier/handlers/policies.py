"""Policy versions: keep each version's contact details, schedule the notice of a material one.

The handler does not send: a material change for 100,000 customers must not hold up the
consumer. It records a fan-out job (``policy:<version>``, inserted once however often the
event comes) and wakes the worker (``handlers.fanout``).
"""

from __future__ import annotations

import structlog
from allwan_contracts import PolicyChanged, PolicyDocumentPublished
from allwan_contracts.envelope import Envelope

from allwan_notifier.domain.fanout import FanoutJob
from allwan_notifier.domain.messages import PolicyNotice
from allwan_notifier.domain.recipients import notice_is_due
from allwan_notifier.handlers.ports import Deps

log = structlog.get_logger(__name__)


async def keep_policy_contact(
    published: PolicyDocumentPublished, envelope: Envelope, deps: Deps
) -> None:
    """CT1: the contact details in force with this version, for its notice."""
    await deps.jobs.remember_contact(published.version, published.contact)


async def schedule_policy_notice(changed: PolicyChanged, envelope: Envelope, deps: Deps) -> None:
    """PC2: a material change is announced to every customer; a non-material one to nobody."""
    if not notice_is_due(changed):
        log.info("notifier.policy_notice_not_due", version=changed.version)
        return
    contact = await deps.jobs.contact_for(changed.version) or deps.contact
    notice = PolicyNotice.of(changed, contact, deps.withdrawal(contact))
    if await deps.jobs.record(FanoutJob.for_policy(notice, deps.clock())):
        log.info("notifier.policy_notice_scheduled", version=changed.version)
    deps.wake()
