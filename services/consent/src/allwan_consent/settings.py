"""The consent service's settings (``ALLWAN_*`` environment variables)."""

from __future__ import annotations

from typing import Self

from allwan_contracts import PolicyContact
from allwan_runtime.settings import RuntimeSettings
from pydantic import Field, model_validator


class ConsentSettings(RuntimeSettings):
    """Runtime settings plus what the policy itself leaves to configuration.

    The contact details (CT1) travel with every published policy version; they are checked
    at start, not at the first publication. The privacy email is elided in the source text
    of version 1: set ``ALLWAN_CONTACT_EMAIL`` to the store's real address.
    Intake, orders and privacy requests are obeyed only from the services that own them
    (S1): in production the gateway, the orders service and the privacy service; each test
    names its own.
    """

    service_name: str = Field(default="consent", pattern=r"^[a-z][a-z0-9-]*$")
    contact_phone: str = "0563120415"
    contact_whatsapp: str = "0563120415"
    contact_email: str = "privacy@allwanstores.com"
    policy_url_base: str = Field(default="https://allwanstores.com/privacy", pattern=r"^https://")
    gateway_producer: str = "gateway"
    orders_producer: str = "orders"
    privacy_producer: str = "privacy"
    phone_country_code: str = Field(default="966", pattern=r"^[1-9][0-9]{0,2}$")

    @model_validator(mode="after")
    def _contact_is_valid(self) -> Self:
        self.contact()
        return self

    def contact(self) -> PolicyContact:
        """CT1: the contact details every policy version carries."""
        return PolicyContact(
            phone=self.contact_phone, whatsapp=self.contact_whatsapp, email=self.contact_email
        )

    def policy_url(self, version: int) -> str:
        """Where version ``version`` of the privacy policy is served (PC1)."""
        return f"{self.policy_url_base.rstrip('/')}/v{version}"
