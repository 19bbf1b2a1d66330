"""Publishing policy versions (PC1, CT1) and what a material change asks of consents."""

from __future__ import annotations

from uuid import uuid4

import structlog
from allwan_contracts import PolicyChanged
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import PolicyPublishRequested
from allwan_runtime.eventstore import ConcurrencyConflict

from allwan_consent.domain.policy import PRIVACY, PolicyDraft
from allwan_consent.handlers.ports import Deps

log = structlog.get_logger(__name__)


async def publish_policy(request: PolicyPublishRequested, envelope: Envelope, deps: Deps) -> None:
    """Staff publish a new version: it is the next number and in force at once (PC1)."""
    policies = deps.policies
    if await policies.handled(PRIVACY, envelope.event_id):
        return
    policy = await policies.get(PRIVACY)
    version = policy.publish(
        PolicyDraft.from_request(request), contact=deps.contact, url_for=deps.url_for
    )
    await policies.save(
        policy, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
    )
    log.info("policy.published", version=version, material=request.material)


async def publish_first_version(draft: PolicyDraft, deps: Deps) -> bool:
    """Publish ``draft`` as version 1 if nothing is published yet; True if this call did.

    Replicas starting together race for version 1: the event store lets one win (its
    stream is empty only once) and the others give way.
    """
    policy = await deps.policies.get(PRIVACY)
    if policy.published:
        return False
    policy.publish(draft, contact=deps.contact, url_for=deps.url_for)
    try:
        await deps.policies.save(policy, correlation_id=uuid4())
    except ConcurrencyConflict:
        return False
    log.info("policy.published", version=1, material=draft.material)
    return True


async def ask_for_reconfirmation(changed: PolicyChanged, envelope: Envelope, deps: Deps) -> None:
    """After a material change, secondary consents given under older versions are
    suspended until confirmed again; nothing is carried over silently (PC1, PC2)."""
    if not changed.material:
        return
    ledgers = deps.ledgers
    suspended = 0
    for customer_id in await ledgers.ids():
        ledger = await ledgers.get(customer_id)
        if ledger.require_reconfirmation(changed.version):
            await ledgers.save(
                ledger, correlation_id=envelope.correlation_id, causation_id=envelope.event_id
            )
            suspended += 1
    log.info("policy.reconfirmation_requested", version=changed.version, customers=suspended)
