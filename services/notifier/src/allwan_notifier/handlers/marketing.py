"""Marketing campaigns: the staff entry point, and what each customer's message carries (K2).

``request_campaign`` is the trigger: it records a fan-out job that the worker runs like a
policy notice, to the marketing audience only. The gateway's staff API is meant to reach it
through an intake event once the contracts have a topic for it; until then
``allwan-notifier campaign <file.json>`` calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from allwan_contracts.links import UNSUBSCRIBE_TOKEN_KIND

from allwan_notifier.domain.fanout import CampaignContent, FanoutJob
from allwan_notifier.domain.marketing import (
    Campaign,
    MarketingMessage,
    Unsubscribe,
)
from allwan_notifier.handlers.ports import Deps, Secrets

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Where the one-click refusal of K2 goes: the gateway's endpoint and a mailbox."""

    endpoint: str
    mailbox: str

    def for_customer(self, customer_id: str, secrets: Secrets) -> Unsubscribe:
        token = secrets.blind_index(UNSUBSCRIBE_TOKEN_KIND, customer_id)
        return Unsubscribe.for_customer(
            customer_id, token, endpoint=self.endpoint, mailbox=self.mailbox
        )


async def request_campaign(campaign: Campaign, deps: Deps) -> bool:
    """Schedule ``campaign`` for every customer whose marketing consent is granted when its
    message goes out; False if a campaign with its id was already requested."""
    recorded = await deps.jobs.record(FanoutJob.for_campaign(campaign, deps.contact, deps.clock()))
    if recorded:
        log.info("notifier.campaign_scheduled", campaign=campaign.campaign_id)
        deps.wake()
    return recorded


def marketing_message(
    content: CampaignContent, customer_id: str, refusal: Refusal, secrets: Secrets
) -> MarketingMessage:
    """The campaign as one customer receives it, with their own refusal link."""
    return MarketingMessage(
        campaign=content.campaign,
        unsubscribe=refusal.for_customer(customer_id, secrets),
        contact=content.contact,
    )
