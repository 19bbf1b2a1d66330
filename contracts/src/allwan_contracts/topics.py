"""Kafka topics, their keys and partitioning: the one place they are written down.

The key of every message is its envelope's ``aggregate_id``, so all events of one aggregate land
in one partition and keep their order there.

======================  ============  ==========  =========  =========  ============================
topic                   key           partitions  retention  producer   consumers
======================  ============  ==========  =========  =========  ============================
allwan.orders           order_id      12          30 days    orders     consent (K1), notifier
allwan.consent          customer_id   6           30 days    consent    notifier (K2, K3), orders
allwan.policies         policy_id     1           forever    consent    notifier (PC2), gateway(PC1)
allwan.customers        customer_id   6           30 days    consent    orders, notifier (erasure)
allwan.orders.intake    order_id      12          7 days     gateway    orders
allwan.consent.intake   customer_id   6           7 days     gateway    consent
allwan.policies.intake  policy_id     1           7 days     gateway    consent
allwan.webhooks         delivery_id   6           7 days     gateway    orders (Salla), consent (WA)
allwan.catalogue        catalogue_id  1           forever    orders     gateway (what is on sale)
allwan.privacy.intake   request_id    6           7 days     gateway,   privacy
                                                             consent
allwan.privacy          request_id    6           30 days    privacy    every service (the saga),
                                                                        gateway, notifier (emails)
allwan.privacy.replies  reply_id      6           7 days     orders,    privacy
                                                             consent,
                                                             notifier,
                                                             gateway
allwan.disclosures      disclosure_id 6           30 days    notifier,  privacy (the ledger)
                                                             orders,
                                                             privacy
allwan.breaches         breach_id     1           30 days    privacy    privacy (the register)
allwan.breach-notices   notice_id     6           7 days     privacy    notifier (one email each)
allwan.retention        case_id       6           30 days    privacy    notifier (the notice)
allwan.dlq.<group>      original key  1           30 days    consumers  operators (replay,discard)
======================  ============  ==========  =========  =========  ============================

Intake topics carry requests the gateway recorded (see ``allwan_contracts.intake``); the
service that owns the decision consumes them.
Producers and consumers are the services expected to play each part; the contracts do not
enforce them.

``allwan.policies`` has one partition so that every consumer sees policy versions in the
order they were published (PC1). It holds no personal data and little of it, hence no expiry.
Topics holding personal data keep it only sealed (T2) and expire after 30 days: they carry
events between services, the event stores keep history.
Dead-letter topics are per consumer group, so one group's poison message never blocks or
reaches another group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DAY_MS = 24 * 60 * 60 * 1000
_THIRTY_DAYS_MS = 30 * _DAY_MS
RETAIN_FOREVER = -1
_KAFKA_TOPIC_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")
_KAFKA_TOPIC_MAX_LENGTH = 249


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as the broker should create it; ``key`` names the payload field used as key."""

    name: str
    partitions: int
    key: str
    retention_ms: int
    description: str


ORDERS = TopicSpec(
    name="allwan.orders",
    partitions=12,
    key="order_id",
    retention_ms=_THIRTY_DAYS_MS,
    description="Lifecycle of orders: placed, paid, activated, cancelled, refunded, expired.",
)
CONSENT = TopicSpec(
    name="allwan.consent",
    partitions=6,
    key="customer_id",
    retention_ms=_THIRTY_DAYS_MS,
    description="Each customer's consent ledger: grants and withdrawals per purpose.",
)
POLICIES = TopicSpec(
    name="allwan.policies",
    partitions=1,
    key="policy_id",
    retention_ms=RETAIN_FOREVER,
    description="Published privacy-policy versions, in global order.",
)
CUSTOMERS = TopicSpec(
    name="allwan.customers",
    partitions=6,
    key="customer_id",
    retention_ms=_THIRTY_DAYS_MS,
    description="Customer-level facts, such as erasure (crypto-shredding done).",
)

_SEVEN_DAYS_MS = 7 * _DAY_MS
ORDER_INTAKE = TopicSpec(
    name="allwan.orders.intake",
    partitions=12,
    key="order_id",
    retention_ms=_SEVEN_DAYS_MS,
    description="Requests about orders recorded by the gateway, for the orders service to decide.",
)
CONSENT_INTAKE = TopicSpec(
    name="allwan.consent.intake",
    partitions=6,
    key="customer_id",
    retention_ms=_SEVEN_DAYS_MS,
    description="Consent changes and erasure requests recorded by the gateway.",
)
POLICY_INTAKE = TopicSpec(
    name="allwan.policies.intake",
    partitions=1,
    key="policy_id",
    retention_ms=_SEVEN_DAYS_MS,
    description="Policy versions staff asked to publish.",
)
WEBHOOKS = TopicSpec(
    name="allwan.webhooks",
    partitions=6,
    key="delivery_id",
    retention_ms=_SEVEN_DAYS_MS,
    description="Verified Salla and WhatsApp webhook deliveries, bodies sealed per delivery.",
)
CATALOGUE = TopicSpec(
    name="allwan.catalogue",
    partitions=1,
    key="catalogue_id",
    retention_ms=RETAIN_FOREVER,
    description="The catalogue orders sells from, published whenever its content changes.",
)

PRIVACY_INTAKE = TopicSpec(
    name="allwan.privacy.intake",
    partitions=6,
    key="request_id",
    retention_ms=_SEVEN_DAYS_MS,
    description="Privacy requests (access, correction, erasure) recorded by the gateway or "
    "received on WhatsApp, for the privacy service.",
)
PRIVACY = TopicSpec(
    name="allwan.privacy",
    partitions=6,
    key="request_id",
    retention_ms=_THIRTY_DAYS_MS,
    description="Each privacy request's life: received, verified, started, extended, completed.",
)
PRIVACY_REPLIES = TopicSpec(
    name="allwan.privacy.replies",
    partitions=6,
    key="reply_id",
    retention_ms=_SEVEN_DAYS_MS,
    description="Each service's answer to a privacy request: export parts, corrections "
    "applied, erasures confirmed.",
)

DISCLOSURES = TopicSpec(
    name="allwan.disclosures",
    partitions=6,
    key="disclosure_id",
    retention_ms=_THIRTY_DAYS_MS,
    description="Each time a customer's personal data left allwan for a recipient (D1-D3), "
    "for the privacy service's disclosure ledger.",
)

BREACHES = TopicSpec(
    name="allwan.breaches",
    partitions=1,
    key="breach_id",
    retention_ms=_THIRTY_DAYS_MS,
    description="The breach register: each breach opened, notified and closed (S2).",
)
BREACH_NOTICES = TopicSpec(
    name="allwan.breach-notices",
    partitions=6,
    key="notice_id",
    retention_ms=_SEVEN_DAYS_MS,
    description="One notice owed to each customer affected by a breach.",
)
RETENTION = TopicSpec(
    name="allwan.retention",
    partitions=6,
    key="case_id",
    retention_ms=_THIRTY_DAYS_MS,
    description="The retention schedule acting on a customer: the notice, then the end of "
    "the period.",
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    ORDERS,
    CONSENT,
    POLICIES,
    CUSTOMERS,
    ORDER_INTAKE,
    CONSENT_INTAKE,
    POLICY_INTAKE,
    WEBHOOKS,
    CATALOGUE,
    PRIVACY_INTAKE,
    PRIVACY,
    PRIVACY_REPLIES,
    DISCLOSURES,
    BREACHES,
    BREACH_NOTICES,
    RETENTION,
)
"""The event topics; dead-letter topics are per consumer group (see ``dead_letter_topic``)."""

DEAD_LETTER_PREFIX = "allwan.dlq."


def topic_spec(name: str) -> TopicSpec:
    """The spec of an event topic, by name; ``KeyError`` if there is none."""
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def dead_letter_topic(group: str) -> str:
    """The dead-letter topic of a consumer group: ``allwan.dlq.<group>``."""
    name = f"{DEAD_LETTER_PREFIX}{group}"
    if not _KAFKA_TOPIC_CHARS.match(group) or len(name) > _KAFKA_TOPIC_MAX_LENGTH:
        raise ValueError("a consumer group used in a topic name must be [A-Za-z0-9._-]+")
    return name


def dead_letter_spec(group: str) -> TopicSpec:
    """The dead-letter topic of a consumer group, as the broker should create it."""
    return TopicSpec(
        name=dead_letter_topic(group),
        partitions=1,
        key="original key",
        retention_ms=_THIRTY_DAYS_MS,
        description=f"Messages consumer group {group} could not handle, for replay or discard.",
    )
