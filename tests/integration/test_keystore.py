"""The key store on a real MongoDB-protocol server: purposes, shredding, master-key rotation,
data-key generations."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_contracts.sealed import subject_of
from allwan_runtime.keystore import (
    ERASED,
    KeyStore,
    MasterKeyring,
    Purpose,
    PurposeNotGranted,
    generate_master_key,
)
from allwan_runtime.keystore.cipher import b64, seal
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration
INDEX_KEY = generate_master_key()


def keystore(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring, *purposes: Purpose
) -> KeyStore:
    return KeyStore(db, ring, service="itest", purposes=purposes)


@pytest.fixture
def ring() -> MasterKeyring:
    return MasterKeyring.parse(f"k1:{generate_master_key()}", INDEX_KEY)


async def test_c4_personal_data_opens_only_for_a_granted_purpose(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    customer = f"c-{uuid.uuid4().hex}"
    orders = keystore(db, ring, Purpose.ORDER_PROCESSING)
    notifier = keystore(db, ring, Purpose.ORDER_RECEIPTS)
    sealed = await orders.seal(customer, "email", "sara@example.com")

    assert await notifier.open(sealed, field="email", purpose=Purpose.ORDER_RECEIPTS) == (
        "sara@example.com"
    )
    with pytest.raises(PurposeNotGranted):
        await notifier.open(sealed, field="email", purpose=Purpose.MARKETING)


async def test_shredding_a_customers_key_erases_only_their_data(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    store = keystore(db, ring, Purpose.SUPPORT)
    erased, kept = f"c-{uuid.uuid4().hex}", f"c-{uuid.uuid4().hex}"
    erased_email = await store.seal(erased, "email", "gone@example.com")
    kept_email = await store.seal(kept, "email", "kept@example.com")

    assert await store.shred(erased) is True

    assert await store.open(erased_email, field="email", purpose=Purpose.SUPPORT) == ERASED
    assert await store.open(kept_email, field="email", purpose=Purpose.SUPPORT) == (
        "kept@example.com"
    )
    assert await store.is_erased(erased)
    with pytest.raises(LookupError):
        await store.seal(erased, "email", "new@example.com")  # no fresh key after erasure
    assert await store.shred(erased) is False
    raw = await db["data_keys"].find_one({"_id": erased})
    assert raw is not None
    assert "wrapped" not in raw


async def test_rotating_the_master_key_keeps_every_value_readable(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(3)]
    before = keystore(db, ring, Purpose.SUPPORT)
    sealed = [await before.seal(c, "name", f"name {i}") for i, c in enumerate(customers)]
    rotated_ring = MasterKeyring.parse(
        f"k1:{b64(ring.keys['k1'])},k2:{generate_master_key()}", INDEX_KEY
    )
    after = keystore(db, rotated_ring, Purpose.SUPPORT)

    assert await after.rewrap() == 3
    only_new = MasterKeyring.parse(f"k2:{b64(rotated_ring.keys['k2'])}", INDEX_KEY)
    reader = keystore(db, only_new, Purpose.SUPPORT)
    opened = [await reader.open(s, field="name", purpose=Purpose.SUPPORT) for s in sealed]
    assert opened == ["name 0", "name 1", "name 2"]


async def test_a_value_sealed_before_a_rotation_opens_until_its_generation_is_retired(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    store = keystore(db, ring, Purpose.DATA_CORRECTION)
    customer = f"c-{uuid.uuid4().hex}"
    old = await store.seal(customer, "email", "old@example.com")
    kid = await store.rotate(customer)
    new = await store.seal(customer, "email", "new@example.com")
    assert (old.kid, kid, new.kid) == (customer, f"{customer}.2", f"{customer}.2")
    assert subject_of(new.kid) == customer
    assert await store.current_kid(customer) == kid
    assert await store.open(old, field="email", purpose=Purpose.DATA_CORRECTION) == (
        "old@example.com"
    )

    assert await store.retire(customer, kid) == 1
    assert await store.retire(customer, kid) == 0
    assert await store.open(old, field="email", purpose=Purpose.DATA_CORRECTION) == ERASED
    assert await store.open(new, field="email", purpose=Purpose.DATA_CORRECTION) == (
        "new@example.com"
    )
    assert not await store.is_erased(customer)
    assert (await store.seal(customer, "name", "Sara")).kid == kid


async def test_concurrent_rotations_each_make_a_generation_and_replace_none(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    store = keystore(db, ring, Purpose.SUPPORT)
    customer = f"c-{uuid.uuid4().hex}"
    await store.seal(customer, "name", "one")
    kids = await asyncio.gather(*(store.rotate(customer) for _ in range(4)))
    assert sorted(kids) == sorted(f"{customer}.{n}" for n in range(2, 6))
    newest = await store.seal(customer, "name", "five")
    assert newest.kid == f"{customer}.5"
    assert await store.retire(customer, newest.kid) == 4
    assert await store.open(newest, field="name", purpose=Purpose.SUPPORT) == "five"


async def test_shredding_destroys_every_generation_and_refuses_a_rotation(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    store = keystore(db, ring, Purpose.SUPPORT)
    customer = f"c-{uuid.uuid4().hex}"
    first = await store.seal(customer, "email", "a@example.com")
    kid = await store.rotate(customer)
    second = await store.seal(customer, "email", "b@example.com")

    assert await store.shred(customer) is True
    assert await store.shred(customer) is False

    for sealed in (first, second):
        assert await store.open(sealed, field="email", purpose=Purpose.SUPPORT) == ERASED
    with pytest.raises(LookupError):
        await store.rotate(customer)
    assert await store.retire(customer, kid) == 0
    assert await store.current_kid(customer) is None
    for document in await db["data_keys"].find({"_id": {"$in": [customer, kid]}}).to_list():
        assert "wrapped" not in document


async def test_rotating_the_master_key_rewraps_every_live_generation(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    store = keystore(db, ring, Purpose.SUPPORT)
    customer = f"c-{uuid.uuid4().hex}"
    first = await store.seal(customer, "name", "one")
    await store.rotate(customer)
    second = await store.seal(customer, "name", "two")
    third_kid = await store.rotate(customer)
    third = await store.seal(customer, "name", "three")
    assert await store.retire(customer, f"{customer}.2") == 1
    rotated_ring = MasterKeyring.parse(
        f"k1:{b64(ring.keys['k1'])},k2:{generate_master_key()}", INDEX_KEY
    )

    assert await keystore(db, rotated_ring).rewrap() == 2  # generations 2 and 3

    only_new = MasterKeyring.parse(f"k2:{b64(rotated_ring.keys['k2'])}", INDEX_KEY)
    reader = keystore(db, only_new, Purpose.SUPPORT)
    opened = [
        await reader.open(s, field="name", purpose=Purpose.SUPPORT) for s in (first, second, third)
    ]
    assert opened == [ERASED, "two", "three"]
    assert (await reader.seal(customer, "name", "four")).kid == third_kid


async def test_a_first_key_stored_before_generations_existed_still_opens_and_rotates(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    customer = f"c-{uuid.uuid4().hex}"
    data_key = os.urandom(32)
    master_kid, wrapped = ring.wrap(data_key, customer)
    # The document exactly as the key store wrote it before key generations.
    await db["data_keys"].insert_one(
        {
            "_id": customer,
            "master_kid": master_kid,
            "wrapped": wrapped,
            "created_at": datetime.now(UTC),
        }
    )
    stored = seal(data_key, customer, "phone", "+966500000000")
    store = keystore(db, ring, Purpose.SUPPORT)

    assert await store.open(stored, field="phone", purpose=Purpose.SUPPORT) == "+966500000000"
    assert (await store.seal(customer, "name", "Sara")).kid == customer
    kid = await store.rotate(customer)
    assert await store.retire(customer, kid) == 1
    assert await store.open(stored, field="phone", purpose=Purpose.SUPPORT) == ERASED
    assert not await store.is_erased(customer)
    raw = await db["data_keys"].find_one({"_id": customer})
    assert raw is not None
    assert "wrapped" not in raw
    assert "shredded_at" not in raw


async def test_several_fields_seal_under_the_newest_generation_with_one_key_lookup(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    store = keystore(db, ring, Purpose.SUPPORT)
    customer = f"c-{uuid.uuid4().hex}"
    await store.seal(customer, "name", "Sara")
    newest = await store.rotate(customer)
    fields = {"name": "Sara", "email": "sara@example.com", "phone": "+966500000001"}

    sealed = await store.seal_many(customer, fields)
    await store.shred(customer)

    assert {value.kid for value in sealed.values()} == {newest}
    with pytest.raises(LookupError):
        await store.seal_many(customer, fields)


async def test_several_fields_open_with_one_read_per_key_generation(
    db: AsyncDatabase[dict[str, Any]], ring: MasterKeyring
) -> None:
    store = keystore(db, ring, Purpose.SUPPORT)
    customer = f"c-{uuid.uuid4().hex}"
    old = await store.seal(customer, "name", "Sara")
    await store.rotate(customer)
    fields = {"email": "sara@example.com", "phone": "+966500000001"}
    sealed = {"name": old, **await store.seal_many(customer, fields)}
    reads: list[Any] = []
    find_one = store._keys.find_one

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[0])
        return await find_one(*args, **kwargs)

    store._keys.find_one = counted  # type: ignore[method-assign]

    opened = await store.open_many(sealed, purpose=Purpose.SUPPORT)
    two_generations = len(reads)
    await store.retire(customer, sealed["email"].kid)
    after_retire = await store.open_many(sealed, purpose=Purpose.SUPPORT)
    with pytest.raises(PurposeNotGranted):
        await store.open_many(sealed, purpose=Purpose.ORDER_PROCESSING)
    await store.shred(customer)
    after_shred = await store.open_many(sealed, purpose=Purpose.SUPPORT)

    assert opened == {"name": "Sara", **fields}
    assert two_generations == 2  # three fields, two key generations
    assert after_retire == {"name": ERASED, **fields}
    assert after_shred == dict.fromkeys(sealed, ERASED)
