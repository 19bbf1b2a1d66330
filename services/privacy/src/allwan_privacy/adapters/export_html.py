"""The export as a page a person reads: one HTML document, Arabic first (``dir="rtl"``,
``lang="ar"``) then English (``lang="en"``), with every section of the JSON export.

Rendered from ``templates/export.html`` (Jinja2, autoescaped: every value the services sent
arrives as text), self-contained: one inline stylesheet with logical properties, so both
directions share its rules, and no external resource (no font, image, script or link that
would tell a third party the page was opened).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from allwan_contracts.privacy_export import PrivacyExport
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from allwan_privacy.domain.export import STATEMENT_AR, STATEMENT_EN

LANGUAGES: tuple[dict[str, Any], ...] = (
    {
        "code": "ar",
        "dir": "rtl",
        "statement": STATEMENT_AR,
        "roles": {"platform": "منصة المتجر", "processor": "مزوّد خدمة", "authority": "جهة رسمية"},
        "bases": {
            "contract": "لتنفيذ طلبك (D1)",
            "law": "بموجب النظام (D2)",
            "processor": "مزوّد موثوق يعمل لحسابنا (D3)",
        },
        "t": {
            "title": "نسخة من بياناتك",
            "customer": "رقم العميل",
            "request": "رقم الطلب",
            "generated": "أُعدّت في",
            "contact": "بيانات التواصل",
            "name": "الاسم",
            "email": "البريد الإلكتروني",
            "phone": "الجوال",
            "billing_address": "عنوان الفوترة",
            "orders": "الطلبات والاشتراكات",
            "order": "الطلب",
            "plan": "الباقة",
            "quantity": "الكمية",
            "status": "الحالة",
            "amount": "المبلغ",
            "vat": "ضريبة القيمة المضافة",
            "refunded": "المسترد",
            "placed": "تاريخ الطلب",
            "history": "السجل",
            "consents": "سجل الموافقات وإثباتها",
            "purpose": "الغرض",
            "change": "التغيير",
            "policy_version": "إصدار السياسة",
            "channel": "القناة",
            "recorded_by": "سجّلها",
            "at": "الوقت",
            "evidence": "الإثبات",
            "cookies": "تفضيلات ملفات تعريف الارتباط",
            "granted": "موافق",
            "since": "منذ",
            "yes": "نعم",
            "no": "لا",
            "emails": "الرسائل المرسلة إليك",
            "kind": "النوع",
            "outcome": "النتيجة",
            "requests": "طلبات الخصوصية",
            "state": "الحالة",
            "received": "استُلم",
            "due": "موعد الرد",
            "extended": "مُدّد حتى",
            "by": "بواسطة",
            "disclosures": "الإفصاحات",
            "recipient": "الجهة",
            "role": "الصفة",
            "data": "البيانات",
            "legal_basis": "السند",
            "reference": "المرجع النظامي",
            "none": "لا يوجد",
        },
    },
    {
        "code": "en",
        "dir": "ltr",
        "statement": STATEMENT_EN,
        "roles": {
            "platform": "Store platform",
            "processor": "Service provider",
            "authority": "Authority",
        },
        "bases": {
            "contract": "To deliver your order (D1)",
            "law": "Required by law (D2)",
            "processor": "A trusted provider acting for us (D3)",
        },
        "t": {
            "title": "A copy of your data",
            "customer": "Customer",
            "request": "Request",
            "generated": "Generated at",
            "contact": "Contact details",
            "name": "Name",
            "email": "Email",
            "phone": "Phone",
            "billing_address": "Billing address",
            "orders": "Orders and subscriptions",
            "order": "Order",
            "plan": "Plan",
            "quantity": "Quantity",
            "status": "Status",
            "amount": "Amount",
            "vat": "VAT",
            "refunded": "Refunded",
            "placed": "Placed",
            "history": "History",
            "consents": "Consent history and its proof",
            "purpose": "Purpose",
            "change": "Change",
            "policy_version": "Policy version",
            "channel": "Channel",
            "recorded_by": "Recorded by",
            "at": "Time",
            "evidence": "Proof",
            "cookies": "Cookie preferences",
            "granted": "Granted",
            "since": "Since",
            "yes": "yes",
            "no": "no",
            "emails": "Emails sent to you",
            "kind": "Kind",
            "outcome": "Outcome",
            "requests": "Privacy requests",
            "state": "State",
            "received": "Received",
            "due": "Due",
            "extended": "Extended until",
            "by": "By",
            "disclosures": "Disclosures",
            "recipient": "Recipient",
            "role": "Role",
            "data": "Data",
            "legal_basis": "Basis",
            "reference": "Legal reference",
            "none": "None",
        },
    },
)


def when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def sar(halalas: int | None) -> str:
    return "" if halalas is None else f"{halalas // 100}.{halalas % 100:02d} SAR"


class ExportPage:
    """``handlers.ports.Renderer``: the export as bilingual HTML."""

    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("allwan_privacy", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["when"] = when
        self._env.filters["sar"] = sar

    def render(self, export: PrivacyExport) -> str:
        return self._env.get_template("export.html").render(export=export, languages=LANGUAGES)
