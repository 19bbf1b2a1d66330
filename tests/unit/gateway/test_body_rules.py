"""C3: card data is refused anywhere in a body, never echoed; no '$' or '.' keys anywhere;
size limits (S1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allwan_contracts.cards import CardDataRefused, refuse_card_data
from allwan_gateway.domain.body_rules import MalformedBody, operator_keys, parse_json

from tests.unit.gateway.fakes import Harness, harness
from tests.unit.gateway.test_problems import ORDER, assert_problem

PAN = "4111 1111 1111 1111"


@pytest.mark.parametrize(
    "body",
    [
        ORDER | {"payment_token": PAN},
        ORDER | {"contact": ORDER["contact"] | {"name": f"Noura {PAN}"}},
        ORDER | {"contact": ORDER["contact"] | {"billing_address": "4111-1111-1111-1111"}},
        ORDER | {"card_number": "5500000000000004"},
        ORDER | {"cvv": "123"},
        ORDER | {"notes": ["fine", {"deep": 4111111111111111}]},
        ORDER | {PAN: "as a key"},
    ],
    ids=["token", "name", "address", "card-key", "cvv", "deep-int", "key"],
)
async def test_c3_card_data_anywhere_in_a_body_is_refused_and_never_echoed(
    gw: Harness, body: dict[str, Any]
) -> None:
    async with gw.client() as http:
        answer = await http.post("/v1/orders", json=body, headers=gw.customer("cust-1"))

    problem = assert_problem(answer, 422, "card-data-refused")
    assert problem["errors"]
    for value in ("4111 1111", "4111-1111", "4111111111111111", "5500000000000004", '"123"'):
        assert value not in answer.text
    assert gw.store.envelopes() == []


async def test_c3_a_card_number_in_a_consent_request_is_refused_too(gw: Harness) -> None:
    async with gw.client() as http:
        answer = await http.post(
            "/v1/customers/cust-1/consents",
            json={"purpose": "marketing", "action": "withdraw", "note": "4111111111111111"},
            headers=gw.customer("cust-1"),
        )

    assert_problem(answer, 422, "card-data-refused")


@pytest.mark.parametrize(
    "body",
    [
        ORDER | {"$where": "1"},
        ORDER | {"contact": ORDER["contact"] | {"$gt": ""}},
        ORDER | {"a.b": 1},
        ORDER | {"list": [{"$ne": None}]},
    ],
    ids=["top", "nested", "dotted", "in-list"],
)
async def test_s1_mongo_operator_keys_are_refused_anywhere(
    gw: Harness, body: dict[str, Any]
) -> None:
    async with gw.client() as http:
        answer = await http.post("/v1/orders", json=body, headers=gw.customer("cust-1"))

    assert_problem(answer, 422, "invalid-key")
    assert gw.store.envelopes() == []


async def test_a_repeated_key_is_malformed(gw: Harness) -> None:
    raw = b'{"purpose": "marketing", "action": "grant", "action": "withdraw"}'
    async with gw.client() as http:
        answer = await http.post(
            "/v1/customers/cust-1/consents",
            content=raw,
            headers=gw.customer("cust-1") | {"content-type": "application/json"},
        )

    assert_problem(answer, 400, "malformed-json")


async def test_s1_a_body_over_the_limit_is_refused_before_it_is_read_whole() -> None:
    gw = harness(max_body_bytes=2048)
    big = json.dumps(ORDER | {"padding": "x" * 4096}).encode()

    async def chunks() -> Any:
        for start in range(0, len(big), 1024):
            yield big[start : start + 1024]

    async with gw.client() as http:
        declared = await http.post(
            "/v1/orders",
            content=big,
            headers=gw.customer("c-1") | {"content-type": "application/json"},
        )
        streamed = await http.post(
            "/v1/orders",
            content=chunks(),
            headers=gw.customer("c-1") | {"content-type": "application/json"},
        )

    assert_problem(declared, 413, "payload-too-large")
    assert_problem(streamed, 413, "payload-too-large")


def test_findings_name_locations_never_values() -> None:
    body = {"contact": {"notes": ["ok", PAN]}, "$set": {"a.b": 1}}

    with pytest.raises(CardDataRefused) as refused:
        refuse_card_data(body)

    assert [finding.location for finding in refused.value.findings] == ["$.contact.notes[1]"]
    assert PAN not in str(refused.value)
    assert operator_keys(body) == ["$.<key>", "$.<key>.<key>"]


def test_json_must_be_utf8_without_repeated_keys() -> None:
    assert parse_json(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    for raw in (b"\xff\xfe", b'{"a": 1, "a": 2}', b"{"):
        with pytest.raises(MalformedBody):
            parse_json(raw)
