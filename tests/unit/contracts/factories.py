"""Valid sample events and sealed values, built by hand for the contract tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from allwan_contracts import (
    AgeAttestation,
    CancellationReason,
    CatalogueUpdated,
    Channel,
    ConsentEvidence,
    ConsentGranted,
    ConsentPurpose,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerContact,
    CustomerContactChanged,
    CustomerErased,
    ErasureReason,
    Event,
    ExpiryReason,
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderRejected,
    OrderRequestKind,
    PolicyChanged,
    PolicyContact,
    PolicyDocumentPublished,
    RefundReason,
    RejectionReason,
    Sealed,
    SubscriptionActivated,
)
from allwan_contracts.breaches import (
    AffectedCustomers,
    BreachClosed,
    BreachCustomersNotified,
    BreachNotice,
    BreachNoticeRequested,
    BreachOpened,
    BreachRegulatorNotified,
    notice_id,
    regulator_deadline,
)
from allwan_contracts.disclosures import (
    DataCategory,
    DataDisclosed,
    LegalBasis,
    RecipientRole,
    disclosure_id,
)
from allwan_contracts.intake import (
    CancellationRequested,
    ConsentAction,
    ConsentChangeRequested,
    ErasureRequested,
    OrderRequested,
    OrderSource,
    PaymentReported,
    PolicyPublishRequested,
    RefundRequested,
    WebhookReceived,
    WebhookSource,
)
from allwan_contracts.privacy import (
    ContactChanges,
    DenialReason,
    IdentityCheck,
    PrivacyExportDestroyed,
    PrivacyRequestCancelled,
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestExtended,
    PrivacyRequestIdentityVerified,
    PrivacyRequestKind,
    PrivacyRequestReceived,
    PrivacyRequestServiceAnswered,
    PrivacyRequestStarted,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestConfirmed,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestSubmitted,
)
from allwan_contracts.privacy_replies import (
    CorrectionApplied,
    CustomerDataExported,
    ErasureConfirmed,
    reply_id,
)
from allwan_contracts.retention import RetentionNoticeRequested, RetentionPeriodEnded, case_id
from allwan_contracts.sealed import (
    SealedDocument,
)

from tests.builders import catalogue_updated

IV = "AAECAwQFBgcICQoL"  # 12 bytes
CT = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-fw"  # 28 bytes: ciphertext + GCM tag
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def sealed(kid: str = "cust-42.v1") -> Sealed:
    return Sealed(alg="A256GCM", kid=kid, iv=IV, ct=CT)


def contact() -> CustomerContact:
    return CustomerContact(name=sealed(), email=sealed(), phone=sealed(), billing_address=sealed())


def order_placed_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "order_id": "1001",
        "customer_id": "cust-42",
        "plan_id": "shahid-vip-12m",
        "quantity": 2,
        "unit_price_halalas": 19_900,
        "subtotal_halalas": 39_800,
        "vat_rate_percent": 15,
        "vat_halalas": 5_970,
        "total_halalas": 45_770,
        "currency": "SAR",
        "contact": contact(),
        "age_attestation": AgeAttestation.LEGAL_AGE,
        "payment_token": "tok_9f8e7d6c5b4a",
        "marketing_opt_in": False,
        "policy_version": 3,
        "locale": "ar",
    }
    return fields | overrides


def order_placed(**overrides: Any) -> OrderPlaced:
    return OrderPlaced(**order_placed_fields(**overrides))


def _consent_fields() -> dict[str, Any]:
    return {
        "customer_id": "cust-42",
        "purpose": ConsentPurpose.MARKETING,
        "channel": Channel.WHATSAPP,
        "policy_version": 3,
        "recorded_by": "customer",
        "evidence": ConsentEvidence(message_reference="wamid.HBgLOTY2NTYzMTIwNDE1"),
    }


ORDER = {"order_id": "1001", "customer_id": "cust-42"}
REQUEST = {"request_id": "0b5e3f4a-8c1d-5e2f-9a3b-4c5d6e7f8a9b", "customer_id": "cust-42"}
ANSWER = {"customer_id": "cust-42", "service": "orders"}
LATER = datetime(2026, 3, 31, 9, 30, tzinfo=UTC)


def _privacy_samples() -> dict[type[Event], Event]:
    changes = ContactChanges(email=sealed())
    request_id = REQUEST["request_id"]
    kind = PrivacyRequestKind.ACCESS
    return {
        PrivacyRequestSubmitted: PrivacyRequestSubmitted(
            **REQUEST,
            requested_by="customer",
            kind=PrivacyRequestKind.CORRECTION,
            channel=Channel.WEB,
            identity_check=IdentityCheck.CUSTOMER_TOKEN,
            changes=changes,
            submitted_at=WHEN,
        ),
        PrivacyRequestConfirmed: PrivacyRequestConfirmed(
            **REQUEST, requested_by="customer", confirmed_at=WHEN
        ),
        PrivacyRequestCancellationRequested: PrivacyRequestCancellationRequested(
            **REQUEST, requested_by="customer", requested_at=WHEN
        ),
        PrivacyRequestExtensionRequested: PrivacyRequestExtensionRequested(
            **REQUEST, requested_by="staff:42", days=30, reason="Many systems", requested_at=WHEN
        ),
        PrivacyRequestDenialRequested: PrivacyRequestDenialRequested(
            **REQUEST,
            requested_by="staff:42",
            reason=DenialReason.IDENTITY_NOT_VERIFIED,
            requested_at=WHEN,
        ),
        PrivacyRequestReceived: PrivacyRequestReceived(
            **REQUEST, kind=kind, channel=Channel.WEB, received_at=WHEN, due_at=LATER, by="customer"
        ),
        PrivacyRequestIdentityVerified: PrivacyRequestIdentityVerified(
            **REQUEST, check=IdentityCheck.CUSTOMER_TOKEN, at=WHEN, by="customer"
        ),
        PrivacyRequestStarted: PrivacyRequestStarted(
            **REQUEST, kind=kind, channel=Channel.WEB, at=WHEN, by="service:privacy"
        ),
        PrivacyRequestExtended: PrivacyRequestExtended(
            **REQUEST, extended_until=LATER, reason="Many systems", at=WHEN, by="staff:42"
        ),
        PrivacyRequestServiceAnswered: PrivacyRequestServiceAnswered(
            **REQUEST, service="orders", at=WHEN
        ),
        PrivacyRequestCompleted: PrivacyRequestCompleted(
            **REQUEST, kind=kind, at=WHEN, export_expires_at=LATER
        ),
        PrivacyRequestDenied: PrivacyRequestDenied(
            **REQUEST, reason=DenialReason.MANIFESTLY_UNFOUNDED, at=WHEN, by="staff:42"
        ),
        PrivacyRequestCancelled: PrivacyRequestCancelled(**REQUEST, at=WHEN, by="customer"),
        PrivacyExportDestroyed: PrivacyExportDestroyed(**REQUEST, at=WHEN),
        CustomerDataExported: CustomerDataExported(
            **ANSWER,
            reply_id=reply_id(request_id, "orders"),
            request_id=request_id,
            part_name="orders",
            part=SealedDocument(alg="A256GCM", kid="cust-42", iv=IV, ct=CT),
            exported_at=WHEN,
        ),
        CorrectionApplied: CorrectionApplied(
            **ANSWER,
            reply_id=reply_id(request_id, "orders"),
            request_id=request_id,
            applied_at=WHEN,
        ),
        ErasureConfirmed: ErasureConfirmed(
            **ANSWER, reply_id=reply_id("cust-42", "orders"), confirmed_at=WHEN
        ),
    }


def _accountability_samples() -> dict[type[Event], Event]:
    breach = {"breach_id": "br-1"}
    notice = BreachNotice(message_ar="تسرب بيانات", message_en="A data breach")
    categories = [DataCategory.EMAIL, DataCategory.NAME]
    case = {"case_id": case_id("cust-42", "customer_contact", WHEN), "customer_id": "cust-42"}
    return {
        DataDisclosed: DataDisclosed(
            disclosure_id=disclosure_id("smtp", "receipt:ord-1"),
            customer_id="cust-42",
            recipient="smtp",
            role=RecipientRole.PROCESSOR,
            categories=categories,
            purpose="order_receipts",
            legal_basis=LegalBasis.PROCESSOR,
            source="email:receipt:ord-1",
            recorded_by="service:notifier",
            at=WHEN,
        ),
        BreachOpened: BreachOpened(
            **breach,
            detected_at=WHEN,
            regulator_deadline=regulator_deadline(WHEN),
            description="A misdirected export",
            categories=categories,
            affected=AffectedCustomers(customer_ids=["cust-42"]),
            affected_count=1,
            likely_consequences="Phishing",
            measures_taken="Link revoked",
            opened_at=WHEN,
            by="staff:7",
        ),
        BreachRegulatorNotified: BreachRegulatorNotified(
            **breach, reference="SDAIA-1", notified_at=WHEN, at=WHEN, by="staff:7"
        ),
        BreachCustomersNotified: BreachCustomersNotified(
            **breach, notice=notice, notified_count=1, at=WHEN, by="staff:7"
        ),
        BreachClosed: BreachClosed(**breach, summary="Contained", at=WHEN, by="staff:7"),
        BreachNoticeRequested: BreachNoticeRequested(
            notice_id=notice_id("br-1", "cust-42"),
            breach_id="br-1",
            customer_id="cust-42",
            detected_at=WHEN,
            categories=categories,
            notice=notice,
            at=WHEN,
        ),
        RetentionNoticeRequested: RetentionNoticeRequested(
            **case, rule="customer_contact", last_activity=WHEN, erase_after=WHEN, at=WHEN
        ),
        RetentionPeriodEnded: RetentionPeriodEnded(
            **case, rule="customer_contact", last_activity=WHEN, at=WHEN
        ),
    }


SAMPLES: dict[type[Event], Event] = {
    OrderPlaced: order_placed(),
    OrderPaid: OrderPaid(
        **ORDER,
        payment_reference="pay_7Hq2",
        amount_halalas=45_770,
        currency="SAR",
        card_brand="mada",
        card_last4="0415",
    ),
    SubscriptionActivated: SubscriptionActivated(
        **ORDER,
        plan_id="shahid-vip-12m",
        starts_at=WHEN,
        ends_at=WHEN.replace(year=2027),
        delivery_reference="act-5521",
    ),
    OrderCancelled: OrderCancelled(
        **ORDER, reason=CancellationReason.CUSTOMER_REQUEST, refund_halalas=0, currency="SAR"
    ),
    OrderRefunded: OrderRefunded(
        **ORDER,
        reason=RefundReason.NOT_DELIVERED,
        refund_halalas=45_770,
        currency="SAR",
        refund_reference="rf_81",
        fully_refunded=True,
    ),
    OrderExpired: OrderExpired(**ORDER, reason=ExpiryReason.SUBSCRIPTION_ENDED),
    OrderRejected: OrderRejected(
        **ORDER,
        request=OrderRequestKind.PLACE,
        request_id=UUID("5d2b8a8e-6a0b-4d8e-8d59-3c1f0b7e2a10"),
        reason=RejectionReason.AGE_ATTESTATION_MISSING,
        message="An order needs a legal-age or guardian-consent attestation (A1).",
    ),
    CustomerContactChanged: CustomerContactChanged(
        customer_id="cust-42", contact=contact(), channel=Channel.SALLA
    ),
    ConsentGranted: ConsentGranted(**_consent_fields()),
    ConsentWithdrawn: ConsentWithdrawn(**_consent_fields()),
    ConsentReconfirmationRequired: ConsentReconfirmationRequired(
        customer_id="cust-42",
        purpose=ConsentPurpose.MARKETING,
        granted_under_version=3,
        policy_version=4,
        recorded_by="service:consent",
    ),
    PolicyDocumentPublished: PolicyDocumentPublished(
        version=4,
        text_ar="سياسة الخصوصية",
        text_en="Privacy policy",
        contact=PolicyContact(
            phone="0563120415", whatsapp="0563120415", email="privacy@allwanstores.com"
        ),
        published_by="staff:7",
    ),
    PolicyChanged: PolicyChanged(
        version=4,
        effective_at=WHEN,
        material=True,
        summary_ar="أضفنا حق طلب نسخة من بياناتك.",
        summary_en="You can now ask for a copy of your data.",
        url="https://allwanstores.com/privacy/v4",
    ),
    CustomerErased: CustomerErased(
        customer_id="cust-42",
        erased_at=WHEN,
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.EMAIL,
    ),
    OrderRequested: OrderRequested(
        **ORDER,
        requested_by="customer",
        plan_id="shahid-vip-12m",
        quantity=1,
        contact=contact(),
        age_attestation=AgeAttestation.LEGAL_AGE,
        payment_token="tok_9f8e7d",
        locale="ar",
        source=OrderSource.STOREFRONT,
    ),
    PaymentReported: PaymentReported(
        **ORDER,
        requested_by="service:gateway",
        payment_reference="pay_7Hq2",
        amount_halalas=45_770,
        card_brand="mada",
        card_last4="0415",
    ),
    CancellationRequested: CancellationRequested(
        **ORDER, requested_by="customer", reason=CancellationReason.CUSTOMER_REQUEST
    ),
    RefundRequested: RefundRequested(
        **ORDER,
        requested_by="staff:7",
        reason=RefundReason.NOT_DELIVERED,
        refund_halalas=45_770,
        refund_reference="rf_81",
    ),
    ConsentChangeRequested: ConsentChangeRequested(
        customer_id="cust-42",
        requested_by="customer",
        action=ConsentAction.WITHDRAW,
        purpose=ConsentPurpose.MARKETING,
        channel=Channel.WEB,
        evidence=ConsentEvidence(user_agent_hmac="ab" * 32),
    ),
    ErasureRequested: ErasureRequested(
        customer_id="cust-42",
        requested_by="staff:7",
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.EMAIL,
    ),
    PolicyPublishRequested: PolicyPublishRequested(
        text_ar="سياسة الخصوصية",
        text_en="Privacy policy",
        summary_ar="تغيير",
        summary_en="A change",
        material=True,
        effective_at=WHEN,
        requested_by="staff:7",
    ),
    WebhookReceived: WebhookReceived(
        delivery_id="ab" * 32,
        source=WebhookSource.SALLA,
        received_at=WHEN,
        body=sealed("webhook:" + "ab" * 32),
    ),
    CatalogueUpdated: catalogue_updated("cd" * 32),
    **_privacy_samples(),
    **_accountability_samples(),
}
"""One valid instance of every event model."""
