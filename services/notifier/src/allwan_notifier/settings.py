"""The notifier's settings (``ALLWAN_*`` environment variables)."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Literal, Self

from allwan_contracts import PolicyContact
from allwan_contracts.disclosures import RecipientId
from allwan_runtime.settings import RuntimeSettings
from pydantic import Field, SecretStr, model_validator


class NotifierSettings(RuntimeSettings):
    """Runtime settings plus the SMTP server, the sender, the pace and the privacy contact.

    ``smtp_tls`` defaults to ``starttls`` (T2: TLS on every external endpoint); set it to
    ``none`` only for a server on the same host, such as the dev stack's Mailpit. The contact
    details (CT1) are the fallback for a policy version whose ``PolicyDocumentPublished`` the
    notifier has not seen; every version normally carries its own. Events are obeyed only from
    the services that own them: orders (orders, contacts) and consent (consents, erasure,
    policies).
    """

    service_name: str = Field(default="notifier", pattern=r"^[a-z][a-z0-9-]*$")
    orders_producer: str = "orders"
    consent_producer: str = "consent"
    privacy_producer: str = "privacy"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    smtp_connections: int = Field(default=4, ge=1, le=64)
    """SMTP connections kept open: messages with the SMTP server at once."""
    fanout_lanes: int = Field(default=32, ge=1, le=256)
    """Messages of a fan-out in flight at once. Each also reads its address and writes its
    ledger entry and disclosure around the send; with more lanes than connections those
    round trips overlap the sends of others (and the event store groups the disclosures)."""
    mail_from: str = "ALLWANSTORES <no-reply@allwanstores.com>"
    message_id_domain: str = Field(default="allwanstores.com", pattern=r"^[A-Za-z0-9.-]+$")
    smtp_recipient: RecipientId = "smtp"
    """The SMTP provider's id in the privacy service's recipient registry (``recipients.toml``):
    every email it accepts is recorded as a disclosure to it (P2, D3)."""
    default_locale: Literal["ar", "en"] = "ar"

    send_rate_per_s: float = Field(default=20.0, gt=0)
    """Token bucket toward the SMTP server: messages per second on average..."""
    send_burst: int = Field(default=20, ge=1)
    """...and at most this many at once after a quiet spell."""
    send_backoff_initial_s: float = Field(default=0.5, gt=0)
    send_backoff_max_s: float = Field(default=30.0, gt=0)

    fanout_poll_interval_s: float = Field(default=1.0, gt=0)
    fanout_lease_s: float = Field(default=10.0, gt=0)
    fanout_progress_interval_s: float = Field(default=1.0, gt=0)
    parked_sweep_interval_s: float = Field(default=600.0, gt=0)
    """How often each replica looks for privacy letters that waited for an address longer
    than ``domain.parked.PARKING_BOUND`` and finishes them as skipped (``no_address``)."""

    contact_phone: str = "0563120415"
    contact_whatsapp: str = "0563120415"
    contact_email: str = "privacy@allwanstores.com"
    withdraw_url: str = Field(
        default="https://allwanstores.com/account/privacy", pattern=r"^https://"
    )
    privacy_page_url: str = Field(
        default="https://allwanstores.com/account/privacy", pattern=r"^https://"
    )
    """The page where customers follow their privacy requests and download their copy
    (``ALLWAN_PRIVACY_PAGE_URL``; the gateway's ``ALLWAN_PRIVACY_URL`` is the privacy service)."""
    unsubscribe_url: str = Field(
        default="https://allwanstores.com/api/v1/unsubscribe", pattern=r"^https://"
    )
    """The gateway's one-click endpoint (RFC 8058) that marketing mail links to (K2)."""
    unsubscribe_mailbox: str = "unsubscribe@allwanstores.com"

    @model_validator(mode="after")
    def _addresses_are_valid(self) -> Self:
        self.contact()
        if "@" not in parseaddr(self.mail_from)[1]:
            raise ValueError("mail_from must hold an email address")
        if "@" not in self.unsubscribe_mailbox:
            raise ValueError("unsubscribe_mailbox must be an email address")
        return self

    def contact(self) -> PolicyContact:
        """CT1: where customers reach the store about privacy."""
        return PolicyContact(
            phone=self.contact_phone, whatsapp=self.contact_whatsapp, email=self.contact_email
        )
