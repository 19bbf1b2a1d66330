"""Settings every service shares, read from ALLWAN_* environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class RuntimeSettings(BaseSettings):
    """Where Kafka and MongoDB are, and how the plumbing behaves.

    Secrets (the Mongo URL may carry a password) are ``SecretStr`` so they never reach a log.
    """

    model_config = SettingsConfigDict(env_prefix="ALLWAN_", extra="ignore")

    service_name: str = Field(default="allwan", pattern=r"^[a-z][a-z0-9-]*$")
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_topic_prefix: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9_-]*\.)?$")
    """Prepended to every topic name (``staging.`` → ``staging.allwan.orders``), so several
    environments, or test runs, can share one Kafka cluster without seeing each other."""
    mongo_url: SecretStr = SecretStr("mongodb://127.0.0.1:27017/")
    mongo_db: str | None = None
    relay_poll_interval_s: float = Field(default=0.25, gt=0)
    relay_batch_size: int = Field(default=500, ge=1)
    relay_lease_s: float = Field(default=10.0, gt=0)
    consumer_max_attempts: int = Field(default=6, ge=1)
    consumer_backoff_initial_s: float = Field(default=0.2, gt=0)
    consumer_backoff_max_s: float = Field(default=5.0, gt=0)
    consumer_stuck_after_s: float = Field(default=30.0, gt=0)
    graceful_timeout_s: float = Field(default=20.0, gt=0)
    http_host: str = "0.0.0.0"  # noqa: S104 - in a container the published port is the boundary
    http_port: int = Field(default=8080, ge=0, le=65535)
    master_keys: SecretStr | None = None
    master_key_id: str | None = None
    blind_index_key: SecretStr | None = None
    keys_db: str = "allwan_keys"

    @property
    def database_name(self) -> str:
        """Each service owns its database; nothing else writes to it."""
        return self.mongo_db or f"allwan_{self.service_name.replace('-', '_')}"
