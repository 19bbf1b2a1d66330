"""``python -m allwan_runtime.keys_cli``: master-key rotation on a real MongoDB-protocol server."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from allwan_contracts import Sealed
from allwan_devstack import Endpoints
from allwan_runtime import keys_cli
from allwan_runtime.keystore import KeyStore, MasterKeyring, Purpose, generate_master_key
from allwan_runtime.mongo import connect
from allwan_runtime.settings import RuntimeSettings
from pydantic import SecretStr
from pymongo import MongoClient

pytestmark = [pytest.mark.deploy, pytest.mark.integration]


@pytest.fixture
def keys_db(servers: Endpoints) -> Iterator[str]:
    """A key store database of this test's own, dropped afterwards."""
    name = f"keys_{uuid.uuid4().hex[:12]}"
    yield name
    client: MongoClient[dict[str, Any]] = MongoClient(servers.mongo_url)
    with client:
        client.drop_database(name)


def test_rotation_rewraps_every_data_key_so_the_old_key_can_go(
    servers: Endpoints,
    keys_db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new, index = generate_master_key(), generate_master_key(), generate_master_key()
    base = {
        "ALLWAN_MONGO_URL": servers.mongo_url,
        "ALLWAN_KEYS_DB": keys_db,
        "ALLWAN_BLIND_INDEX_KEY": index,
    }
    for name, value in base.items():
        monkeypatch.setenv(name, value)
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(3)]

    async def seal_under_old() -> list[Sealed]:
        settings = RuntimeSettings(keys_db=keys_db, mongo_url=SecretStr(servers.mongo_url))
        client = connect(settings)
        try:
            store = KeyStore(
                client[keys_db],
                MasterKeyring.parse(f"k1:{old}", index),
                service="test",
                purposes=[Purpose.ORDER_PROCESSING],
            )
            sealed = [await store.seal(c, "email", f"{c}@example.com") for c in customers]
            await store.shred(customers[2])
            return sealed
        finally:
            await client.close()

    async def open_with(spec: str, sealed: list[Sealed]) -> list[str]:
        settings = RuntimeSettings(keys_db=keys_db, mongo_url=SecretStr(servers.mongo_url))
        client = connect(settings)
        try:
            store = KeyStore(
                client[keys_db],
                MasterKeyring.parse(spec, index),
                service="test",
                purposes=[Purpose.ORDER_PROCESSING],
            )
            return [
                await store.open(s, field="email", purpose=Purpose.ORDER_PROCESSING) for s in sealed
            ]
        finally:
            await client.close()

    sealed = asyncio.run(seal_under_old())
    # Step 1-2: the new key joins the ring and becomes the active one.
    monkeypatch.setenv("ALLWAN_MASTER_KEYS", f"k1:{old},k2:{new}")
    monkeypatch.setenv("ALLWAN_MASTER_KEY_ID", "k2")
    assert keys_cli.main(["status"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before == {"active": "k2", "data_keys": {"(shredded)": 1, "k1": 2}}
    # Step 3: rewrap.
    assert keys_cli.main(["rewrap"]) == 0
    assert json.loads(capsys.readouterr().out) == {"rewrapped": 2, "active": "k2"}
    assert keys_cli.main(["status"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["data_keys"] == {"(shredded)": 1, "k2": 2}
    # Step 4: the old key is gone, the data still opens; the erased customer stays erased.
    opened = asyncio.run(open_with(f"k2:{new}", sealed))
    assert opened[:2] == [f"{c}@example.com" for c in customers[:2]]
    assert opened[2] == "[erased]"
    assert keys_cli.main(["rewrap"]) == 0  # nothing left to do
    assert json.loads(capsys.readouterr().out)["rewrapped"] == 0


def test_generate_prints_a_usable_master_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert keys_cli.main(["generate"]) == 0
    key = capsys.readouterr().out.strip()
    MasterKeyring.parse(f"k9:{key}", generate_master_key())


def test_missing_keys_are_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ALLWAN_MASTER_KEYS", raising=False)
    monkeypatch.setenv("ALLWAN_MONGO_URL", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100")
    assert keys_cli.main(["rewrap"]) == 2
    assert "ALLWAN_MASTER_KEYS" in capsys.readouterr().err
