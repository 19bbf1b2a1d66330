"""What staff may ask of the delivery ledger (PC2 proof), as JSON-ready documents.

- ``policy_entries(version, state=, after=, limit=)``: who was (or is to be) told of a version,
  in customer order, a page at a time;
- ``policy_entry(version, customer_id)``: one customer's notice of one version (by ``_id``);
- ``policy_counts(version, exact=)``: total, sent, pending, failed, skipped: the job's own
  tally (kept by the worker, as fresh as its last progress write), or with ``exact`` counted
  from the ledger (one scan);
- ``jobs()``: every fan-out (policy notices and campaigns) with its phase and tally.
"""

from __future__ import annotations

from datetime import datetime

from allwan_runtime.mongo import Document

from allwan_notifier.adapters.jobs import MongoJobs
from allwan_notifier.adapters.ledger import MongoLedger
from allwan_notifier.domain.deliveries import Delivery, Kind, State, delivery_id
from allwan_notifier.domain.fanout import FanoutJob, policy_job_id


def _time(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def entry_document(entry: Delivery) -> Document:
    return {
        "customer_id": entry.customer_id,
        "kind": entry.kind.value,
        "state": entry.state.value,
        "reason": entry.reason,
        "message_id": entry.message_id,
        "locale": entry.locale,
        "attempts": entry.attempts,
        "queued_at": _time(entry.queued_at),
        "sending_at": _time(entry.sending_at),
        "done_at": _time(entry.done_at),
    }


def job_document(job: FanoutJob) -> Document:
    return {
        "job": job.id,
        "kind": job.kind.value,
        "version": job.notice.version if job.notice else None,
        "campaign_id": job.marketing.campaign.campaign_id if job.marketing else None,
        "phase": job.phase.value,
        "created_at": _time(job.created_at),
        "finished_at": _time(job.finished_at),
        **job.tally.as_dict(),
    }


class LedgerQueries:
    def __init__(self, ledger: MongoLedger, jobs: MongoJobs) -> None:
        self._ledger = ledger
        self._jobs = jobs

    async def policy_entries(
        self, version: int, *, state: State | None = None, after: str | None = None, limit: int
    ) -> list[Document]:
        entries = await self._ledger.entries(
            policy_job_id(version),
            state=state,
            after=None if after is None else delivery_id(Kind.POLICY, version, after),
            limit=limit,
        )
        return [entry_document(entry) for entry in entries]

    async def policy_entry(self, version: int, customer_id: str) -> Document | None:
        entry = await self._ledger.get(delivery_id(Kind.POLICY, version, customer_id))
        return None if entry is None else entry_document(entry)

    async def policy_counts(self, version: int, *, exact: bool = False) -> Document | None:
        job = await self._jobs.get(policy_job_id(version))
        if job is None:
            return None
        document = job_document(job)
        if exact:
            document.update((await self._ledger.tally(job.id)).as_dict())
        document["source"] = "ledger" if exact else "job"
        return document

    async def jobs(self) -> list[Document]:
        return [job_document(job) for job in await self._jobs.all()]
