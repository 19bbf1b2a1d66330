"""The orders service's settings: the runtime's plus its own, from ALLWAN_* variables."""

from __future__ import annotations

from pathlib import Path

from allwan_runtime.settings import RuntimeSettings
from pydantic import Field


class OrdersSettings(RuntimeSettings):
    """``ALLWAN_CATALOGUE_PATH`` points at the store's catalogue (TOML); unset, the catalogue
    shipped with the service is used. ``ALLWAN_SALLA_CHECKOUT_ATTESTS_LEGAL_AGE`` says that the
    store's Salla checkout makes the buyer confirm legal age or guardian consent (A1): Salla
    orders carry no attestation of their own, so without it they are refused (how a store turns
    it on, and what that states: ``services/orders/README.md``).
    ``ALLWAN_INTAKE_PRODUCERS`` (a JSON list) names the services whose intake records orders
    obeys: the gateway. ``ALLWAN_PRIVACY_PRODUCERS``: the services whose privacy requests
    orders answers: the privacy service (S1). ``ALLWAN_PAYMENT_RECIPIENT``: the payment
    provider's id in the privacy service's recipient registry (``recipients.toml``), named in
    each paid order's disclosure (D1, P2).
    """

    service_name: str = Field(default="orders", pattern=r"^[a-z][a-z0-9-]*$")
    catalogue_path: Path | None = None
    payment_timeout_minutes: int = Field(default=60, ge=1)
    expiry_interval_s: float = Field(default=60.0, gt=0)
    salla_checkout_attests_legal_age: bool = False
    intake_producers: frozenset[str] = frozenset({"gateway"})
    privacy_producers: frozenset[str] = frozenset({"privacy"})
    consent_producers: frozenset[str] = frozenset({"consent"})
    """Erasures and policy versions are obeyed only from the consent service (S1)."""
    payment_recipient: str = Field(
        default="payment", max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$"
    )
