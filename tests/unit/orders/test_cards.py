"""C3, T3: card numbers and security codes are found in any field, in any format."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allwan_contracts import (
    OrderPlaced,
    RejectionReason,
    SubscriptionActivated,
    reject_card_numbers,
)
from allwan_contracts.cards import (
    CardDataKind,
    CardDataRefused,
    CardFinding,
    contains_card_number,
    find_card_data,
    passes_luhn,
    refuse_card_data,
)
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.placing import OpenedContact
from allwan_orders.handlers.payment import delivery_reference, report_payment
from allwan_orders.handlers.placing import place_order
from pydantic_core import PydanticCustomError

from tests.unit.contracts.factories import contact
from tests.unit.orders.fakes import (
    CATALOGUE,
    NOW,
    order_requested,
    orders,
    payment,
    sealed_contact,
)

VISA = "4111111111111111"
AMEX = "378282246310005"
DINERS_14 = "30569309025904"
MAESTRO_19 = "6759649826438453011"
VISA_13 = "4222222222222"
# Seen in production: a derived delivery reference and an order id whose digit runs, read
# across hex letters or across the dashes of a UUID, pass Luhn.
ORDER_WITH_LUHN_REFERENCE = "a13abcf4-b2d2-592f-9ac0-8b85c07373c9"
LUHN_REFERENCE = "dlv-3b15256dee52580986085635"
ORDER_ID_WITH_LUHN_RUN = "6bddc66c-1083-5840-8962-2eaff7ee4183"


def test_the_sample_numbers_pass_luhn_and_their_neighbours_do_not() -> None:
    for number in (VISA, AMEX, DINERS_14, VISA_13, MAESTRO_19):
        assert passes_luhn(number)
        assert not passes_luhn(number[:-1] + str((int(number[-1]) + 1) % 10))


@pytest.mark.parametrize(
    "text",
    [
        VISA,
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111 1111-1111 1111",
        AMEX,
        "3782 822463 10005",
        DINERS_14,
        VISA_13,
        MAESTRO_19,
        f"my card is {VISA}, thanks",
        f"card:{VISA};exp 12/29",
        "4111 1111 1111 1111 123",  # followed by the CVV in the same run
        f"ref {VISA}x",
    ],
)
def test_c3_a_card_number_is_found_in_any_common_format(text: str) -> None:
    assert contains_card_number(text)
    assert find_card_data({"note": text}) == (CardFinding("$.note", CardDataKind.CARD_NUMBER),)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # fails Luhn
        "+966 50 123 4567",  # a Saudi mobile
        "966501234567",
        "SA2380000382608010130308",  # an IBAN is not a card
        "411111111111",  # 12 digits
        "41111111111111111111",  # 20 digits in one run
        "order 1001, 2 items",
        "2026-03-01 09:30",
        "tok_9f8e7d6c5b4a",
    ],
)
def test_what_is_not_a_card_number_passes(text: str) -> None:
    assert not contains_card_number(text)


def test_c3_card_data_is_found_at_any_depth_and_only_its_location_is_named() -> None:
    body: dict[str, Any] = {
        "contact": {"name": "Sara", "notes": ["hi", {"deep": f"pan {VISA}"}]},
        "items": [{"qty": 1, "ref": int(AMEX)}],
        "payment": {"cvv": "123", "card_number": "n/a", "token": "tok_1"},
        "flags": [True, None, 3.5],
        VISA: "smuggled as a key",
    }
    findings = find_card_data(body)
    assert {(f.location, f.kind) for f in findings} == {
        ("$.contact.notes[1].deep", CardDataKind.CARD_NUMBER),
        ("$.items[0].ref", CardDataKind.CARD_NUMBER),
        ("$.payment.cvv", CardDataKind.SECURITY_CODE),
        ("$.payment.card_number", CardDataKind.CARD_NUMBER),
        ("$.<key>", CardDataKind.CARD_NUMBER),
    }
    with pytest.raises(CardDataRefused) as caught:
        refuse_card_data(body)
    assert VISA not in str(caught.value)
    assert AMEX not in str(caught.value)


@pytest.mark.parametrize(
    "key", ["cvv", "CVV2", "cvc", "Card-Security-Code", "securityCode", "cid", "card_code"]
)
def test_c3_a_security_code_field_is_refused_whatever_it_holds(key: str) -> None:
    found = CardFinding(f"$.payment.{key}", CardDataKind.SECURITY_CODE)
    assert find_card_data({"payment": {key: 123}}) == (found,)
    assert find_card_data({"payment": {key: ""}}) == ()


def test_integers_are_read_as_digits_and_booleans_are_not_numbers() -> None:
    assert find_card_data([int(VISA)])[0].location == "$[0]"
    assert find_card_data([True, 0, -int(VISA)])[0].location == "$[2]"


def test_the_field_validator_of_the_contracts_uses_the_same_detector() -> None:
    with pytest.raises(PydanticCustomError, match="card data never enters"):
        reject_card_numbers("4111-1111-1111-1111")
    assert reject_card_numbers("tok_1") == "tok_1"


def place(name: str, **fields: str) -> Order:
    order = Order("o-1")
    order.place(
        order_requested(contact()),
        OpenedContact({"name": name} | fields),
        CATALOGUE.plan("shahid-vip-1m"),
        vat_rate_percent=15,
        policy_version=1,
    )
    return order


def test_c3_an_order_request_with_card_data_is_refused_naming_fields_not_values() -> None:
    with pytest.raises(OrderRefused) as caught:
        place(f"Sara {VISA}")
    assert caught.value.reason is RejectionReason.CARD_DATA_PRESENT
    assert "$.contact.name" in caught.value.message
    assert "1111" not in caught.value.message
    assert [type(event).__name__ for event in place("Sara").pending] == ["OrderPlaced"]


def test_c3_card_data_in_several_fields_is_named_within_the_refusals_length() -> None:
    with pytest.raises(OrderRefused) as caught:
        place(VISA, email=AMEX, phone=MAESTRO_19, billing_address=f"card {VISA_13}")
    message = caught.value.message
    assert "$.contact.name" in message
    assert " and 1 more;" in message
    assert len(message) <= 300
    assert VISA not in message


def test_a_delivery_reference_with_a_luhn_run_inside_hex_builds_a_valid_activation() -> None:
    assert delivery_reference(ORDER_WITH_LUHN_REFERENCE) == LUHN_REFERENCE
    activated = SubscriptionActivated(
        order_id=ORDER_WITH_LUHN_REFERENCE,
        customer_id="c-1",
        plan_id="shahid-vip-1m",
        starts_at=NOW,
        ends_at=NOW + timedelta(days=30),
        delivery_reference=LUHN_REFERENCE,
    )
    assert activated.delivery_reference == LUHN_REFERENCE


async def test_a_paid_order_is_activated_whatever_its_derived_reference_looks_like() -> None:
    o = orders()
    sealed = await sealed_contact(o.keys, "c-1")
    await o.handle(place_order, order_requested(sealed, order_id=ORDER_WITH_LUHN_REFERENCE))
    await o.handle(report_payment, payment(order_id=ORDER_WITH_LUHN_REFERENCE))
    types = o.types(ORDER_WITH_LUHN_REFERENCE)
    assert types == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]
    activated = o.events(ORDER_WITH_LUHN_REFERENCE)[-1]
    assert activated.delivery_reference == LUHN_REFERENCE


async def test_an_order_whose_uuid_has_a_luhn_run_across_its_dashes_is_placed() -> None:
    o = orders()
    sealed = await sealed_contact(o.keys, "c-1")
    await o.handle(place_order, order_requested(sealed, order_id=ORDER_ID_WITH_LUHN_RUN))
    [event] = o.events(ORDER_ID_WITH_LUHN_RUN)
    assert isinstance(event, OrderPlaced)
