"""``insert_prefix`` on a real MongoDB-protocol server: documents go in in order, in one
command, and the first taken ``_id`` stops the rest (a customer list's marker never stands
without its slot)."""

from __future__ import annotations

from typing import Any

import pytest
from allwan_runtime.commits import insert_prefix
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


async def test_all_go_in_when_none_is_taken(db: AsyncDatabase[dict[str, Any]]) -> None:
    went_in = await insert_prefix(db["lists"], [{"_id": "c#000000", "id": "o-1"}, {"_id": "c|o-1"}])
    assert went_in == 2
    assert await db["lists"].count_documents({}) == 2


async def test_a_taken_id_stops_the_documents_after_it(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db["lists"].insert_one({"_id": "c#000000", "id": "o-0"})
    went_in = await insert_prefix(db["lists"], [{"_id": "c#000000", "id": "o-1"}, {"_id": "c|o-1"}])
    assert went_in == 0
    assert await db["lists"].find_one({"_id": "c|o-1"}) is None
    assert (await db["lists"].find_one({"_id": "c#000000"}) or {})["id"] == "o-0"


async def test_the_ones_before_a_taken_id_stay_in(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db["lists"].insert_one({"_id": "c|o-1"})
    went_in = await insert_prefix(db["lists"], [{"_id": "c#000001", "id": "o-1"}, {"_id": "c|o-1"}])
    assert went_in == 1
    assert (await db["lists"].find_one({"_id": "c#000001"}) or {})["id"] == "o-1"
