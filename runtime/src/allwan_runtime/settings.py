"""Settings every service shares, read from ALLWAN_* environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class RuntimeSettings(BaseSettings):
    """Where Kafka and MongoDB are, and how the plumbing behaves.

    Secrets (the Mongo URL may carry a password) are ``SecretStr`` so they never reach a log.
    """

    model_config = SettingsConfigDict(env_prefix="ALLWAN_", extra="ignore")

    service_name: str = Field(default="allwan", pattern=r"^[a-z][a-z0-9-]*$")
    kafka_bootstrap: str = "127.0.0.1:9092"
    """``host:port`` of one broker or more, comma-separated (``a:9092,b:9092``)."""
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_topic_prefix: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9_-]*\.)?$")
    """Prepended to every topic name (``staging.`` → ``staging.allwan.orders``), so several
    environments, or test runs, can share one Kafka cluster without seeing each other."""
    mongo_url: SecretStr = SecretStr("mongodb://127.0.0.1:27017/")
    mongo_db: str | None = None
    kafka_session_timeout_s: float = Field(default=6.0, ge=1)
    """How long Kafka waits for a silent consumer before giving its partitions to the others
    (or to its restarted self without ``instance_id``). 6 s is the least a default broker
    accepts (``group.min.session.timeout.ms``). Heartbeats run in a task of their own, so a
    slow handler does not miss them; only an event loop blocked that long would."""
    kafka_heartbeat_interval_s: float = Field(default=1.0, gt=0)
    """How soon members learn of a rebalance (another replica joined or left) and rejoin."""
    instance_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    """A name this replica keeps across restarts and shares with no other live replica of the
    service (a StatefulSet pod's name; the dev stack sets one per service). With it a
    restarted process takes back its consumer-group memberships (Kafka static membership)
    and its relay lease at once, instead of waiting for the dead process's to time out; it
    then does not leave its groups at shutdown, so only set it where the replica comes back
    (``docs/ARCHITECTURE.md``, "Recovery after faults"). Unset: host name and process id."""
    relay_poll_interval_s: float = Field(default=0.25, gt=0)
    relay_batch_size: int = Field(default=500, ge=1)
    relay_lease_s: float = Field(default=3.0, gt=0)
    """The relay lease's time slot: a replica that died holding it blocks the others for at
    most two slots (it may have claimed the next one early)."""
    consumer_max_attempts: int = Field(default=6, ge=1)
    consumer_backoff_initial_s: float = Field(default=0.2, gt=0)
    consumer_backoff_max_s: float = Field(default=5.0, gt=0)
    consumer_stuck_after_s: float = Field(default=30.0, gt=0)
    """Readiness fails when a consumer with records to read moved on none for this long."""
    consumer_restart_after_s: float = Field(default=15.0, gt=0)
    """A consumer stalled this long (or whose group coordination died) is restarted in process.
    Counted from when the broker answers again after an outage; with records waiting and no
    handler busy a healthy consumer moves within a fetch, and a batch is bounded by
    ``consumer_batch_max_s``, so 15 s only ever catches a client that stopped reading."""
    consumer_check_interval_s: float = Field(default=2.0, gt=0)
    """How often the supervisor looks at each consumer (a metadata request, and a request for
    the ends of each idle consumer's partitions)."""
    consumer_batch_max_records: int = Field(default=500, ge=1)
    """Records a consumer takes from Kafka at once and covers with one offset commit (a
    commit costs a broker round trip plus Kafka 4.1's 5 ms append linger)."""
    consumer_batch_max_s: float = Field(default=5.0, gt=0)
    """A batch still at work after this long starts no further record: what was handled is
    committed and the rest read again, so readiness sees the consumer move on."""
    consumer_partitions_at_once: int = Field(default=8, ge=1)
    """Partitions of a batch a consumer registered with ``concurrent_partitions`` works on at
    once, each partition's records in order (``batches.consume_batch``)."""
    graceful_timeout_s: float = Field(default=20.0, gt=0)
    http_host: str = "0.0.0.0"  # noqa: S104 - in a container the published port is the boundary
    http_port: int = Field(default=8080, ge=0, le=65535)
    master_keys: SecretStr | None = None
    master_key_id: str | None = None
    blind_index_key: SecretStr | None = None
    keys_db: str = "allwan_keys"

    @field_validator("instance_id", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        return value or None

    @model_validator(mode="after")
    def _heartbeats_within_the_session(self) -> RuntimeSettings:
        if self.kafka_heartbeat_interval_s >= self.kafka_session_timeout_s:
            raise ValueError(
                "ALLWAN_KAFKA_HEARTBEAT_INTERVAL_S must be below ALLWAN_KAFKA_SESSION_TIMEOUT_S"
            )
        return self

    @property
    def database_name(self) -> str:
        """Each service owns its database; nothing else writes to it."""
        return self.mongo_db or f"allwan_{self.service_name.replace('-', '_')}"

    @property
    def kafka_brokers(self) -> list[str]:
        """The brokers of ``kafka_bootstrap``, one per item: FastStream takes a string as
        a single address, where aiokafka would split it."""
        return [broker.strip() for broker in self.kafka_bootstrap.split(",") if broker.strip()]
