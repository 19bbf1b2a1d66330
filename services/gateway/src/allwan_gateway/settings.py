"""The gateway's settings: the runtime's plus its own, from ALLWAN_* variables."""

from __future__ import annotations

from allwan_runtime.settings import RuntimeSettings
from pydantic import Field, SecretStr


class GatewaySettings(RuntimeSettings):
    """Secrets are ``SecretStr`` and have no default: the gateway does not start without them
    (``allwan_devstack.system.dev_secrets`` generates them for development).

    - ``GATEWAY_JWT_SECRET``: HS256 key of customer and staff tokens (S1);
    - ``GATEWAY_STOREFRONT_API_KEY`` / ``GATEWAY_STAFF_API_KEY``: the storefront client's and
      the back office's API keys (``X-API-Key``);
    - ``SALLA_WEBHOOK_SECRET``: Salla's signature (or token) secret (T1);
    - ``WHATSAPP_APP_SECRET`` / ``WHATSAPP_VERIFY_TOKEN``: the Cloud API app secret and the
      subscription handshake's token (K3);
    - ``IP_HASH_KEY``: keys the HMAC that stands in for an IP address in consent proof (C2).
    """

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
    decision_wait_s: float = Field(default=2.0, ge=0, le=10)
    """How long ``POST /v1/orders`` waits for the decision before answering 202."""
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
