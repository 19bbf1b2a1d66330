from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from allwan_contracts import (
    REGISTRY,
    ContractViolation,
    CustomerContact,
    Envelope,
    Event,
    EventRegistry,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    UnknownEventType,
    UnsupportedSchemaVersion,
    decode,
    encode,
    event_class,
    latest_version,
    new_envelope,
    read_event,
)
from allwan_contracts.upcasting import UPCASTERS, upcast_order_placed_v1_to_v2

from .factories import CT, IV, SAMPLES, order_placed_fields, sealed

_SEALED = f'{{"alg":"A256GCM","kid":"cust-42.v1","iv":"{IV}","ct":"{CT}"}}'
STORED_V1_ORDER_PLACED = (
    '{"event_id":"0b7c6f4e-3f7a-4c55-9a64-2f1e8d1c9a01","event_type":"OrderPlaced",'
    '"schema_version":1,"occurred_at":"2025-03-01T09:30:00Z","aggregate_type":"order",'
    '"aggregate_id":"1001","aggregate_version":1,"producer":"orders",'
    '"correlation_id":"5d2b8a8e-6a0b-4d8e-8d59-3c1f0b7e2a10","causation_id":null,'
    '"payload":{"order_id":"1001","customer_id":"cust-42","plan_id":"shahid-vip-12m",'
    '"quantity":2,"unit_price":19900,"subtotal":39800,"vat":5970,"total":45770,'
    f'"contact":{{"name":{_SEALED},"email":{_SEALED},"phone":{_SEALED},'
    '"billing_address":null},"age_attestation":"legal_age",'
    '"payment_token":"tok_9f8e7d6c5b4a","marketing_opt_in":false,"policy_version":3}}'
).encode()
"""An OrderPlaced as the first release of the order service stored it (schema v1)."""


def envelope_of(event: Event, **overrides: Any) -> Envelope:
    envelope = new_envelope(event, aggregate_version=1, producer="orders", correlation_id=uuid4())
    return envelope.model_copy(update=overrides)


def test_order_placed_is_at_schema_version_2() -> None:
    assert latest_version("OrderPlaced") == 2
    assert event_class("OrderPlaced") is OrderPlaced


def test_stored_v1_order_placed_is_read_as_v2_and_its_bytes_are_untouched() -> None:
    envelope = decode(STORED_V1_ORDER_PLACED)

    event = read_event(envelope)

    v1_contact = CustomerContact(
        name=sealed(), email=sealed(), phone=sealed(), billing_address=None
    )
    assert event == OrderPlaced(**order_placed_fields(contact=v1_contact))
    assert isinstance(event, OrderPlaced)
    assert (event.unit_price_halalas, event.currency, event.locale) == (19_900, "SAR", "ar")
    assert envelope.schema_version == 1
    assert "unit_price" in envelope.payload
    assert encode(envelope) == STORED_V1_ORDER_PLACED


def test_an_upcaster_that_mutates_its_input_cannot_reach_the_stored_envelope() -> None:
    def vandalising_upcaster(payload: dict[str, Any]) -> dict[str, Any]:
        v2 = upcast_order_placed_v1_to_v2(payload)
        payload.clear()
        return v2

    registry = EventRegistry(
        events=[OrderPlaced], upcasters={("OrderPlaced", 1): vandalising_upcaster}
    )
    envelope = decode(STORED_V1_ORDER_PLACED)
    assert isinstance(registry.read_event(envelope), OrderPlaced)
    assert encode(envelope) == STORED_V1_ORDER_PLACED


def test_upcaster_returns_a_new_payload_and_leaves_its_input_alone() -> None:
    v1 = json.loads(STORED_V1_ORDER_PLACED)["payload"]
    before = json.dumps(v1)
    v2 = upcast_order_placed_v1_to_v2(v1)
    assert json.dumps(v1) == before
    assert "unit_price" not in v2
    assert v2["total_halalas"] == 45_770


def test_v1_order_missing_a_price_fails_upcasting_with_a_reason() -> None:
    envelope = decode(STORED_V1_ORDER_PLACED)
    broken = envelope.model_copy(update={"payload": envelope.payload | {"unit_price": None}})
    del broken.payload["vat"]
    with pytest.raises(ContractViolation) as caught:
        read_event(broken)
    assert caught.value.reason == "upcast_failed"


def test_unknown_event_type_is_refused() -> None:
    envelope = envelope_of(SAMPLES[OrderPaid], event_type="OrderTeleported")
    with pytest.raises(UnknownEventType) as caught:
        read_event(envelope)
    assert caught.value.reason == "unknown_event_type"


def test_schema_version_from_the_future_is_refused() -> None:
    envelope = envelope_of(SAMPLES[OrderPaid], schema_version=2)
    with pytest.raises(UnsupportedSchemaVersion) as caught:
        read_event(envelope)
    assert caught.value.reason == "schema_version_too_new"


def test_old_version_without_an_upcaster_path_is_refused() -> None:
    without_upcasters = EventRegistry(events=[OrderPlaced], upcasters={})
    with pytest.raises(UnsupportedSchemaVersion) as caught:
        without_upcasters.read_event(decode(STORED_V1_ORDER_PLACED))
    assert caught.value.reason == "no_upcaster"


def test_contract_violation_names_locations_never_values() -> None:
    payload = SAMPLES[OrderPlaced].model_dump(mode="json")
    payload["contact"]["email"] = "jane.doe@example.com"
    payload["payment_token"] = "4111111111111111"
    payload["jane.doe@example.com"] = "0563120415"
    envelope = envelope_of(SAMPLES[OrderPlaced], payload=payload)

    with pytest.raises(ContractViolation) as caught:
        read_event(envelope)

    error = caught.value
    assert error.reason == "invalid_payload"
    assert error.problems == (
        "contact.email: model_type",
        "payment_token: card_number",
        "<redacted>: extra_forbidden",
    )
    for shown in (str(error), repr(error)):
        for value in ("jane.doe@example.com", "4111111111111111", "0563120415"):
            assert value not in shown


@pytest.mark.parametrize(
    "overrides", [{"aggregate_id": "9999"}, {"aggregate_type": "customer"}], ids=["id", "type"]
)
def test_envelope_that_disagrees_with_its_payload_is_refused(overrides: dict[str, str]) -> None:
    with pytest.raises(ContractViolation) as caught:
        read_event(envelope_of(SAMPLES[OrderPaid], **overrides))
    assert caught.value.reason == "envelope_mismatch"


@pytest.mark.parametrize("model", REGISTRY.event_classes, ids=lambda model: model.event_type)
def test_every_event_survives_publishing_and_reading(model: type[Event]) -> None:
    envelope = envelope_of(SAMPLES[model])
    assert (envelope.event_type, envelope.schema_version) == (
        model.event_type,
        model.schema_version,
    )
    assert envelope.aggregate_type == model.aggregate_type
    assert read_event(decode(encode(envelope))) == SAMPLES[model]


def _concrete_events(base: type[Event]) -> set[type[Event]]:
    found: set[type[Event]] = set()
    for sub in base.__subclasses__():
        if sub.__module__.startswith("allwan_contracts.") and "event_type" in sub.__dict__:
            found.add(sub)
        found |= _concrete_events(sub)
    return found


def test_every_event_class_is_registered() -> None:
    assert _concrete_events(Event) == set(REGISTRY.event_classes)
    assert REGISTRY.event_classes


def test_new_envelope_refuses_a_model_that_is_not_the_registered_one() -> None:
    class OrderPaidCopy(OrderPaid):
        pass

    with pytest.raises(UnknownEventType):
        new_envelope(
            OrderPaidCopy(**SAMPLES[OrderPaid].model_dump()),
            aggregate_version=1,
            producer="orders",
            correlation_id=uuid4(),
        )


def test_registry_refuses_an_event_type_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        EventRegistry(events=[OrderPaid, OrderPaid], upcasters={})


def test_registry_refuses_an_upcaster_that_reads_no_older_version() -> None:
    with pytest.raises(ValueError, match="upcaster"):
        EventRegistry(events=[OrderPaid], upcasters={("OrderPaid", 1): lambda p: p})
    with pytest.raises(ValueError, match="upcaster"):
        EventRegistry(events=[OrderPaid], upcasters=UPCASTERS)


def test_a_v1_refund_reads_as_partial_because_only_the_order_can_add_refunds_up() -> None:
    sample = SAMPLES[OrderRefunded]
    assert isinstance(sample, OrderRefunded)
    v1 = sample.model_dump(mode="json", exclude={"fully_refunded"})
    envelope = new_envelope(
        sample, aggregate_version=3, producer="orders", correlation_id=uuid4()
    ).model_copy(update={"schema_version": 1, "payload": v1})
    event = read_event(envelope)
    assert isinstance(event, OrderRefunded)
    assert event.fully_refunded is False
    assert event.refund_halalas == sample.refund_halalas
