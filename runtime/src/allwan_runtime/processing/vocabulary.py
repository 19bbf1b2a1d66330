"""The words of the record of processing: each purpose's titles and legal basis, the sources
a declaration may name, and the Arabic and English labels of data categories and bases.

A purpose of ``allwan_runtime.keystore.Purpose`` missing here cannot be put in the record:
the generator refuses it, so a new purpose is described before any service may hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from allwan_contracts.disclosures import DataCategory

from allwan_runtime.keystore.purposes import Purpose

SERVICES: Final = ("gateway", "orders", "consent", "notifier", "privacy", "web")
"""Every service that declares what it processes, each in ``allwan_<service>/processing.toml``."""


@dataclass(frozen=True)
class Label:
    ar: str
    en: str


@dataclass(frozen=True)
class PurposeInfo:
    title: Label
    legal_basis: str
    clauses: str


LEGAL_BASES: Final[dict[str, Label]] = {
    "contract": Label("تنفيذ العقد مع العميل", "performing the contract with the customer"),
    "consent": Label("موافقة العميل الصريحة", "the customer's explicit consent"),
    "legal_obligation": Label("التزام نظامي على المتجر", "a legal obligation of the store"),
}

PURPOSES: Final[dict[Purpose, PurposeInfo]] = {
    Purpose.ORDER_PROCESSING: PurposeInfo(
        Label("معالجة الطلبات وتنفيذها", "Processing and fulfilling orders"),
        "contract",
        "P1, K1, C4, D1",
    ),
    Purpose.ORDER_RECEIPTS: PurposeInfo(
        Label("رسائل الطلب: الإيصال والتفعيل", "Order emails: receipts and activations"),
        "contract",
        "D1, D3",
    ),
    Purpose.POLICY_NOTICES: PurposeInfo(
        Label("إشعار العملاء بتغيير سياسة الخصوصية", "Notices of privacy-policy changes"),
        "legal_obligation",
        "PC1, PC2",
    ),
    Purpose.CONSENT_NOTICES: PurposeInfo(
        Label("تأكيد تغييرات الموافقة", "Confirmations of consent changes"),
        "legal_obligation",
        "K3",
    ),
    Purpose.MARKETING: PurposeInfo(
        Label("التسويق بموافقة صريحة فقط", "Marketing, only with explicit consent"),
        "consent",
        "K2, K3",
    ),
    Purpose.CONSENT_MATCHING: PurposeInfo(
        Label(
            "مطابقة رسائل واتساب والبريد بالعميل (سحب الموافقة والطلبات)",
            "Matching a WhatsApp or email message to its customer (withdrawals, requests)",
        ),
        "legal_obligation",
        "K3",
    ),
    Purpose.SUPPORT: PurposeInfo(
        Label("خدمة العملاء", "Customer support"),
        "contract",
        "C4",
    ),
    Purpose.DATA_ACCESS: PurposeInfo(
        Label("حق العميل في الوصول إلى بياناته ونسخة منها", "The customer's access and copy"),
        "legal_obligation",
        "PDPL",
    ),
    Purpose.DATA_CORRECTION: PurposeInfo(
        Label("تصحيح بيانات العميل", "Correcting the customer's data"),
        "legal_obligation",
        "PDPL",
    ),
    Purpose.LEGAL_OBLIGATION: PurposeInfo(
        Label(
            "الإفصاحات والإشعارات التي يوجبها النظام وإثبات الموافقات",
            "Disclosures and notices the law requires, and proof of consent",
        ),
        "legal_obligation",
        "D2, S2, K3, PDPL",
    ),
    Purpose.ANALYTICS: PurposeInfo(
        Label(
            "عدّ الزيارات والصفحات المشاهدة (بموافقة على ملفات التحليلات)",
            "Counting visits and pages viewed (with analytics-cookie consent)",
        ),
        "consent",
        "CK1, CK2",
    ),
}

CATEGORIES: Final[dict[DataCategory, Label]] = {
    DataCategory.NAME: Label("الاسم", "name"),
    DataCategory.EMAIL: Label("البريد الإلكتروني", "email"),
    DataCategory.PHONE: Label("رقم الجوال", "phone"),
    DataCategory.BILLING_ADDRESS: Label("عنوان الفوترة", "billing address"),
    DataCategory.ORDER_DETAILS: Label("تفاصيل الطلب", "order details"),
    DataCategory.PAYMENT: Label("بيانات الدفع (دون بيانات البطاقة)", "payment (no card data)"),
    DataCategory.MESSAGE_CONTENT: Label("محتوى الرسائل", "message content"),
    DataCategory.CONSENT_RECORDS: Label("سجلات الموافقة", "consent records"),
    DataCategory.BROWSING_EVIDENCE: Label("بيانات التصفح", "browsing evidence"),
    DataCategory.PRIVACY_REQUESTS: Label("طلبات الخصوصية", "privacy requests"),
}

SOURCES: Final[dict[str, Label]] = {
    "customer": Label("العميل نفسه عبر واجهة المتجر", "the customer, through the storefront"),
    "salla": Label("منصة سلة (إشعارات الطلبات)", "Salla, the store's platform (webhooks, T1)"),
    "whatsapp": Label("رسائل العميل عبر واتساب", "the customer's WhatsApp messages"),
    "staff": Label("موظفو المتجر", "the store's staff"),
} | {
    f"service:{service}": Label(f"خدمة {service} في allwan", f"allwan's {service} service")
    for service in SERVICES
}
"""Where a service gets the data: from outside allwan, or from another of its services."""


def vocabulary_problems() -> list[str]:
    """What the tables above lack: a purpose without titles, a category without labels."""
    return [
        *(f"vocabulary: no titles for purpose {p.value!r}" for p in Purpose if p not in PURPOSES),
        *(
            f"vocabulary: purpose {purpose.value!r} has an unknown legal basis"
            for purpose, info in PURPOSES.items()
            if info.legal_basis not in LEGAL_BASES
        ),
        *(
            f"vocabulary: no labels for category {category.value!r}"
            for category in DataCategory
            if category not in CATEGORIES
        ),
    ]
