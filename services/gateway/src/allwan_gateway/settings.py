"""The gateway's settings: the runtime's plus its own, from ALLWAN_* variables."""

from __future__ import annotations

import json
from typing import Annotated, Any

from allwan_runtime.passwords import MalformedHash, check_hash
from allwan_runtime.settings import RuntimeSettings
from pydantic import BaseModel, ConfigDict, Field, Secret, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from allwan_gateway.domain.auth import is_subject


class StaffAccount(BaseModel):
    """A person who signs in to the staff API (S1): the name the console greets them by, and
    the hash of their password (``allwan_runtime.passwords.hash_password``), never the
    password itself."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    password_hash: SecretStr


StaffAccounts = Secret[dict[str, StaffAccount]]


class GatewaySettings(RuntimeSettings):
    """Secrets are ``SecretStr`` and have no default: the gateway does not start without them
    (``allwan_devstack.system.dev_secrets`` generates them for development).

    - ``GATEWAY_JWT_SECRET``: HS256 key of customer and staff tokens (S1);
    - ``GATEWAY_STOREFRONT_API_KEY`` / ``GATEWAY_STAFF_API_KEY``: the storefront client's and
      the back office's API keys (``X-API-Key``);
    - ``SALLA_WEBHOOK_SECRET``: Salla's signature (or token) secret (T1);
    - ``WHATSAPP_APP_SECRET`` / ``WHATSAPP_VERIFY_TOKEN``: the Cloud API app secret and the
      subscription handshake's token (K3);
    - ``IP_HASH_KEY``: keys the HMAC that stands in for an IP address in consent proof (C2);
    - ``STAFF_ACCOUNTS`` (optional, none by default): the people who sign in to the staff API
      as themselves, a JSON object staff id -> ``{"name", "password_hash"}``. Never printed;
      checked at start (ids are token subjects, every hash is one ``check_hash`` reads), and a
      refusal names the staff id, never the hash.
    """

    # A refusal never repeats a value: several of these are secrets.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    service_name: str = Field(default="gateway", pattern=r"^[a-z][a-z0-9-]*$")
    gateway_jwt_secret: SecretStr
    gateway_storefront_api_key: SecretStr
    gateway_staff_api_key: SecretStr
    salla_webhook_secret: SecretStr
    whatsapp_app_secret: SecretStr
    whatsapp_verify_token: SecretStr
    ip_hash_key: SecretStr
    jwt_issuer: str = "allwan-gateway"
    jwt_audience: str = "allwan-storefront"
    customer_token_ttl_s: int = Field(default=900, ge=30, le=86_400)
    staff_accounts: Annotated[StaffAccounts, NoDecode] = StaffAccounts({})
    staff_token_ttl_s: int = Field(default=900, ge=30, le=43_200)
    """How long a staff member's token from ``POST /v1/auth/staff-token`` lives."""
    decision_wait_s: float = Field(default=2.0, ge=0, le=10)
    """How long ``POST /v1/orders`` waits for the decision before answering 202."""
    max_in_flight: int = Field(default=32, ge=1, le=10_000)
    """Requests worked on at once (``entrypoints.admission``); more wait for a slot..."""
    admission_wait_s: float = Field(default=0.5, ge=0, le=10)
    """...this long at most, then are answered 503 ``overloaded`` at once."""
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    rate_limit_per_s: float = Field(default=20.0, gt=0)
    rate_limit_burst: int = Field(default=40, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies (the TLS-terminating ingress, T2) whose X-Forwarded-For uvicorn trusts."""
    notifier_url: str | None = None
    privacy_url: str | None = None
    """The privacy service's HTTP API: the exports and the accountability routes (disclosures,
    retention, breaches, the record of processing) the gateway proxies."""
    privacy_timeout_s: float = Field(default=5.0, gt=0, le=60)
    """How long a call to the privacy service may take before the answer is a 503."""
    orders_producer: str = "orders"
    consent_producer: str = "consent"
    privacy_producer: str = "privacy"

    @field_validator("staff_accounts", mode="before")
    @classmethod
    def _accounts_from_json(cls, value: Any) -> Any:
        # Parsed here rather than by the settings source, whose refusal of malformed JSON is
        # not a validation error and would stop the start with a traceback.
        if not isinstance(value, str):
            return value
        try:
            parsed = json.loads(value or "{}")
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            # A ValueError, as pydantic reports no other kind as a refused setting.
            raise ValueError("not a JSON object of staff id -> {name, password_hash}")  # noqa: TRY004
        return parsed

    @field_validator("staff_accounts")
    @classmethod
    def _accounts_that_can_sign_in(cls, value: StaffAccounts) -> StaffAccounts:
        for staff_id, account in value.get_secret_value().items():
            if not is_subject(staff_id):
                raise ValueError(
                    f"staff id {staff_id!r} is not 1 to 64 letters, digits, '_' or '-'"
                )
            try:
                check_hash(account.password_hash.get_secret_value())
            except MalformedHash as error:
                raise ValueError(
                    f"the password hash of staff account {staff_id!r} is not usable: {error}"
                ) from None
        return value
