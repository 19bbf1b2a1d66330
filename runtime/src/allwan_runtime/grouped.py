"""Writes from concurrent callers made together: one command for all that arrived while the
previous command ran.

Each caller hands over its item and waits for its own outcome; one writer task takes every
item waiting (``max_group`` at most) and writes them with one call, which says which of them
failed. On FerretDB (SQLite) each command is a transaction of its own, so 32 concurrent
inserts cost 32 transactions one after the other, where one ``insert_many`` of 32 costs about
one; on MongoDB it saves the round trips. A caller alone waits for nothing: its item is
written at once, as a group of one. A group's write is traced in the trace of its first
item's caller (the context it wrote in), not in that of whichever caller started the writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Final, Generic, TypeVar

import pymongo
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from pymongo import _csot
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ExecutionTimeout

from allwan_runtime.commits import insert_each
from allwan_runtime.mongo import Document

T = TypeVar("T")

GROUP_WRITE_TIMEOUT_S: Final = 10.0
"""How long a group's write may take. The writer serves every caller, so it never runs under
the deadline of the one that started it: ``pymongo.timeout`` is a context variable a task
inherits, and a writer started inside a request kept that request's deadline for life,
failing every group after it under steady load. Each caller's own deadline still bounds its
wait (``_written``)."""
MAX_GROUP: Final = 500


class WriteGroups(Generic[T]):
    """Items written ``max_group`` at a time by ``write``, which returns each item's error
    (None where it was written); an error it raises is every item's of that group."""

    def __init__(
        self,
        write: Callable[[Sequence[T]], Awaitable[Sequence[Exception | None]]],
        *,
        name: str,
        max_group: int = MAX_GROUP,
    ) -> None:
        self._write = write
        self._name = name
        self._max_group = max_group
        self._waiting: list[tuple[T, asyncio.Future[None], Context]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, item: T) -> None:
        """Write ``item`` with the others waiting; raise its own error or its group's.

        Waits no longer than the caller's ``pymongo.timeout`` allows (``ExecutionTimeout``);
        the item may still be written after that, as any write whose answer was lost.
        """
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, written, otel_context.get_current()))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting(), name=self._name)
        await _written(written)

    async def _write_waiting(self) -> None:
        # A task of its own: a caller cancelled while it waits must not cancel the writes of
        # the items grouped with it. Not under the deadline of the caller that started it.
        _csot.reset_all()
        while self._waiting:
            group = self._waiting[: self._max_group]
            del self._waiting[: self._max_group]
            token = otel_context.attach(group[0][2])
            try:
                with pymongo.timeout(GROUP_WRITE_TIMEOUT_S):
                    errors: Sequence[Exception | None] = await self._write(
                        [item for item, _, _ in group]
                    )
            except asyncio.CancelledError:
                for _, written, _ in (*group, *self._waiting):
                    written.cancel()
                raise
            except Exception as error:  # every item of the group fails with it
                errors = [error] * len(group)
            finally:
                otel_context.detach(token)
            for (_, written, _), failure in zip(group, errors, strict=True):
                _settle(written, failure)


class GroupedInserts:
    """``insert_one`` into one collection for concurrent callers, as one unordered
    ``insert_many`` per group: each caller gets its own document's error
    (``DuplicateKeyError`` for a taken ``_id``), and the whole command's if it failed."""

    def __init__(
        self, collection: AsyncCollection[Document], *, max_group: int = MAX_GROUP
    ) -> None:
        self._groups: WriteGroups[Document] = WriteGroups(
            partial(insert_each, collection),
            name=f"inserts-{collection.name}",
            max_group=max_group,
        )

    async def insert_one(self, document: Document) -> None:
        await self._groups.write(document)


async def _written(written: asyncio.Future[None]) -> None:
    """Wait for an item's write, no longer than the caller's ``pymongo.timeout`` allows."""
    remaining = _csot.remaining()
    if remaining is None:
        await written
        return
    try:
        await asyncio.wait_for(written, max(remaining, 0.0))
    except TimeoutError:
        # What PyMongo raises for an operation past its deadline: callers treat it alike.
        raise ExecutionTimeout("the write was not made within its timeout", 50) from None


def _settle(written: asyncio.Future[None], error: Exception | None) -> None:
    if written.done():  # its caller was cancelled
        return
    if error is None:
        written.set_result(None)
    else:
        written.set_exception(error)
