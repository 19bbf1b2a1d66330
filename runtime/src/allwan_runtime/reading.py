"""Reading an event store's streams: each one by its chain of commit keys, every event for a
rebuild, and the ids of one aggregate type. ``EventStore`` is a ``StreamReader``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator

from allwan_contracts.envelope import Envelope
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from allwan_runtime.commits import commit_id
from allwan_runtime.mongo import Document

_KNOWN_HEADS = 10_000
# The character after ":" in ASCII: "<type>:" <= stream id < "<type>;" selects one type.
_AFTER_SEPARATOR = ";"


class StreamReader:
    """Reads the commits in ``commits``, remembering which versions end a commit."""

    def __init__(self, commits: AsyncCollection[Document]) -> None:
        self._commits = commits
        # Versions known to end a commit (from loads and appends), so an append after a load
        # needs no extra read to prove its expected version is a commit boundary.
        self._boundaries: OrderedDict[tuple[str, int], None] = OrderedDict()

    async def load(self, stream_id: str) -> list[Envelope]:
        """Every event of one stream, in version order (empty for a new stream)."""
        return [
            Envelope.model_validate(raw)
            async for commit in self._chain(stream_id)
            for raw in commit["events"]
        ]

    async def read_all(self, batch_size: int = 500) -> AsyncIterator[Envelope]:
        """Every stored event, each stream in version order, for rebuilding projections."""
        cursor = self._commits.find({}, batch_size=batch_size).sort(
            [("stream_id", ASCENDING), ("version", ASCENDING)]
        )
        async for commit in cursor:
            for raw in commit["events"]:
                yield Envelope.model_validate(raw)

    async def stream_ids(self, aggregate_type: str, batch_size: int = 1000) -> list[str]:
        """Ids of every aggregate of ``aggregate_type`` with at least one stored event, sorted.

        For commands that fan out to all of them (a material policy change touches every
        customer's consent ledger); it reads the commits, not a projection, so it sees every
        stored one.
        """
        prefix = f"{aggregate_type}:"
        cursor = self._commits.find(
            {"stream_id": {"$gte": prefix, "$lt": f"{aggregate_type}{_AFTER_SEPARATOR}"}},
            projection={"stream_id": 1},
            batch_size=batch_size,
        )
        return sorted({commit["stream_id"][len(prefix) :] async for commit in cursor})

    async def _chain(self, stream_id: str) -> AsyncIterator[Document]:
        version = 0
        while True:
            commit = await self._commits.find_one({"_id": commit_id(stream_id, version)})
            if commit is None:
                return
            version = commit["version"]
            self._remember(stream_id, version)
            yield commit

    async def _is_boundary(self, stream_id: str, version: int) -> bool:
        if version == 0 or (stream_id, version) in self._boundaries:
            return True
        async for commit in self._chain(stream_id):
            if commit["version"] >= version:
                return bool(commit["version"] == version)
        return False

    def _remember(self, stream_id: str, version: int) -> None:
        self._boundaries[(stream_id, version)] = None
        self._boundaries.move_to_end((stream_id, version))
        if len(self._boundaries) > _KNOWN_HEADS:
            self._boundaries.popitem(last=False)
