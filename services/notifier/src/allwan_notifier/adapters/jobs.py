"""Fan-out jobs (``fanout_jobs``, one document per job, written by the worker holding the lease)
and the contact details of each policy version (``policy_contacts``)."""

from __future__ import annotations

import contextlib

from allwan_contracts import PolicyContact
from allwan_runtime.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_notifier.domain.fanout import FanoutJob, Phase

JOBS = "fanout_jobs"
CONTACTS = "policy_contacts"


def _document(job: FanoutJob) -> Document:
    doc = job.model_dump(mode="python", exclude={"id"})
    doc["_id"] = job.id
    return doc


def _job(doc: Document) -> FanoutJob:
    fields = {key: value for key, value in doc.items() if key != "_id"}
    return FanoutJob.model_validate({**fields, "id": doc["_id"]})


class MongoJobs:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._jobs: AsyncCollection[Document] = db[JOBS]
        self._contacts: AsyncCollection[Document] = db[CONTACTS]

    async def record(self, job: FanoutJob) -> bool:
        try:
            await self._jobs.insert_one(_document(job))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, job_id: str) -> FanoutJob | None:
        doc = await self._jobs.find_one({"_id": job_id})
        return None if doc is None else _job(doc)

    async def unfinished(self) -> list[FanoutJob]:
        # A small collection: one document per material version or campaign.
        return [_job(doc) async for doc in self._jobs.find({"phase": {"$ne": Phase.DONE.value}})]

    async def all(self) -> list[FanoutJob]:
        return sorted(
            [_job(doc) async for doc in self._jobs.find({})], key=lambda job: job.created_at
        )

    async def save(self, job: FanoutJob) -> None:
        await self._jobs.replace_one({"_id": job.id}, _document(job))

    async def remember_contact(self, version: int, contact: PolicyContact) -> None:
        doc = {"_id": f"privacy:v{version}", **contact.model_dump(mode="json")}
        with contextlib.suppress(DuplicateKeyError):  # one version, one contact: kept as first seen
            await self._contacts.insert_one(doc)

    async def contact_for(self, version: int) -> PolicyContact | None:
        doc = await self._contacts.find_one({"_id": f"privacy:v{version}"}, {"_id": 0})
        return None if doc is None else PolicyContact.model_validate(doc)
