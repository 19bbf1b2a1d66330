"""A service reaches a Kafka cluster through every broker it is given, not the first alone."""

from __future__ import annotations

import functools

from allwan_runtime.service import ServiceRuntime
from allwan_runtime.settings import RuntimeSettings
from faststream.kafka.configs.broker import KafkaBrokerConfig


def test_a_comma_separated_bootstrap_is_a_list_of_brokers() -> None:
    settings = RuntimeSettings(kafka_bootstrap="k1:9092, k2:9092,k3:9092,")

    assert settings.kafka_brokers == ["k1:9092", "k2:9092", "k3:9092"]


def test_the_consumers_of_a_service_bootstrap_from_every_broker() -> None:
    # FastStream takes a string as one address: "k1:9092,k2:9092" was a host named
    # "k1:9092,k2", and a service whose first broker was down could not start.
    runtime = ServiceRuntime(
        RuntimeSettings(service_name="unit-orders", kafka_bootstrap="k1:9092,k2:9092,k3:9092")
    )

    (config,) = runtime.broker.config.configs
    assert isinstance(config, KafkaBrokerConfig)
    assert isinstance(config.builder, functools.partial)
    assert config.builder.keywords["bootstrap_servers"] == ["k1:9092", "k2:9092", "k3:9092"]
