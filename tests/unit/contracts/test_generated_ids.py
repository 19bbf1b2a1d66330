"""C3 never refuses what the system writes itself: every id, reference, token and digest it
generates passes the card-number rule, through the functions that generate it."""

from __future__ import annotations

import os
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from allwan_contracts import new_envelope
from allwan_contracts.cards import contains_card_number, find_card_data
from allwan_contracts.links import UNSUBSCRIBE_TOKEN_KIND
from allwan_gateway.domain.auth import Role, Tokens
from allwan_gateway.domain.idempotency import fingerprint, fresh_order_id, order_id_for
from allwan_gateway.domain.signatures import delivery_id
from allwan_orders.domain import salla
from allwan_orders.domain.published_catalogue import published_content
from allwan_orders.handlers.payment import delivery_reference, report_payment
from allwan_orders.handlers.placing import place_order
from allwan_runtime.keystore.cipher import MasterKeyring
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.orders.fakes import (
    CATALOGUE,
    order_requested,
    orders,
    payment,
    sealed_contact,
)
from tests.unit.orders.salla_samples import order_event, raw

IDEMPOTENCY_KEYS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8)
SUBJECTS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True)
RANDOM_RUNS = 5_000


def assert_never_card_data(*values: str) -> None:
    for value in values:
        assert not contains_card_number(value), value


@given(client=SUBJECTS, customer=SUBJECTS, key=IDEMPOTENCY_KEYS)
@example(client="storefront", customer="c-1", key="checkout-1441")  # 81260188-7085-5293-...
def test_a_keyed_order_id_and_its_delivery_reference_are_never_card_numbers(
    client: str, customer: str, key: str
) -> None:
    order_id = order_id_for(client, customer, key)
    assert_never_card_data(order_id, delivery_reference(order_id))


def test_fresh_order_ids_and_their_delivery_references_are_never_card_numbers() -> None:
    for _ in range(RANDOM_RUNS):
        order_id = fresh_order_id()
        assert_never_card_data(order_id, delivery_reference(order_id))


@given(salla_order=st.integers(1, 9_999_999_999), salla_customer=st.integers(1, 9_999_999_999))
def test_the_ids_and_references_derived_from_a_salla_order_are_never_card_numbers(
    salla_order: int, salla_customer: int
) -> None:
    body = order_event("order.refunded", slug="restored", id=salla_order)
    body["data"]["customer"]["id"] = salla_customer
    commands = salla.map_delivery(salla.parse_delivery(raw(body)), CATALOGUE)
    assert {type(command).__name__ for command in commands} >= {"PayFromSalla", "RefundFromSalla"}
    for command in commands:
        values = [getattr(command, field.name) for field in fields(command)]
        assert_never_card_data(*(value for value in values if isinstance(value, str)))
    assert_never_card_data(delivery_reference(salla.salla_id("order", salla_order)))


@given(customer=SUBJECTS)
def test_an_unsubscribe_token_is_never_a_card_number(customer: str) -> None:
    ring = MasterKeyring(keys={"m1": os.urandom(32)}, active_id="m1", index_key=os.urandom(32))
    assert_never_card_data(ring.blind_index(UNSUBSCRIBE_TOKEN_KIND, customer))


@given(
    subject=SUBJECTS,
    client=SUBJECTS,
    role=st.sampled_from(Role),
    now=st.datetimes(datetime(2020, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_a_token_the_gateway_issues_is_never_card_data(
    subject: str, client: str, role: Role, now: datetime
) -> None:
    tokens = Tokens(
        "a-secret-of-at-least-32-bytes-long!", "allwan", "storefront", timedelta(hours=1)
    )
    token = tokens.issue(role, subject, client, now)
    assert find_card_data({"access_token": token, "token_type": "Bearer"}) == ()


@given(body=st.binary(max_size=512), request=st.dictionaries(st.text(), st.text(), max_size=4))
def test_delivery_ids_and_request_fingerprints_are_never_card_numbers(
    body: bytes, request: dict[str, str]
) -> None:
    assert_never_card_data(delivery_id(body), fingerprint(os.urandom(32), request))


async def test_the_events_of_a_paid_order_as_stored_hold_no_card_data() -> None:
    o = orders()
    for _ in range(100):
        order_id = fresh_order_id()
        contact = await sealed_contact(o.keys, "c-1")
        await o.handle(place_order, order_requested(contact, order_id=order_id))
        await o.handle(report_payment, payment(order_id=order_id))
        stored = o.stream(order_id)
        assert [envelope.event_type for envelope in stored][-1] == "SubscriptionActivated"
        assert find_card_data([envelope.model_dump(mode="json") for envelope in stored]) == ()


def test_the_published_catalogue_event_holds_no_card_data() -> None:
    envelope = new_envelope(
        published_content(CATALOGUE), aggregate_version=1, producer="orders", correlation_id=uuid4()
    )
    assert find_card_data(envelope.model_dump(mode="json")) == ()
