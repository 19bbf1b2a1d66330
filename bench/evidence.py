"""What a run left behind, read back from Kafka and Mailpit: the events of each order, the
dead letters, and the emails per (customer, kind). Nothing here trusts a service's own count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from allwan_contracts import ContractError, decode
from allwan_contracts.topics import DEAD_LETTER_PREFIX
from allwan_devstack.topics import read_to_end

READ_TIMEOUT_S = 60.0


async def topics_starting(bootstrap: str, prefix: str) -> list[str]:
    """The broker's topics whose name starts with ``prefix``, sorted."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return sorted(name for name in await admin.list_topics() if name.startswith(prefix))
    finally:
        await admin.close()


async def delete_topics_starting(bootstrap: str, prefix: str) -> list[str]:
    """Delete the broker's topics whose name starts with ``prefix``; return their names."""
    names = await topics_starting(bootstrap, prefix)
    if names:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(names)
        finally:
            await admin.close()
    return names


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    for key, value in record.headers:
        if key == name:
            return str(value.decode(errors="replace"))
    return ""


async def dead_letters(bootstrap: str, topic_prefix: str) -> dict[str, Any]:
    """Every dead letter of the run's groups (topics ``<prefix>allwan.dlq.*``), by group and
    by the reason the consumer gave."""
    prefix = f"{topic_prefix}{DEAD_LETTER_PREFIX}"
    by_group: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    for topic in await topics_starting(bootstrap, prefix):
        for record in await read_to_end(bootstrap, topic, READ_TIMEOUT_S):
            by_group[topic.removeprefix(prefix)] += 1
            by_reason[_header(record, "x-dead-letter-reason") or "(none)"] += 1
    return {
        "total": sum(by_group.values()),
        "by_group": dict(sorted(by_group.items())),
        "by_reason": dict(sorted(by_reason.items())),
    }


@dataclass(frozen=True)
class OrderEvents:
    """Distinct events (by event id) of each order on the orders topic, and how many records
    carried them (a relay may publish an event twice; consumers handle it once)."""

    event_ids: dict[tuple[str, str], set[str]]
    records: int

    def duplicated(self, event_type: str) -> int:
        """Orders with more than one distinct ``event_type``: decided twice."""
        return sum(
            1 for (_, kind), ids in self.event_ids.items() if kind == event_type and len(ids) > 1
        )

    def has(self, order_id: str, event_type: str) -> bool:
        return bool(self.event_ids.get((order_id, event_type)))


async def order_events(bootstrap: str, topic: str, order_ids: Collection[str]) -> OrderEvents:
    """The events of ``order_ids`` on ``topic``."""
    wanted = set(order_ids)
    seen: dict[tuple[str, str], set[str]] = {}
    records = 0
    for record in await read_to_end(bootstrap, topic, READ_TIMEOUT_S):
        try:
            envelope = decode(record.value)
        except ContractError:
            continue
        if envelope.aggregate_id in wanted:
            records += 1
            ids = seen.setdefault((envelope.aggregate_id, envelope.event_type), set())
            ids.add(str(envelope.event_id))
    return OrderEvents(seen, records)


async def emails_by_message_id(mail_api_url: str) -> Counter[str]:
    """How many messages Mailpit holds per Message-ID (without its angle brackets).

    The notifier gives every message owed a deterministic Message-ID (``receipt.<order>@…``,
    ``activation.<order>@…``): two copies of one id are one message sent twice.
    """
    async with httpx.AsyncClient(base_url=mail_api_url, timeout=60.0) as mail:
        first = await mail.get("/api/v1/messages", params={"limit": 1})
        first.raise_for_status()
        total = int(first.json()["total"])
        # One page for all: pages of a mailbox that is still growing would shift under us.
        answer = await mail.get("/api/v1/messages", params={"start": 0, "limit": total + 1000})
        answer.raise_for_status()
        messages = answer.json().get("messages") or []
    return Counter(str(message.get("MessageID", "")).strip("<>") for message in messages)


def mail_kind_and_subject(message_id: str) -> tuple[str, str] | None:
    """``("receipt", "<order id>")`` from ``receipt.<order id>@domain``; None for other ids."""
    local, at, _ = message_id.partition("@")
    kind, dot, subject = local.partition(".")
    if not (at and dot and subject):
        return None
    return kind, subject
