"""The web pages' settings, from ALLWAN_* variables. No Kafka, no MongoDB: the pages reach
the rest of allwan only through the gateway's public HTTP API."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """Secrets are ``SecretStr`` with no default: the pages do not start without them.

    - ``GATEWAY_STOREFRONT_API_KEY``: the pages are the gateway's storefront client; the key
      never leaves this server;
    - ``WEB_SESSION_KEY``: seals the remembered-customer cookie and keys the CSRF tokens.
    """

    model_config = SettingsConfigDict(env_prefix="ALLWAN_", extra="ignore")

    service_name: str = Field(default="web", pattern=r"^[a-z][a-z0-9-]*$")
    http_host: str = "0.0.0.0"  # noqa: S104 - in a container the published port is the boundary
    http_port: int = Field(default=8080, ge=0, le=65535)
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies (the TLS-terminating ingress) whose X-Forwarded-For uvicorn trusts."""
    gateway_url: str = "http://127.0.0.1:8000"
    gateway_timeout_s: float = Field(default=10.0, gt=0, le=60)
    gateway_storefront_api_key: SecretStr
    web_session_key: SecretStr
    web_cookie_secure: bool = True
    """Cookies carry ``Secure``. Browsers accept them on http://127.0.0.1 and http://localhost
    too, so only a plain-HTTP host name other than those needs this off."""
    web_session_idle_s: int = Field(default=3600, ge=60, le=86_400)
    """A session unused this long is forgotten (the customer stays remembered, staff sign in
    again)."""
    web_sessions_max: int = Field(default=100_000, ge=100)
    """Sessions kept in memory at most; the least recently used go first."""
    web_test_payments: bool = False
    """Show a "pay" button that reports a test payment through the storefront's payment call
    (``POST /v1/orders/{id}/payments``), standing in for the payment provider: for the dev
    stack and the browser tests only; a real store takes payment with its provider."""
    web_customer_remember_days: int = Field(default=365, ge=1, le=730)
    """How long this browser remembers its customer (an essential cookie, sealed)."""
