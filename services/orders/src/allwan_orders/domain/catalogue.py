"""The store's catalogue of digital subscriptions: products, their plans and shelf prices.

The store edits it as a data file (see ``catalogue.toml``); it is validated whole when the
service starts, so a bad file stops the start with every problem listed. Shelf prices are in
SAR and include VAT, as the storefront shows them; each must split exactly into a net price
in halalas plus VAT (see ``pricing``), so that what the customer sees is what they pay.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Annotated, Self

from allwan_contracts.fields import Identifier
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from allwan_orders.domain.pricing import net_unit_price

Months = Annotated[int, Field(strict=True, ge=1, le=36)]
Sar = Annotated[Decimal, Field(gt=0, le=100_000, decimal_places=2)]


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message lists every problem."""


class Plan(BaseModel):
    """One way to buy a product: a number of months at a shelf price (VAT included)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    months: Months
    price_sar: Sar = Field(description="Shelf price in SAR, VAT included.")
    max_quantity: Annotated[int, Field(strict=True, ge=1, le=100)] = 5
    salla_sku: str | None = Field(default=None, min_length=1, max_length=100)
    retired: bool = Field(default=False, description="Sold no more; existing orders still run.")


class Product(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    name_ar: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    plans: tuple[Plan, ...] = Field(min_length=1)


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    vat_rate_percent: Annotated[int, Field(strict=True, ge=0, le=100)] = 15
    products: tuple[Product, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_are_unique_and_prices_split(self) -> Self:
        plans = [plan for product in self.products for plan in product.plans]
        for label, values in (
            ("product id", [product.id for product in self.products]),
            ("plan id", [plan.id for plan in plans]),
            ("salla_sku", [plan.salla_sku for plan in plans if plan.salla_sku]),
        ):
            repeated = sorted({value for value in values if values.count(value) > 1})
            if repeated:
                raise ValueError(f"{label} used twice: {', '.join(repeated)}")
        for plan in plans:
            net_unit_price(plan.price_sar, self.vat_rate_percent, plan_id=plan.id)
        return self

    def plan(self, plan_id: str) -> Plan | None:
        """The plan with this id, retired or not."""
        return next(
            (p for product in self.products for p in product.plans if p.id == plan_id), None
        )

    def plan_for_sku(self, sku: str) -> Plan | None:
        """The plan a Salla product SKU stands for: its ``salla_sku``, or else its id."""
        plans = [plan for product in self.products for plan in product.plans]
        return next((p for p in plans if p.salla_sku == sku), None) or self.plan(sku)


def parse_catalogue(text: str, source: str = "catalogue") -> Catalogue:
    """Read a TOML catalogue; ``CatalogueError`` names the file and every problem."""
    try:
        return Catalogue.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{source} is not valid TOML: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
        raise CatalogueError(f"{source} is invalid: {problems}") from None
