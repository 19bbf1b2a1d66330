"""The storefront's pure rules: the checkout form's fields (A1, C3, K2), the gateway's 422
locations back to fields, plan lengths in words, the recent-plans cookie, and when an order's
page follows a decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts import AgeAttestation
from allwan_web.domain import orders as rules
from allwan_web.domain.catalogue import (
    Catalogue,
    months_key,
    plan_id_ok,
    recent_after_viewing,
    recent_plans,
)
from allwan_web.domain.checkout import (
    field_of,
    gateway_errors,
    latin_digits,
    read_checkout,
    valid_form_key,
)
from allwan_web.domain.orders import Asked, Following

GOOD = {
    "name": "Noura",
    "email": "noura@example.com",
    "phone": "+966512345678",
    "billing_address": "",
    "quantity": "1",
    "age_attestation": "legal_age",
}
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_a_complete_form_is_a_checkout_with_trimmed_values_and_no_address() -> None:
    filled = read_checkout(GOOD | {"name": "  Noura  "}, max_quantity=5)

    assert filled.errors == {}
    assert filled.checkout is not None
    body = filled.checkout.order("plan-1", "tok_abc", "ar")
    assert body == {
        "plan_id": "plan-1",
        "quantity": 1,
        "contact": {"name": "Noura", "email": "noura@example.com", "phone": "+966512345678"},
        "age_attestation": "legal_age",
        "payment_token": "tok_abc",
        "marketing_opt_in": False,
        "locale": "ar",
    }


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("name", "", "checkout.errors.name_required"),
        ("name", " \t ", "checkout.errors.name_required"),
        ("name", "x" * 201, "checkout.errors.name_long"),
        ("email", "", "checkout.errors.email_required"),
        ("email", "noura@", "checkout.errors.email_invalid"),
        ("email", "no ura@example.com", "checkout.errors.email_invalid"),
        ("email", "a" * 65 + "@example.com", "checkout.errors.email_invalid"),
        ("phone", "", "checkout.errors.phone_required"),
        ("phone", "12345", "checkout.errors.phone_invalid"),
        ("phone", "05-1234-abcd", "checkout.errors.phone_invalid"),
        ("billing_address", "x" * 501, "checkout.errors.address_long"),
        ("quantity", "0", "checkout.errors.quantity"),
        ("quantity", "6", "checkout.errors.quantity"),
        ("quantity", "-1", "checkout.errors.quantity"),
        ("quantity", "1.5", "checkout.errors.quantity"),
        ("quantity", "²", "checkout.errors.quantity"),
        ("quantity", "", "checkout.errors.quantity"),
        ("age_attestation", "", "checkout.errors.age_required"),
        ("age_attestation", "adult", "checkout.errors.age_required"),
    ],
)
def test_each_rule_refuses_its_field_with_its_own_message(field: str, value: str, key: str) -> None:
    filled = read_checkout(GOOD | {field: value}, max_quantity=5)

    assert filled.errors == {field: key}
    assert filled.checkout is None


def test_a1_the_attestation_is_never_assumed() -> None:
    without = dict(GOOD)
    del without["age_attestation"]

    assert read_checkout(without, 5).errors == {"age_attestation": "checkout.errors.age_required"}
    for choice in AgeAttestation:
        checkout = read_checkout(GOOD | {"age_attestation": choice.value}, 5).checkout
        assert checkout is not None
        assert checkout.age_attestation is choice


@pytest.mark.parametrize(("sent", "consent"), [("yes", True), ("on", False), ("", False)])
def test_k2_marketing_is_consent_only_from_the_ticked_box(sent: str, consent: bool) -> None:
    checkout = read_checkout(GOOD | {"marketing_opt_in": sent}, 5).checkout

    assert checkout is not None
    assert checkout.marketing_opt_in is consent


@pytest.mark.parametrize("field", ["name", "email", "phone", "billing_address"])
@pytest.mark.parametrize("card", ["4111111111111111", "4111 1111 1111 1111", "٤١١١١١١١١١١١١١١١"])
def test_c3_a_card_number_in_a_field_is_refused_and_not_kept_to_show_again(
    field: str, card: str
) -> None:
    filled = read_checkout(GOOD | {field: f"x {card} y"}, 5)

    assert filled.errors[field] == "checkout.errors.card_data"
    assert filled.values[field] == ""
    assert filled.checkout is None


def test_a_phone_number_is_not_mistaken_for_a_card() -> None:
    assert read_checkout(GOOD | {"phone": "+966 51 234 5678"}, 5).errors == {}


def test_arabic_indic_digits_are_read_as_digits() -> None:
    assert latin_digits("٠٥١٢ ۳۴") == "0512 34"
    checkout = read_checkout(GOOD | {"phone": "٠٥١٢٣٤٥٦٧٨", "quantity": "٢"}, 5).checkout
    assert checkout is not None
    assert (checkout.phone, checkout.quantity) == ("0512345678", 2)


def test_values_shown_again_are_cut_to_a_bounded_length() -> None:
    filled = read_checkout(GOOD | {"billing_address": "x" * 50_000}, 5)

    assert len(filled.values["billing_address"]) == 1000


@pytest.mark.parametrize(
    ("location", "field"),
    [
        ("body.contact.name", "name"),
        ("body.contact.email", "email"),
        ("body.contact.billing_address", "billing_address"),
        ("$.contact.phone", "phone"),
        ("body.quantity", "quantity"),
        ("body.age_attestation", "age_attestation"),
        ("body.payment_token", None),
        ("body.contact", None),
        ("body.contact.<key>", None),
        ("header.idempotency-key", None),
        ("", None),
    ],
)
def test_a_gateway_location_points_at_its_form_field(location: str, field: str | None) -> None:
    assert field_of(location) == field


def test_gateway_errors_become_field_errors_and_the_rest_a_form_error() -> None:
    errors: list[dict[str, Any]] = [
        {"location": "body.contact.email", "kind": "string_pattern_mismatch"},
        {"location": "$.contact.name", "kind": "card_data"},
        {"location": "body.locale", "kind": "literal_error"},
    ]

    assert gateway_errors(errors) == (
        {"email": "checkout.errors.email_invalid", "name": "checkout.errors.card_data"},
        True,
    )
    assert gateway_errors(errors[:1]) == ({"email": "checkout.errors.email_invalid"}, False)


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("a" * 32, True),
        ("Ab3_-" * 4, True),
        ("short", False),
        ("x" * 65, False),
        ("has space in it!", False),
        ("ünïcode-key-ünïcode", False),
        ("", False),
        (None, False),
    ],
)
def test_a_form_key_is_16_to_64_url_safe_characters(key: str | None, ok: bool) -> None:
    assert valid_form_key(key) is ok


@pytest.mark.parametrize(
    ("months", "key"),
    [
        (1, "plan.months.one"),
        (2, "plan.months.two"),
        (3, "plan.months.few"),
        (10, "plan.months.few"),
        (11, "plan.months.many"),
        (24, "plan.months.many"),
        (100, "plan.months.hundreds"),
        (103, "plan.months.few"),
    ],
)
def test_plan_lengths_take_the_arabic_count_forms(months: int, key: str) -> None:
    assert months_key(months) == key


def test_the_recent_plans_cookie_keeps_the_last_three_newest_first() -> None:
    cookie = None
    for viewed in ("a", "b", "c", "d", "b"):
        cookie = recent_after_viewing(cookie, viewed)

    assert cookie == "b.d.c"
    assert recent_plans(cookie) == ["b", "d", "c"]


def test_a_malformed_recent_cookie_yields_only_well_formed_plan_ids() -> None:
    assert recent_plans("a..<x>.a.-bad.b.c.d") == ["a", "b", "c"]
    assert recent_plans(None) == []
    assert not plan_id_ok("a.b")
    assert not plan_id_ok("x" * 65)


def test_the_catalogue_prices_the_vat_inside_each_plan_and_hides_retired_ones() -> None:
    catalogue = Catalogue.read(
        {
            "vat_rate_percent": 15,
            "products": [
                {
                    "product_id": "p",
                    "name_ar": "منتج",
                    "name_en": "Product",
                    "plans": [
                        {"plan_id": "on", "months": 1, "price_halalas": 2990,
                         "max_quantity": 5, "retired": False},
                        {"plan_id": "off", "months": 3, "price_halalas": 7990,
                         "max_quantity": 5, "retired": True},
                    ],
                },
                {
                    "product_id": "gone",
                    "name_ar": "قديم",
                    "name_en": "Old",
                    "plans": [{"plan_id": "old", "months": 1, "price_halalas": 100,
                               "max_quantity": 1, "retired": True}],
                },
            ],
        }
    )  # fmt: skip

    [product] = catalogue.on_sale()
    assert [offer.plan_id for offer in product.offers] == ["on"]
    on = catalogue.offer("on")
    assert on is not None
    assert on.vat_halalas == 390
    off = catalogue.offer("off")
    assert off is not None
    assert off.retired
    assert catalogue.offer("nope") is None


def order(status: str, **fields: Any) -> dict[str, Any]:
    return {"order_id": "o-1", "status": status, **fields}


def test_a_pending_order_is_followed_for_two_minutes_from_its_request() -> None:
    pending = order("pending", requested_at=NOW.isoformat())

    assert rules.follows(pending, None, NOW + timedelta(minutes=2))
    assert not rules.follows(pending, None, NOW + timedelta(minutes=2, seconds=1))
    assert rules.awaiting(pending, None)


def test_a_payment_is_followed_until_the_subscription_runs() -> None:
    asked = Following(Asked.PAYMENT, NOW)
    later = NOW + timedelta(seconds=5)

    assert rules.follows(order("placed"), asked, later)
    assert rules.follows(order("paid"), asked, later)
    assert not rules.follows(order("active"), asked, later)
    assert not rules.follows(order("placed"), asked, NOW + timedelta(minutes=3))
    assert not rules.follows(order("placed"), None, later)


def test_a_cancellation_is_followed_until_cancelled_or_refused() -> None:
    asked = Following(Asked.CANCELLATION, NOW)
    later = NOW + timedelta(seconds=5)
    refused = {"request": "cancellation", "reason": "invalid_transition"}

    assert rules.follows(order("active"), asked, later)
    assert not rules.follows(order("cancelled"), asked, later)
    assert not rules.follows(
        order("active", rejection=refused | {"at": later.isoformat()}), asked, later
    )
    # A refusal from before the request is an earlier one: still following.
    earlier = refused | {"at": (NOW - timedelta(days=1)).isoformat()}
    assert rules.follows(order("active", rejection=earlier), asked, later)
    # A refusal of another kind of request is not the answer to this one.
    payment = {"request": "payment", "reason": "x", "at": later.isoformat()}
    assert rules.follows(order("active", rejection=payment), asked, later)


@pytest.mark.parametrize(
    ("status", "payable", "cancellable"),
    [
        ("pending", False, False),
        ("placed", True, True),
        ("paid", False, True),
        ("active", False, True),
        ("cancelled", False, False),
        ("refunded", False, False),
        ("expired", False, False),
        ("rejected", False, False),
    ],
)
def test_what_a_customer_may_ask_of_each_status(
    status: str, payable: bool, cancellable: bool
) -> None:
    assert rules.can_pay(order(status), None, NOW) is payable
    assert rules.can_cancel(order(status), None, NOW) is cancellable


def test_nothing_is_offered_twice_while_its_answer_is_awaited() -> None:
    soon = NOW + timedelta(seconds=5)

    assert not rules.can_pay(order("placed"), Following(Asked.PAYMENT, NOW), soon)
    assert not rules.can_cancel(order("placed"), Following(Asked.CANCELLATION, NOW), soon)
    assert rules.can_pay(order("placed"), Following(Asked.PAYMENT, NOW), NOW + timedelta(hours=1))


def test_following_survives_its_encoding_and_nonsense_is_none() -> None:
    asked = Following(Asked.CANCELLATION, NOW)

    assert Following.decode(asked.encode()) == asked
    for nonsense in (None, "", "refund@2026-03-01T09:30:00+00:00", "payment@yesterday"):
        assert Following.decode(nonsense) is None


def test_statuses_reasons_and_requests_have_words_or_a_fallback() -> None:
    assert rules.status_key("active") == "order.status.active"
    assert rules.status_key("teleported") == "order.status.unknown"
    assert rules.explain_key("teleported") == "order.explain.unknown"
    assert rules.reason_key("amount_mismatch") == "order.reason.amount_mismatch"
    assert rules.reason_key("{evil}") == "order.reason.other"
    assert rules.request_key("payment") == "order.request.payment"
    assert rules.request_key(None) == "order.request.other"


def test_every_status_reason_and_request_the_contracts_know_has_words() -> None:
    from allwan_contracts import OrderRequestKind, RejectionReason
    from allwan_web.messages import Messages

    table = Messages.load().table
    for status in rules.STATUSES | {"unknown"}:
        assert f"order.status.{status}" in table
        assert f"order.explain.{status}" in table
    for reason in RejectionReason:
        assert rules.reason_key(reason.value) in table
        assert rules.reason_key(reason.value) != "order.reason.other", reason
    for kind in OrderRequestKind:
        assert rules.request_key(kind.value) == f"order.request.{kind.value}"
        assert rules.request_key(kind.value) in table
    for months in range(1, 37):
        assert months_key(months) in table
