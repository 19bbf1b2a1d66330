"""C3 at the edge: a card number is refused wherever the gateway reads a request, not only in
its JSON body: in the headers it reads, in every query parameter (name and value) and in the
path. The refusal names the location, never the number; cookies and the browser's other
headers are not the gateway's input and are not refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.unit.gateway.fakes import SECRETS, Harness
from tests.unit.gateway.test_orders import FULL_ORDER

PAN = "4111111111111111"
CARD_DATA = "urn:allwan:problem:card-data-refused"


def assert_refused(answer: httpx.Response, *locations: str) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["type"] == CARD_DATA
    assert [error["location"] for error in body["errors"]] == list(locations)
    assert PAN not in answer.text
    assert "4111" not in answer.text
    return body


async def test_c3_a_card_number_as_the_idempotency_key_is_refused_and_nothing_recorded(
    gw: Harness,
) -> None:
    headers = gw.customer("cust-1") | {"Idempotency-Key": PAN}
    async with gw.client() as http:
        answer = await http.post("/v1/orders", json=FULL_ORDER, headers=headers)

    assert_refused(answer, "header:idempotency-key")
    assert gw.store.envelopes() == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Authorization", f"Bearer {PAN}"),
        ("X-API-Key", PAN),
        ("Idempotency-Key", f"checkout-{PAN[:4]} {PAN[4:8]} {PAN[8:12]} {PAN[12:]}"),
        ("X-Salla-Signature", PAN),
        ("X-Salla-Security-Strategy", PAN),
        ("X-Hub-Signature-256", f"sha256={PAN}"),
        ("User-Agent", f"Mozilla/5.0 card {PAN}"),
        ("Baggage", f"card={PAN}"),
        ("X-Forwarded-For", PAN),
        ("Idempotency-Key", "٤١١١١١١١١١١١١١١١"),
    ],
)
async def test_c3_card_data_in_a_header_the_gateway_reads_is_refused(
    gw: Harness, name: str, value: str
) -> None:
    async with gw.client() as http:
        answer = await http.get("/v1/policy/versions", headers={name.encode(): value.encode()})

    assert_refused(answer, f"header:{name.lower()}")


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", f"/v1/catalogue?card={PAN}"),
        ("GET", f"/v1/policy/versions?lang=ar&card={PAN}"),
        ("GET", "/v1/policy?card=4111+1111+1111+1111"),
        ("GET", "/v1/policy?card=%34%31%31%31%2D1111%2D1111%2D1111"),
        ("GET", "/v1/policy?card=" + "%D9%A4" + "%D9%A1" * 15),
        ("GET", f"/health/live?card={PAN}"),
        ("GET", f"/v1/nowhere?card={PAN}"),
        ("POST", f"/v1/unsubscribe?customer=cust-1&token={'a' * 64}&card={PAN}"),
        ("GET", f"/v1/webhooks/whatsapp?hub.mode=subscribe&card={PAN}"),
    ],
)
async def test_c3_card_data_in_any_query_parameter_of_any_route_is_refused(
    gw: Harness, method: str, target: str
) -> None:
    async with gw.client() as http:
        answer = await http.request(method, target)

    assert_refused(answer, "query:card")


async def test_c3_a_query_parameter_named_by_a_card_number_is_refused_without_echoing_it(
    gw: Harness,
) -> None:
    async with gw.client() as http:
        answer = await http.get(f"/v1/policy/versions?{PAN}=1&hub.verify_token={PAN}")

    assert_refused(answer, "query:<name>", "query:hub.verify_token")


async def test_c3_a_security_code_in_the_query_is_refused(gw: Harness) -> None:
    async with gw.client() as http:
        answer = await http.get("/v1/policy/versions?cvv=123")

    assert_refused(answer, "query:cvv")


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/customers/{PAN}/consents",
        f"/v1/orders/{PAN}",
        "/v1/orders/4111-1111-1111-1111/payments",
        f"/v1/nowhere/{PAN}",
    ],
)
async def test_c3_a_card_number_in_the_path_is_refused_before_authentication(
    gw: Harness, path: str
) -> None:
    async with gw.client() as http:
        answer = await http.get(path)

    body = assert_refused(answer, "path")
    assert body["instance"].count("/") == path.count("/")


async def test_c3_cookies_and_browser_headers_the_gateway_does_not_read_are_not_refused(
    gw: Harness,
) -> None:
    # Third-party cookies carry millisecond timestamps (13 digits, some pass Luhn): refusing
    # them would refuse every visitor who carries one.
    headers = {
        "Cookie": f"_fbp=fb.1.1732900000008.1234567890; ref={PAN}",
        "Referer": f"https://allwanstores.com/checkout?ref={PAN}",
        "Accept-Language": f"ar-SA,{PAN}",
    }
    async with gw.client() as http:
        answer = await http.get("/v1/policy/versions", headers=headers)

    assert answer.status_code == 200, answer.text


async def test_ordinary_headers_query_and_path_pass(gw: Harness) -> None:
    headers = gw.customer("cust-1") | {
        "Idempotency-Key": "6bddc66c-1083-5840-8962-2eaff7ee4183",
        "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1",
    }
    async with gw.client() as http:
        answer = await http.get("/v1/customers/cust-1/consents?lang=ar&page=2", headers=headers)

    assert answer.status_code != 422, answer.text


async def test_a_hex_signature_is_checked_as_a_signature_not_refused_as_card_data(
    gw: Harness,
) -> None:
    raw = b'{"event": "app.installed", "merchant": 1, "data": {}}'
    # A real signature is hex: any digits in it are glued to letters, never a card number.
    signature = "4111111111111111" + "a" * 48
    headers = {"X-Salla-Signature": signature, "Content-Type": "application/json"}
    async with gw.client() as http:
        answer = await http.post("/v1/webhooks/salla", content=raw, headers=headers)

    assert answer.status_code == 401, answer.text
    assert SECRETS["salla_webhook_secret"] not in answer.text
