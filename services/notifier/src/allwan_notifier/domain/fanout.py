"""Fan-outs: one message to a whole audience, run by a background worker, never by a handler.

A consumer handler only records the job (an insert of ``policy:<version>`` or
``marketing:<campaign>``: recorded once however often the event comes). The worker then
- *enumerates*: one pass over the audience, inserting one ``pending`` ledger entry per
  customer (the claim; a customer already claimed is not claimed twice), so the ledger lists
  everyone owed the message before the first one goes out;
- *sends*: one pass over the job's entries, sending those that ``must_send`` at the pace of the
  token bucket, while keeping the job's tally (a single writer: the worker holding the lease);
- sweeps once more for customers that reached the address book late, then is *done*.
A restart resumes at the phase the job is in; the ledger's claims keep it exactly-once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from allwan_contracts import PolicyContact
from pydantic import BaseModel, ConfigDict

from allwan_notifier.domain.deliveries import Delivery, Kind, Tally, delivery_id
from allwan_notifier.domain.marketing import Campaign
from allwan_notifier.domain.messages import PolicyNotice


class Phase(StrEnum):
    ENUMERATING = "enumerating"
    SENDING = "sending"
    DONE = "done"


class CampaignContent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    campaign: Campaign
    contact: PolicyContact


class FanoutJob(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: Kind
    created_at: datetime
    notice: PolicyNotice | None = None
    marketing: CampaignContent | None = None
    phase: Phase = Phase.ENUMERATING
    total: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    finished_at: datetime | None = None

    @classmethod
    def for_policy(cls, notice: PolicyNotice, now: datetime) -> FanoutJob:
        return cls(
            id=policy_job_id(notice.version), kind=Kind.POLICY, created_at=now, notice=notice
        )

    @classmethod
    def for_campaign(cls, campaign: Campaign, contact: PolicyContact, now: datetime) -> FanoutJob:
        return cls(
            id=f"{Kind.MARKETING.value}:{campaign.campaign_id}",
            kind=Kind.MARKETING,
            created_at=now,
            marketing=CampaignContent(campaign=campaign, contact=contact),
        )

    @property
    def tally(self) -> Tally:
        return Tally(total=self.total, sent=self.sent, failed=self.failed, skipped=self.skipped)

    def entry_for(self, customer_id: str, now: datetime) -> Delivery:
        """The ledger entry this job owes ``customer_id``: ``<job id>:<customer>``."""
        key = self.id.split(":", 1)[1]
        return Delivery(
            id=delivery_id(self.kind, key, customer_id),
            kind=self.kind,
            customer_id=customer_id,
            queued_at=now,
            job=self.id,
        )


def policy_job_id(version: int) -> str:
    return f"{Kind.POLICY.value}:{version}"
