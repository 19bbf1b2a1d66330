"""Prices: VAT-inclusive shelf prices in SAR, split into halalas as the events carry them.

The net unit price is the shelf price without VAT, rounded to the halala; VAT is charged on
the order's net subtotal (``allwan_contracts.vat_for``), rounded half up. A shelf price must
split exactly (net + VAT on net = shelf), so that one unit costs what the shelf shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from allwan_contracts import vat_for

HALALAS_PER_SAR = 100


def to_halalas(sar: Decimal) -> int:
    """SAR to halalas, rounded half up."""
    return int((sar * HALALAS_PER_SAR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def net_unit_price(shelf_sar: Decimal, vat_rate_percent: int, *, plan_id: str = "") -> int:
    """The net price in halalas of a shelf price; ``ValueError`` if it does not split exactly."""
    shelf = to_halalas(shelf_sar)
    net = int(
        (Decimal(shelf) * 100 / (100 + vat_rate_percent)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    if net + vat_for(net, vat_rate_percent) != shelf:
        raise ValueError(
            f"plan {plan_id}: shelf price {shelf_sar} SAR does not split into a net price "
            f"and {vat_rate_percent}% VAT to the halala; move it by 0.01 SAR"
        )
    return net


@dataclass(frozen=True, slots=True)
class Pricing:
    """What an order costs, in halalas; ``total`` includes VAT, the others do not."""

    unit_price: int
    quantity: int
    subtotal: int
    vat_rate_percent: int
    vat: int
    total: int


def price(shelf_sar: Decimal, quantity: int, vat_rate_percent: int) -> Pricing:
    """The price of ``quantity`` units at a shelf price."""
    unit = net_unit_price(shelf_sar, vat_rate_percent)
    subtotal = unit * quantity
    vat = vat_for(subtotal, vat_rate_percent)
    return Pricing(unit, quantity, subtotal, vat_rate_percent, vat, subtotal + vat)
