from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allwan_contracts import (
    REGISTRY,
    ConsentEvidence,
    CustomerErased,
    ErasureReason,
    Event,
    OrderPaid,
    OrderPlaced,
    PolicyChanged,
    SubscriptionActivated,
    reject_card_numbers,
)
from pydantic import ValidationError

from .factories import SAMPLES, WHEN, order_placed, order_placed_fields


@pytest.mark.parametrize("model", REGISTRY.event_classes, ids=lambda model: model.event_type)
def test_p1_every_event_model_rejects_unknown_fields(model: type[Event]) -> None:
    payload = SAMPLES[model].model_dump(mode="json")
    assert model.model_validate(payload) == SAMPLES[model]
    with pytest.raises(ValidationError, match="extra_forbidden"):
        model.model_validate(payload | {"date_of_birth": "2001-01-01"})


@pytest.mark.parametrize("model", REGISTRY.event_classes, ids=lambda model: model.event_type)
def test_every_event_is_immutable(model: type[Event]) -> None:
    event = SAMPLES[model]
    field = next(iter(model.model_fields))
    with pytest.raises(ValidationError, match="frozen_instance"):
        setattr(event, field, getattr(event, field))


def test_a1_order_without_age_attestation_is_refused() -> None:
    fields = order_placed_fields()
    del fields["age_attestation"]
    with pytest.raises(ValidationError, match="age_attestation"):
        OrderPlaced(**fields)


def test_a1_order_with_guardian_consent_is_accepted() -> None:
    assert order_placed(age_attestation="guardian_consent").age_attestation == "guardian_consent"


def test_a1_order_with_an_unknown_attestation_is_refused() -> None:
    with pytest.raises(ValidationError, match="age_attestation"):
        order_placed(age_attestation="trust_me")


def test_k2_marketing_is_off_unless_opted_in() -> None:
    fields = order_placed_fields()
    del fields["marketing_opt_in"]
    assert OrderPlaced(**fields).marketing_opt_in is False


@pytest.mark.parametrize("value", ["yes", "true", 1])
def test_k2_marketing_opt_in_must_be_a_real_boolean(value: Any) -> None:
    with pytest.raises(ValidationError, match="marketing_opt_in"):
        order_placed(marketing_opt_in=value)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"subtotal_halalas": 39_799}, id="subtotal-not-unit-times-quantity"),
        pytest.param({"vat_halalas": 1_990, "total_halalas": 41_790}, id="vat-at-5-percent"),
        pytest.param({"total_halalas": 45_771}, id="total-not-subtotal-plus-vat"),
        pytest.param({"unit_price_halalas": 199.0}, id="price-as-float"),
        pytest.param({"unit_price_halalas": -1}, id="negative-price"),
        pytest.param({"quantity": 0}, id="zero-quantity"),
        pytest.param({"currency": "USD"}, id="not-sar"),
        pytest.param({"locale": "fr"}, id="unknown-locale"),
    ],
)
def test_order_amounts_are_whole_halalas_that_add_up(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        order_placed(**overrides)


def test_inconsistent_amounts_are_named_by_a_machine_readable_type() -> None:
    with pytest.raises(ValidationError) as caught:
        order_placed(total_halalas=45_771)
    assert [error["type"] for error in caught.value.errors()] == ["amounts_inconsistent"]


def test_order_vat_may_differ_by_one_halala_from_rounding() -> None:
    assert order_placed(vat_halalas=5_971, total_halalas=45_771).vat_halalas == 5_971


@pytest.mark.parametrize(
    "text", ["4111111111111111", "4111 1111 1111 1111", "note 5500-0000-0000-0004 x"]
)
def test_c3_text_carrying_a_card_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="card number"):
        reject_card_numbers(text)


@pytest.mark.parametrize("text", ["4111111111111112", "966563120415", "tok_4111"])
def test_c3_numbers_that_are_not_card_numbers_pass(text: str) -> None:
    assert reject_card_numbers(text) == text


def test_c3_payment_token_that_is_a_card_number_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        order_placed(payment_token="4111111111111111")
    assert "card number" in str(caught.value)
    assert "4111111111111111" not in str(caught.value)


@pytest.mark.parametrize("last4", ["123", "12345", "12a4", "١٢٣٤", "4111111111111111"])
def test_c3_card_last4_is_exactly_four_ascii_digits(last4: str) -> None:
    fields = SAMPLES[OrderPaid].model_dump() | {"card_last4": last4}
    with pytest.raises(ValidationError, match="card_last4"):
        OrderPaid(**fields)


def test_subscription_must_end_after_it_starts() -> None:
    fields = SAMPLES[SubscriptionActivated].model_dump() | {"ends_at": WHEN - timedelta(days=1)}
    with pytest.raises(ValidationError, match="ends_at must be after starts_at"):
        SubscriptionActivated(**fields)


@pytest.mark.parametrize("ip_hmac", ["192.168.1.10", "2001:db8::1", "A" * 64, "0" * 63])
def test_c2_consent_evidence_holds_a_keyed_hash_never_a_raw_ip(ip_hmac: str) -> None:
    with pytest.raises(ValidationError, match="ip_hmac"):
        ConsentEvidence(ip_hmac=ip_hmac)


def test_erasure_on_request_names_the_channel_it_came_by() -> None:
    with pytest.raises(ValidationError, match="names the channel"):
        CustomerErased(customer_id="c1", erased_at=WHEN, reason=ErasureReason.CUSTOMER_REQUEST)


def test_erasure_when_retention_ends_needs_no_channel() -> None:
    erased = CustomerErased(customer_id="c1", erased_at=WHEN, reason=ErasureReason.RETENTION_ENDED)
    assert erased.requested_via is None


def test_pc1_policy_url_must_be_https() -> None:
    fields = SAMPLES[PolicyChanged].model_dump() | {"url": "http://allwanstores.com/privacy"}
    with pytest.raises(ValidationError, match="url"):
        PolicyChanged(**fields)


def test_aggregate_id_is_the_field_the_topic_is_keyed_by() -> None:
    assert SAMPLES[OrderPaid].aggregate_id() == "1001"
    assert SAMPLES[CustomerErased].aggregate_id() == "cust-42"
    assert SAMPLES[PolicyChanged].aggregate_id() == "privacy"


def test_an_erasure_request_from_the_customer_must_name_its_channel() -> None:
    from allwan_contracts.intake import ErasureRequested

    with pytest.raises(ValidationError, match="erasure_channel_missing"):
        ErasureRequested(
            customer_id="cust-42", requested_by="staff:7", reason=ErasureReason.CUSTOMER_REQUEST
        )
    retention = ErasureRequested(
        customer_id="cust-42", requested_by="service:consent", reason=ErasureReason.RETENTION_ENDED
    )
    assert retention.requested_via is None
