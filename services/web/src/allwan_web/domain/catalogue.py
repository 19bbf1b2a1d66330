"""What the store sells, as the pages show it: the gateway's catalogue read into plans with
their VAT, the words for a plan's length, and the functional cookie that remembers the last
plans a visitor looked at (CK1: set only when functional cookies are allowed)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from allwan_web.domain.locale import Locale, vat_included

RECENT_MAX = 3
_PLAN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_RECENT_SEPARATOR = "."  # never part of a plan id


@dataclass(frozen=True)
class Offer:
    """One plan of one product, priced as the shelf shows it (VAT included)."""

    plan_id: str
    product_id: str
    product_ar: str
    product_en: str
    months: int
    price_halalas: int
    vat_halalas: int
    max_quantity: int
    retired: bool

    def product(self, locale: Locale) -> str:
        return self.product_ar if locale is Locale.AR else self.product_en


@dataclass(frozen=True)
class Product:
    product_id: str
    name_ar: str
    name_en: str
    offers: tuple[Offer, ...]

    def name(self, locale: Locale) -> str:
        return self.name_ar if locale is Locale.AR else self.name_en


@dataclass(frozen=True)
class Catalogue:
    vat_rate_percent: int
    products: tuple[Product, ...]

    @classmethod
    def read(cls, body: Mapping[str, Any]) -> Catalogue:
        """The gateway's ``GET /v1/catalogue`` answer."""
        rate = int(body["vat_rate_percent"])
        products = []
        for product in body.get("products", []):
            offers = tuple(
                Offer(
                    plan_id=str(plan["plan_id"]),
                    product_id=str(product["product_id"]),
                    product_ar=str(product["name_ar"]),
                    product_en=str(product["name_en"]),
                    months=int(plan["months"]),
                    price_halalas=int(plan["price_halalas"]),
                    vat_halalas=vat_included(int(plan["price_halalas"]), rate),
                    max_quantity=int(plan["max_quantity"]),
                    retired=bool(plan["retired"]),
                )
                for plan in product.get("plans", [])
            )
            products.append(
                Product(
                    str(product["product_id"]),
                    str(product["name_ar"]),
                    str(product["name_en"]),
                    offers,
                )
            )
        return cls(rate, tuple(products))

    def on_sale(self) -> list[Product]:
        """The products with at least one plan still sold, retired plans left out."""
        found = []
        for product in self.products:
            offers = tuple(offer for offer in product.offers if not offer.retired)
            if offers:
                found.append(Product(product.product_id, product.name_ar, product.name_en, offers))
        return found

    def offer(self, plan_id: str) -> Offer | None:
        """The plan ``plan_id`` names, retired or not; None if the catalogue has no such plan."""
        for product in self.products:
            for offer in product.offers:
                if offer.plan_id == plan_id:
                    return offer
        return None


def plan_id_ok(plan_id: str) -> bool:
    """Whether ``plan_id`` has the shape of a plan id (the gateway's identifier pattern)."""
    return _PLAN_ID.fullmatch(plan_id) is not None


def months_key(months: int) -> str:
    """The message key for a plan's length: Arabic counts have five forms (one month, two,
    3 to 10, 11 to 99, and the hundreds), English two; the keys follow Arabic."""
    rest = months % 100
    if months == 1:
        return "plan.months.one"
    if months == 2:  # the dual
        return "plan.months.two"
    if 3 <= rest <= 10:
        return "plan.months.few"
    if 11 <= rest <= 99:
        return "plan.months.many"
    return "plan.months.hundreds"


def recent_plans(cookie: str | None) -> list[str]:
    """The plan ids the functional cookie holds, newest first; anything malformed is left
    out (the browser may send anything)."""
    found: list[str] = []
    for plan_id in (cookie or "").split(_RECENT_SEPARATOR):
        if plan_id_ok(plan_id) and plan_id not in found:
            found.append(plan_id)
    return found[:RECENT_MAX]


def recent_after_viewing(cookie: str | None, plan_id: str) -> str:
    """The cookie's next value once ``plan_id`` was viewed: it first, then the others, three
    at most."""
    kept = [plan_id, *(seen for seen in recent_plans(cookie) if seen != plan_id)]
    return _RECENT_SEPARATOR.join(kept[:RECENT_MAX])
