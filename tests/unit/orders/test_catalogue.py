"""The catalogue file and prices: SAR shelf prices with 15% VAT, split into halalas."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from allwan_contracts import vat_for
from allwan_orders.adapters.catalogue_file import load_catalogue
from allwan_orders.domain.catalogue import CatalogueError, parse_catalogue
from allwan_orders.domain.periods import add_months
from allwan_orders.domain.pricing import net_unit_price, price

GOOD = """
vat_rate_percent = 15
[[products]]
id = "netflix"
name_ar = "نتفليكس"
name_en = "Netflix"
plans = [{ id = "netflix-1m", months = 1, price_sar = "29.90", salla_sku = "NF-1" }]
"""


def test_the_shipped_catalogue_loads_and_every_plan_has_months_and_a_price() -> None:
    catalogue = load_catalogue(None)
    plans = [plan for product in catalogue.products for plan in product.plans]
    assert len(plans) >= 6
    assert {plan.months for plan in plans} >= {1, 3, 12}
    assert catalogue.vat_rate_percent == 15


def test_the_catalogue_path_setting_is_read(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(GOOD, encoding="utf-8")
    catalogue = load_catalogue(path)
    plan = catalogue.plan_for_sku("NF-1")
    assert plan is not None
    assert plan.id == "netflix-1m"
    assert catalogue.plan_for_sku("netflix-1m") is plan


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("products = [", "not valid TOML"),
        (GOOD.replace('"29.90"', '"29.94"'), "netflix-1m: shelf price 29.94 SAR does not split"),
        (GOOD.replace("months = 1", "months = 0"), "months"),
        (GOOD.replace('"29.90"', '"-1"'), "price_sar"),
        (GOOD.replace('id = "netflix-1m"', 'id = "netflix 1m"'), "plans.0.id"),
        (GOOD.replace("plans = [", 'colour = "red"\nplans = ['), "colour"),
        (GOOD + GOOD.split("vat_rate_percent = 15")[1], "product id used twice: netflix"),
    ],
    ids=["toml", "price-split", "months", "negative", "bad-id", "unknown-key", "dup-id"],
)
def test_a_bad_catalogue_is_refused_with_a_clear_error(text: str, problem: str) -> None:
    with pytest.raises(CatalogueError, match=problem):
        parse_catalogue(text, source="catalogue.toml")


def test_a_missing_catalogue_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot be read"):
        load_catalogue(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("shelf", "quantity", "expected"),
    [
        ("29.90", 1, (2600, 2600, 390, 2990)),
        ("29.90", 3, (2600, 7800, 1170, 8970)),
        ("19.99", 3, (1738, 5214, 782, 5996)),
        ("206.85", 1, (17987, 17987, 2698, 20685)),
    ],
)
def test_vat_is_15_percent_of_the_net_subtotal_rounded_half_up(
    shelf: str, quantity: int, expected: tuple[int, int, int, int]
) -> None:
    cost = price(Decimal(shelf), quantity, 15)
    assert (cost.unit_price, cost.subtotal, cost.vat, cost.total) == expected
    assert cost.vat == vat_for(cost.subtotal, 15)
    assert cost.total == cost.subtotal + cost.vat


def test_one_unit_costs_exactly_the_shelf_price() -> None:
    for product in load_catalogue(None).products:
        for plan in product.plans:
            assert price(plan.price_sar, 1, 15).total == int(plan.price_sar * 100)


def test_a_shelf_price_that_cannot_split_is_named() -> None:
    assert net_unit_price(Decimal("29.93"), 15) == 2603
    with pytest.raises(ValueError, match=r"plan x: shelf price 29\.94 SAR"):
        net_unit_price(Decimal("29.94"), 15, plan_id="x")


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 31, 8, tzinfo=UTC), 1, datetime(2026, 2, 28, 8, tzinfo=UTC)),
        (datetime(2028, 1, 31, 8, tzinfo=UTC), 1, datetime(2028, 2, 29, 8, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 3, datetime(2027, 2, 15, tzinfo=UTC)),
        (datetime(2026, 3, 1, tzinfo=UTC), 12, datetime(2027, 3, 1, tzinfo=UTC)),
    ],
)
def test_a_plan_ends_its_months_later_on_the_calendar(
    start: datetime, months: int, end: datetime
) -> None:
    assert add_months(start, months) == end
