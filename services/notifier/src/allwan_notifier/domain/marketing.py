"""Marketing: what staff write (``Campaign``), and the one-click refusal every marketing
message carries (K2; RFC 2369 ``List-Unsubscribe``, RFC 8058 one-click ``POST``)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from urllib.parse import quote, urlencode

from allwan_contracts import PolicyContact
from allwan_contracts.fields import Identifier, Summary
from allwan_runtime.keystore import Purpose
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from allwan_notifier.domain.deliveries import Kind
from allwan_notifier.domain.messages import HttpsUrl, Letter
from allwan_notifier.domain.recipients import Locale

SubjectLine = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\r\n]+$")]


class Campaign(BaseModel):
    """A marketing message staff wrote, in both languages (K2: only to consenting customers)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    campaign_id: Identifier
    subject_ar: SubjectLine
    subject_en: SubjectLine
    body_ar: Summary
    body_en: Summary
    url: HttpsUrl | None = None
    requested_by: str = Field(default="staff", max_length=80)


class Unsubscribe(BaseModel):
    """K2: the one-click refusal every marketing message carries (RFC 2369, RFC 8058)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpsUrl
    mailto: str

    @classmethod
    def for_customer(
        cls, customer_id: str, token: str, *, endpoint: str, mailbox: str
    ) -> Unsubscribe:
        query = urlencode({"customer": customer_id, "token": token, "purpose": "marketing"})
        separator = "&" if "?" in endpoint else "?"
        subject = quote(f"unsubscribe {customer_id} {token}")
        return cls(
            url=f"{endpoint}{separator}{query}", mailto=f"mailto:{mailbox}?subject={subject}"
        )

    def headers(self) -> dict[str, str]:
        return {
            "List-Unsubscribe": f"<{self.url}>, <{self.mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


class MarketingMessage(Letter):
    kind: ClassVar[Kind] = Kind.MARKETING
    purpose: ClassVar[Purpose] = Purpose.MARKETING
    template: ClassVar[str] = "marketing"

    campaign: Campaign
    unsubscribe: Unsubscribe
    contact: PolicyContact

    def context(self, locale: Locale) -> dict[str, Any]:
        campaign = self.campaign
        return {
            "subject": campaign.subject_ar if locale == "ar" else campaign.subject_en,
            "body": campaign.body_ar if locale == "ar" else campaign.body_en,
            "url": campaign.url,
            "unsubscribe_url": self.unsubscribe.url,
            "contact": self.contact,
        }

    def headers(self) -> dict[str, str]:
        return self.unsubscribe.headers()
