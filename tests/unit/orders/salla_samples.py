"""Salla webhook bodies shaped like the examples in Salla's "Webhooks - Store Events" docs:
the order model (with fields orders never keeps) and the customer model."""

from __future__ import annotations

import copy
import json
from typing import Any

ORDER_CREATED: dict[str, Any] = {
    "event": "order.created",
    "merchant": 1305146709,
    "created_at": "Sun Jun 26 2022 12:21:48 GMT+0300",
    "data": {
        "id": 2116149737,
        "reference_id": 41027662,
        "urls": {"customer": "https://salla.sa/dev/order/DXZb", "admin": "https://s.salla.sa/o"},
        "date": {
            "date": "2022-06-26 12:21:45.000000",
            "timezone_type": 3,
            "timezone": "Asia/Riyadh",
        },
        "draft": False,
        "source": "store",
        "source_details": {"type": "direct", "user-agent": "Mozilla/5.0", "ip": "31.166.186.78"},
        "status": {"id": 566146469, "name": "بإنتظار المراجعة", "slug": "under_review"},
        "payment_method": "mada",
        "currency": "SAR",
        "amounts": {
            "sub_total": {"amount": 26, "currency": "SAR"},
            "shipping_cost": {"amount": 0, "currency": "SAR"},
            "tax": {"percent": "15.00", "amount": {"amount": 3.9, "currency": "SAR"}},
            "discounts": [],
            "total": {"amount": 29.9, "currency": "SAR"},
        },
        "can_cancel": True,
        "is_pending_payment": False,
        "pending_payment_ends_at": 172796,
        "customer": {
            "id": 225167971,
            "first_name": "Mohammed",
            "last_name": "Ali",
            "mobile": 501806978,
            "mobile_code": "+966",
            "email": "mohammed.ali@example.com",
            "urls": {"customer": "https://salla.sa/dev/profile"},
            "avatar": "https://cdn.salla.sa/avatar.jpg",
            "gender": "male",
            "birthday": {"date": "1997-06-03 00:00:00.000000", "timezone": "Asia/Riyadh"},
            "city": "جدة",
            "country": "السعودية",
            "country_code": "SA",
            "currency": "SAR",
            "location": "",
        },
        "items": [
            {
                "id": 70815337,
                "name": "شاهد VIP شهر",
                "sku": "SHAHID-VIP-1M",
                "quantity": 1,
                "currency": "SAR",
                "amounts": {"price_without_tax": {"amount": 26, "currency": "SAR"}},
                "product": {"id": 720881993, "type": "digital", "sku": "SHAHID-VIP-1M"},
                "codes": [],
                "files": [],
            }
        ],
        "bank": {
            "bank_name": "البنك الأهلي التجاري",
            "account_number": "000000608010167519",
            "iban_number": "SA2380000382608010130308",
        },
        "tags": [],
    },
}

CUSTOMER_UPDATED: dict[str, Any] = {
    "event": "customer.updated",
    "merchant": 1305146709,
    "created_at": "Tue Jan 25 2022 12:36:49 GMT+0300",
    "data": {
        "id": 225167971,
        "first_name": "Mohammed",
        "last_name": "Al-Ali",
        "mobile": 555555555,
        "mobile_code": "+966",
        "email": "m.alali@example.com",
        "avatar": "https://i.ibb.co/avatar.webp",
        "gender": "male",
        "birthday": {"date": "1997-06-03 00:00:00.000000"},
        "city": "الرياض",
        "country": "السعودية",
        "country_code": "SA",
    },
}


def order_event(event: str, slug: str | None = None, **data: Any) -> dict[str, Any]:
    """An order event with the order model; ``order.status.updated`` nests it as Salla does."""
    body = copy.deepcopy(ORDER_CREATED)
    body["event"] = event
    if slug is not None:
        body["data"]["status"]["slug"] = slug
    body["data"].update(data)
    if event == "order.status.updated":
        order = body["data"]
        order["customer"] = {
            "id": 225167971,
            "name": "Mohammed Ali",
            "mobile": "+966501806978",
            "email": "mohammed.ali@example.com",
            "country": "السعودية",
            "city": "جدة",
        }
        body["data"] = {"id": 198290473, "status": "تم التنفيذ", "note": "", "order": order}
    return body


def customer_event(event: str = "customer.updated", **data: Any) -> dict[str, Any]:
    body = copy.deepcopy(CUSTOMER_UPDATED)
    body["event"] = event
    body["data"].update(data)
    return body


def raw(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)
