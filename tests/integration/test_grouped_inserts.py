"""``GroupedInserts`` on a real MongoDB-protocol server: concurrent inserts go in together, and
each caller learns about its own document only (two racing for one ``_id``: one wins)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from allwan_runtime.grouped import GroupedInserts
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.integration


async def test_racing_callers_each_get_their_own_outcome(db: AsyncDatabase[dict[str, Any]]) -> None:
    inserts = GroupedInserts(db["attempts"])
    await inserts.insert_one({"_id": "d-1#1", "n": 1})

    results = await asyncio.gather(
        *(inserts.insert_one({"_id": f"d-{k}#1", "by": k}) for k in range(1, 9)),
        inserts.insert_one({"_id": "d-5#1", "by": "rival"}),
        return_exceptions=True,
    )

    refused = [k for k, result in enumerate(results, start=1) if result is not None]
    assert refused[0] == 1  # taken before
    assert all(isinstance(results[k - 1], DuplicateKeyError) for k in refused)
    assert len(refused) == 2  # and one of the two racing for d-5#1
    assert await db["attempts"].count_documents({}) == 8
    assert (await db["attempts"].find_one({"_id": "d-1#1"}) or {}).get("n") == 1


async def test_concurrent_inserts_cost_a_few_commands_not_one_each(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    slots = db["slots"]
    commands: list[int] = []
    insert_many = slots.insert_many

    async def counted(documents: list[dict[str, Any]], **options: Any) -> Any:
        commands.append(len(documents))
        return await insert_many(documents, **options)

    slots.insert_many = counted  # type: ignore[method-assign,assignment]
    inserts = GroupedInserts(slots)
    await asyncio.gather(*(inserts.insert_one({"_id": f"c-{k}#1"}) for k in range(64)))

    assert await slots.count_documents({}) == 64
    assert sum(commands) == 64
    assert len(commands) <= 2  # the first caller's alone at most, then everyone else's
