from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest
from allwan_contracts import Envelope, MalformedMessage, decode, encode
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError


def envelope_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_type": "OrderExpired",
        "schema_version": 1,
        "occurred_at": datetime(2026, 3, 1, tzinfo=UTC),
        "aggregate_type": "order",
        "aggregate_id": "1001",
        "aggregate_version": 7,
        "producer": "orders",
        "correlation_id": uuid4(),
        "payload": {"order_id": "1001"},
    }
    return fields | overrides


def test_envelope_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        Envelope(**envelope_fields(customer_email="x"))


def test_envelope_rejects_a_naive_occurred_at() -> None:
    with pytest.raises(ValidationError, match="timezone_aware"):
        Envelope(**envelope_fields(occurred_at=datetime(2026, 3, 1)))


def test_envelope_keeps_occurred_at_in_utc() -> None:
    riyadh = timezone(timedelta(hours=3))
    envelope = Envelope(**envelope_fields(occurred_at=datetime(2026, 3, 1, 12, tzinfo=riyadh)))
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    assert envelope.occurred_at == datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_envelope_refuses_an_instant_that_cannot_be_expressed_in_utc() -> None:
    plus_five = timezone(timedelta(hours=5))
    with pytest.raises(ValidationError, match="datetime_out_of_range"):
        Envelope(**envelope_fields(occurred_at=datetime(1, 1, 1, tzinfo=plus_five)))


def test_encode_writes_compact_utf8_json() -> None:
    raw = encode(Envelope(**envelope_fields(payload={"note": "مرحبا"})))
    assert b": " not in raw
    assert b", " not in raw
    assert "مرحبا".encode() in raw
    assert json.loads(raw)["payload"] == {"note": "مرحبا"}


@pytest.mark.parametrize("raw", [b"", b"\xff\xfe{}", b"not json", b'{"event_id": '])
def test_decode_refuses_bytes_that_are_not_json(raw: bytes) -> None:
    with pytest.raises(MalformedMessage) as caught:
        decode(raw)
    assert caught.value.reason == "not_json"


@pytest.mark.parametrize("raw", [b"[]", b"42", b'{"event_type": "OrderPaid"}'])
def test_decode_refuses_json_that_is_not_an_envelope(raw: bytes) -> None:
    with pytest.raises(MalformedMessage) as caught:
        decode(raw)
    assert caught.value.reason == "invalid_envelope"


def test_decode_refuses_an_envelope_with_an_unknown_field() -> None:
    raw = json.dumps(json.loads(encode(Envelope(**envelope_fields()))) | {"pii": 1}).encode()
    with pytest.raises(MalformedMessage, match="pii: extra_forbidden"):
        decode(raw)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_offsets = st.integers(-23 * 60, 23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
envelopes = st.builds(
    Envelope,
    event_id=st.uuids(),
    event_type=st.from_regex(r"\A[A-Z][A-Za-z0-9]{0,40}\Z"),
    schema_version=st.integers(1, 10**6),
    occurred_at=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=_offsets
    ),
    aggregate_type=st.from_regex(r"\A[a-z][a-z_]{0,40}\Z"),
    aggregate_id=st.text(min_size=1, max_size=200),
    aggregate_version=st.integers(1, 2**53),
    producer=st.text(min_size=1, max_size=50),
    correlation_id=st.uuids(),
    causation_id=st.none() | st.uuids(),
    payload=st.dictionaries(st.text(max_size=20), _json_values, max_size=6),
)


@given(envelopes)
def test_decode_of_encode_gives_back_the_same_envelope(envelope: Envelope) -> None:
    assert decode(encode(envelope)) == envelope
