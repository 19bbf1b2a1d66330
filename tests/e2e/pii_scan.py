"""Where a customer's personal data can still be read, in every store and topic of a run.

Two ways a value survives: in plaintext (any document of any of the run's databases, any
record of any of its topics, searched as raw bytes), or sealed under a key that still opens
(every ``Sealed``-shaped value of the customer is opened with a key store holding every
purpose, for every personal field name). A correction or an erasure is proven by finding the
old values in neither form.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from allwan_contracts import Sealed
from allwan_contracts.sealed import subject_of
from allwan_runtime.keystore import ERASED, KeyStore, MasterKeyring, Purpose
from pydantic import ValidationError
from pymongo import AsyncMongoClient

from tests.e2e.conftest import RunningSystem

FIELDS = ("name", "email", "phone", "billing_address")


@dataclass
class Findings:
    """Where the needles were found: ``place`` → what was found there."""

    plaintext: dict[str, set[str]] = field(default_factory=dict)
    readable: dict[str, set[str]] = field(default_factory=dict)
    sealed_values_seen: int = 0

    def add(self, kind: dict[str, set[str]], place: str, needle: str) -> None:
        kind.setdefault(place, set()).add(needle)


def _sealed_values(value: Any) -> Iterator[Sealed]:
    if isinstance(value, dict):
        if {"alg", "kid", "iv", "ct"} <= value.keys():
            with contextlib.suppress(ValidationError):
                yield Sealed.model_validate({k: value[k] for k in ("alg", "kid", "iv", "ct")})
            return
        for item in value.values():
            yield from _sealed_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sealed_values(item)


async def _check(
    keys: KeyStore,
    customer_id: str,
    needles: set[str],
    place: str,
    raw: bytes,
    parsed: Any,
    findings: Findings,
) -> None:
    for needle in needles:
        if needle.encode() in raw:
            findings.add(findings.plaintext, place, needle)
    for sealed in _sealed_values(parsed):
        if subject_of(sealed.kid) != customer_id:
            continue
        findings.sealed_values_seen += 1
        for name in FIELDS:
            try:
                opened = await keys.open(sealed, field=name, purpose=Purpose.SUPPORT)
            except ValueError:
                continue  # sealed for another field name
            if opened != ERASED and opened in needles:
                findings.add(findings.readable, place, opened)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _keys(system: RunningSystem, client: AsyncMongoClient[dict[str, Any]]) -> KeyStore:
    secrets = system.secrets
    keyring = MasterKeyring.parse(secrets["ALLWAN_MASTER_KEYS"], secrets["ALLWAN_BLIND_INDEX_KEY"])
    return KeyStore(
        client[system.runner.database("keys")],
        keyring,
        service="e2e-scan",
        purposes=tuple(Purpose),
    )


async def opened(system: RunningSystem, sealed: Sealed, field: str) -> str:
    """The plaintext of one sealed value of this run (``ERASED`` once its key is gone)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.servers.mongo_url)
    try:
        return await _keys(system, client).open(sealed, field=field, purpose=Purpose.SUPPORT)
    finally:
        await client.close()


async def scan(system: RunningSystem, customer_id: str, needles: set[str]) -> Findings:
    """Every place of this run where one of ``needles`` is plaintext or opens."""
    findings = Findings()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.servers.mongo_url)
    try:
        keys = _keys(system, client)
        prefix = system.runner.database("")
        for name in await client.list_database_names():
            if not name.startswith(prefix) or name == system.runner.database("keys"):
                continue
            db = client[name]
            for collection in await db.list_collection_names():
                async for document in db[collection].find({}):
                    raw = json.dumps(document, default=str, ensure_ascii=False).encode()
                    parsed = json.loads(raw)
                    await _check(
                        keys, customer_id, needles, f"{name}.{collection}", raw, parsed, findings
                    )
        await _scan_topics(system, keys, customer_id, needles, findings)
    finally:
        await client.close()
    return findings


async def _scan_topics(
    system: RunningSystem, keys: KeyStore, customer_id: str, needles: set[str], findings: Findings
) -> None:
    prefix = system.extra_env["ALLWAN_KAFKA_TOPIC_PREFIX"]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=system.servers.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.startswith(prefix))
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000, max_records=1000)
            for tp, records in batch.items():
                for record in records:
                    raw = record.value or b""
                    await _check(keys, customer_id, needles, tp.topic, raw, _json(raw), findings)
                    if record.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
