"""A lookup by `_id` is answered from the `_id` index, so its cost does not grow with the
collection: the hot paths of the event store, the outbox and the read models rely on it.

FerretDB 1.24's SQLite backend filtered by an expression that differed from the one its
`_id` index is built on, so SQLite scanned the whole table for every find, update and delete
by `_id`; the devstack builds FerretDB with ``infra/ferretdb/sqlite-id-index.patch``. On
FerretDB the plan is SQLite's (``EXPLAIN QUERY PLAN`` rows in ``queryPlanner.Plan``); on
MongoDB ``executionStats`` counts the documents examined.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from allwan_devstack import Endpoints
from bson import ObjectId
from pymongo import MongoClient
from pymongo.database import Database

pytestmark = pytest.mark.integration

Doc = dict[str, Any]

# SQLite's plan row for an equality on the only column of the index FerretDB creates for
# `_id` (named "<table>_" + MongoDB's index name "_id_"); the index is unique, so such a
# search visits at most one row.
ID_INDEX_SEARCH = re.compile(
    r"detail=SEARCH (?P<table>\S+) USING INDEX (?P=table)__id_ \(<expr>=\?\)"
)


@pytest.fixture
def db(servers: Endpoints) -> Iterator[Database[Doc]]:
    client: MongoClient[Doc] = MongoClient(servers.mongo_url, retryWrites=False)
    name = f"itest_idx_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


def is_ferretdb(db: Database[Doc]) -> bool:
    return "ferretdbVersion" in db.client.admin.command("buildInfo")


def explain_find(db: Database[Doc], collection: str, filter_: Doc) -> Doc:
    reply: Doc = db.command(
        "explain", {"find": collection, "filter": filter_}, verbosity="executionStats"
    )
    return reply


def rows_examined(db: Database[Doc], collection: str, filter_: Doc) -> int:
    """How many stored documents the server reads to answer ``find(filter_)``.

    MongoDB counts them. FerretDB reports only SQLite's plan: a search of the unique `_id`
    index reads one row, anything else (a ``SCAN``) reads them all.
    """
    reply = explain_find(db, collection, filter_)
    if not is_ferretdb(db):
        return int(reply["executionStats"]["totalDocsExamined"])
    plan: list[str] = reply["queryPlanner"]["Plan"]
    if len(plan) == 1 and ID_INDEX_SEARCH.search(plan[0]):
        return 1
    return db[collection].count_documents({})


@pytest.mark.parametrize("kind", ["string", "ObjectId"])
def test_an_id_lookup_is_a_search_of_the_id_index(db: Database[Doc], kind: str) -> None:
    if not is_ferretdb(db):
        pytest.skip("the plan checked here is SQLite's, which only FerretDB reports")
    ids: list[Any] = (
        [f"evt-{i:04d}" for i in range(50)] if kind == "string" else [ObjectId() for _ in range(50)]
    )
    db.facts.insert_many([{"_id": id_, "n": n} for n, id_ in enumerate(ids)])

    plan = explain_find(db, "facts", {"_id": ids[-1]})["queryPlanner"]["Plan"]

    assert len(plan) == 1, plan
    assert ID_INDEX_SEARCH.search(plan[0]), plan
    assert db.facts.find_one({"_id": ids[-1]}) == {"_id": ids[-1], "n": 49}


@pytest.mark.parametrize("size", [200, 6000])
def test_an_id_lookup_examines_one_document_whatever_the_collection_size(
    db: Database[Doc], size: int
) -> None:
    db.facts.insert_many([{"_id": f"evt-{i:06d}", "body": "x" * 100} for i in range(size)])
    # The last one inserted: a scan in insertion order would have to read every row first.
    last = f"evt-{size - 1:06d}"

    assert rows_examined(db, "facts", {"_id": last}) == 1
