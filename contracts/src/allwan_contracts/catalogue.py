"""What the store sells: the catalogue the orders service prices orders from.

The orders service owns the catalogue (a data file the store edits) and publishes it whole
whenever its content changes, so that whoever shows it (the gateway's storefront API) shows
exactly the plans and prices orders will charge, without reading the orders service's file.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from allwan_contracts.base import Event
from allwan_contracts.fields import Currency, Identifier, PlanId, PositiveHalalas
from allwan_contracts.topics import CATALOGUE

Months = Annotated[int, Field(strict=True, ge=1, le=36)]
MaxQuantity = Annotated[int, Field(strict=True, ge=1, le=100)]
ProductName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ContentHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class CataloguePlan(BaseModel):
    """One way to buy a product: so many months at a shelf price (VAT included)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    plan_id: PlanId
    months: Months
    price_halalas: PositiveHalalas = Field(description="Shelf price, VAT included.")
    max_quantity: MaxQuantity
    retired: StrictBool = Field(description="Sold no more; running orders still use it.")


class CatalogueProduct(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    product_id: Identifier
    name_ar: ProductName
    name_en: ProductName
    plans: tuple[CataloguePlan, ...] = Field(min_length=1)


class CatalogueUpdated(Event):
    """The catalogue's content changed (or was published for the first time).

    ``content_hash`` is the SHA-256 of the published content: the publisher compares it with
    the last one it published to publish only changes.
    """

    event_type: ClassVar[str] = "CatalogueUpdated"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "catalogue"
    aggregate_id_field: ClassVar[str] = "catalogue_id"
    topic: ClassVar[str] = CATALOGUE.name

    catalogue_id: Literal["store"] = "store"
    content_hash: ContentHash
    currency: Currency
    vat_rate_percent: Annotated[int, Field(strict=True, ge=0, le=100)]
    products: tuple[CatalogueProduct, ...] = Field(min_length=1)
