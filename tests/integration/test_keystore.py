"""The key store on a real MongoDB-protocol server: purposes, shredding, rotation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from allwan_runtime.keystore import (
    ERASED,
    KeyStore,
    MasterKeyring,
    Purpose,
    PurposeNotGranted,
    generate_master_key,
)
from allwan_runtime.keystore.cipher import b64
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
