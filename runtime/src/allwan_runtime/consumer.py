"""FastStream subscribers with at-least-once delivery and a dead-letter topic.

Offsets are committed only after a record was handled or dead-lettered
(``AckPolicy.NACK_ON_ERROR`` with auto-commit off): a crash or a shutdown mid-record means
the record is delivered again, so handlers must be idempotent (see ``projection``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from allwan_contracts.topics import dead_letter_topic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from allwan_runtime.dispatch import DeadLetter, Dispatcher, Outcome
from allwan_runtime.wire import headers_to_text

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Membership:
    """How a consumer takes part in its group (aiokafka's own defaults unless set).

    ``instance_id`` makes it a static member (KIP-345): a process restarted under the same
    id gets its partitions back at once, without a rebalance, where a new member would wait
    for the dead one's session to expire. A static member does not leave its group when it
    stops, so its partitions wait ``session_timeout_s`` for it to come back.
    """

    instance_id: str | None = None
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 3.0


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    # Decoding is ours (allwan_contracts.decode), so poison bytes reach the dispatcher.
    return message.body


def subscribe(
    broker: KafkaBroker,
    *,
    group: str,
    topics: Sequence[str],
    dispatcher: Dispatcher,
    description: str = "",
    dead_letters: str | None = None,
    membership: Membership | None = None,
) -> None:
    """Register a consumer group on ``topics`` that feeds ``dispatcher``.

    Poison records go to ``dead_letters`` (by default ``allwan.dlq.<group>``). ``membership``
    sets how the group notices a member that died and one that comes back.
    """
    dlq = dead_letters or dead_letter_topic(group)
    membership = membership or Membership()

    @broker.subscriber(
        *topics,
        group_id=group,
        group_instance_id=membership.instance_id,
        session_timeout_ms=round(membership.session_timeout_s * 1000),
        heartbeat_interval_ms=round(membership.heartbeat_interval_s * 1000),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=_raw_body,
        title=f"{group}:consume",
        description=description or f"Events consumed by the {group} consumer group",
    )
    async def on_record(message: KafkaMessage) -> None:
        record = message.raw_message

        async def dead_letter(letter: DeadLetter) -> None:
            headers = headers_to_text(message.headers)
            headers.update(
                {
                    "x-dead-letter-reason": letter.reason,
                    "x-dead-letter-detail": letter.detail,
                    "x-dead-letter-group": group,
                    "x-original-topic": getattr(record, "topic", ""),
                    "x-original-partition": str(getattr(record, "partition", "")),
                    "x-original-offset": str(getattr(record, "offset", "")),
                    "x-dead-lettered-at": datetime.now(UTC).isoformat(),
                }
            )
            await broker.publish(
                message.body, topic=dlq, key=getattr(record, "key", None), headers=headers
            )
            log.warning("consumer.dead_lettered", group=group, reason=letter.reason)

        outcome = await dispatcher.dispatch(message.body, dead_letter)
        if outcome is Outcome.HANDLED:
            log.debug("consumer.handled", group=group)
