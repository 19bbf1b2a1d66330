"""T1: Salla's webhooks map to the same requests as the storefront's, keeping only C1 fields."""

from __future__ import annotations

from typing import Any

import pytest
from allwan_contracts import CancellationReason, CardBrand, RejectionReason
from allwan_orders.domain import salla
from allwan_orders.domain.salla_contact import SallaContact

from tests.unit.orders.fakes import CATALOGUE
from tests.unit.orders.salla_samples import customer_event, order_event, raw

ORDER, CUSTOMER = "salla-2116149737", "salla-225167971"
PAY = salla.PayFromSalla(ORDER, CUSTOMER, f"{ORDER}-pay", 2990, CardBrand.MADA)


def mapped(body: dict[str, Any]) -> list[salla.SallaCommand]:
    return salla.map_delivery(salla.parse_delivery(raw(body)), CATALOGUE)


def test_t1_order_created_places_the_order_with_only_the_c1_contact_fields() -> None:
    [place] = mapped(order_event("order.created"))
    assert place == salla.PlaceFromSalla(
        ORDER,
        CUSTOMER,
        "shahid-vip-1m",
        1,
        SallaContact("Mohammed Ali", "mohammed.ali@example.com", "+966501806978", "جدة, السعودية"),
    )
    assert "Mohammed" not in repr(place)


def test_t1_a_confirmed_status_reports_the_payment_of_the_salla_total() -> None:
    commands = mapped(order_event("order.status.updated", "completed"))
    assert [type(c) for c in commands] == [salla.PlaceFromSalla, salla.PayFromSalla]
    assert commands[1] == PAY
    place = commands[0]
    assert isinstance(place, salla.PlaceFromSalla)
    assert place.contact.phone == "+966501806978"
    assert place.contact.name == "Mohammed Ali"


def test_t1_a_payment_update_pays_unless_payment_is_still_pending() -> None:
    assert mapped(order_event("order.payment.updated"))[1:] == [PAY]
    pending = order_event("order.payment.updated", "payment_pending", is_pending_payment=True)
    assert mapped(pending)[1:] == []


def test_t1_cancelled_and_refunded_orders_map_to_cancellation_and_a_full_refund() -> None:
    assert mapped(order_event("order.cancelled"))[1:] == [
        salla.CancelFromSalla(ORDER, CUSTOMER, CancellationReason.STAFF_DECISION)
    ]
    refund = mapped(order_event("order.refunded"))
    assert [type(c) for c in refund] == [
        salla.PlaceFromSalla,
        salla.PayFromSalla,
        salla.RefundFromSalla,
    ]
    restored = mapped(order_event("order.status.updated", "restored"))
    assert restored[1:] == refund[1:]  # the same facts: counted once downstream


def test_t1_customer_updates_map_to_the_customers_contact() -> None:
    assert mapped(customer_event()) == [
        salla.ContactFromSalla(
            CUSTOMER,
            SallaContact(
                "Mohammed Al-Ali", "m.alali@example.com", "+966555555555", "الرياض, السعودية"
            ),
        )
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"items": []}, RejectionReason.UNSUPPORTED_ORDER),
        (
            {"items": [{"sku": "SHAHID-VIP-1M", "quantity": 1}] * 2},
            RejectionReason.UNSUPPORTED_ORDER,
        ),
        ({"items": [{"sku": "PIZZA", "quantity": 1}]}, RejectionReason.UNKNOWN_PLAN),
    ],
    ids=["no-item", "two-items", "unknown-sku"],
)
def test_a_salla_order_orders_cannot_sell_is_refused(
    changes: dict[str, Any], reason: RejectionReason
) -> None:
    [refusal] = mapped(order_event("order.created", **changes))
    assert isinstance(refusal, salla.RefuseFromSalla)
    assert refusal.refusal.reason is reason


def test_c3_card_data_in_a_kept_salla_field_refuses_the_order_and_drops_the_contact() -> None:
    body = order_event("order.created")
    body["data"]["customer"]["last_name"] = "4111 1111 1111 1111"
    [refusal] = mapped(body)
    assert isinstance(refusal, salla.RefuseFromSalla)
    assert refusal.refusal.reason is RejectionReason.CARD_DATA_PRESENT
    assert "4111" not in refusal.refusal.message
    assert mapped(customer_event(first_name="4111111111111111")) == []


def test_fields_orders_never_keeps_do_not_matter_even_if_they_look_like_cards() -> None:
    body = order_event("order.created")
    body["data"]["bank"]["account_number"] = "4111111111111111"
    assert isinstance(mapped(body)[0], salla.PlaceFromSalla)


@pytest.mark.parametrize("event", ["product.created", "order.deleted", "customer.login"])
def test_events_orders_does_not_use_map_to_nothing(event: str) -> None:
    assert mapped({"event": event, "merchant": 1, "created_at": "x", "data": {"id": 1}}) == []


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"event": "order.created"}',
        raw({"event": "order.created", "data": {"id": 1}}),
        raw({"event": "order.created", "data": {"id": "../../x", "customer": {"id": 1}}}),
    ],
    ids=["not-json", "no-data", "no-customer", "bad-id"],
)
def test_an_unreadable_delivery_is_a_payload_error_that_echoes_nothing(text: str) -> None:
    with pytest.raises(salla.SallaPayloadError) as caught:
        salla.map_delivery(salla.parse_delivery(text), CATALOGUE)
    assert "../../x" not in str(caught.value)
