"""Events as tests of every layer need them, built once."""

from __future__ import annotations

import uuid
from typing import Any

from allwan_contracts import AgeAttestation, CustomerContact, OrderPlaced
from allwan_contracts.catalogue import CataloguePlan, CatalogueProduct, CatalogueUpdated
from allwan_contracts.envelope import Envelope


def order_placed(
    customer_id: str,
    contact: CustomerContact,
    *,
    order_id: str | None = None,
    marketing_opt_in: bool = False,
    policy_version: int = 1,
    locale: Any = "ar",
    payment_token: str = "tok_test",
) -> OrderPlaced:
    """One 12-month plan at 228.85 SAR: 199.00 plus 15 % VAT."""
    return OrderPlaced(
        order_id=order_id or f"ord-{uuid.uuid4().hex[:12]}",
        customer_id=customer_id,
        plan_id="shahid-vip-12m",
        quantity=1,
        unit_price_halalas=19_900,
        subtotal_halalas=19_900,
        vat_rate_percent=15,
        vat_halalas=2_985,
        total_halalas=22_885,
        currency="SAR",
        contact=contact,
        age_attestation=AgeAttestation.LEGAL_AGE,
        payment_token=payment_token,
        marketing_opt_in=marketing_opt_in,
        policy_version=policy_version,
        locale=locale,
    )


def catalogue_updated(content_hash: str) -> CatalogueUpdated:
    """The store's catalogue with one product and its one-month plan at 29.90 SAR."""
    return CatalogueUpdated(
        content_hash=content_hash,
        currency="SAR",
        vat_rate_percent=15,
        products=(
            CatalogueProduct(
                product_id="shahid-vip",
                name_ar="شاهد VIP",
                name_en="Shahid VIP",
                plans=(
                    CataloguePlan(
                        plan_id="shahid-vip-1m",
                        months=1,
                        price_halalas=2990,
                        max_quantity=5,
                        retired=False,
                    ),
                ),
            ),
        ),
    )


def probe_envelopes(aggregate_id: str, first_version: int, count: int) -> list[Envelope]:
    """``count`` envelopes of one ``probe`` stream from ``first_version``, one correlation id:
    what an event store is tested with, no contract needed."""
    correlation = uuid.uuid4()
    return [
        Envelope(
            event_type="Probe",
            schema_version=1,
            aggregate_type="probe",
            aggregate_id=aggregate_id,
            aggregate_version=first_version + i,
            producer="test",
            correlation_id=correlation,
            payload={"n": first_version + i},
        )
        for i in range(count)
    ]
