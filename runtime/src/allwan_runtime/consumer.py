"""FastStream subscribers with at-least-once delivery and a dead-letter topic.

Offsets are committed only after a record was handled or dead-lettered
(``AckPolicy.NACK_ON_ERROR`` with auto-commit off): a crash or a shutdown mid-record means
the record is delivered again, so handlers must be idempotent (see ``projection``).
"""

from __future__ import annotations

from collections.abc import Sequence
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
) -> None:
    """Register a consumer group on ``topics`` that feeds ``dispatcher``.

    Poison records go to ``dead_letters`` (by default ``allwan.dlq.<group>``).
    """
    dlq = dead_letters or dead_letter_topic(group)

    @broker.subscriber(
        *topics,
        group_id=group,
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
