"""The OpenAPI document says exactly what the server accepts: every value the document allows
is taken, every value it rules out is refused, and the rules the server applies by hand
(Idempotency-Key, webhook signatures, a policy's publishing window) are in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts.intake import PaymentReported, PolicyPublishRequested
from allwan_gateway.domain.idempotency import KEY_PATTERN
from allwan_gateway.entrypoints.schemas.requests import WHITESPACE, Text
from pydantic import TypeAdapter, ValidationError

from tests.unit.gateway.fakes import SECRETS, Harness
from tests.unit.gateway.seed import deliver, placed
from tests.unit.gateway.test_problems import ORDER, assert_problem

STOREFRONT = {"X-API-Key": SECRETS["gateway_storefront_api_key"]}
POLICY: dict[str, Any] = {
    "text_ar": "سياسة الخصوصية",
    "text_en": "Privacy policy",
    "summary_ar": "ملخص",
    "summary_en": "Summary",
    "material": False,
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


async def document(gw: Harness) -> dict[str, Any]:
    async with gw.client() as http:
        found: dict[str, Any] = (await http.get("/openapi.json")).json()
    return found


async def publish(gw: Harness, body: dict[str, Any]) -> Any:
    async with gw.client() as http:
        return await http.post("/v1/staff/policies", json=body, headers=gw.staff())


@pytest.mark.parametrize(
    "effective_at",
    [
        0,
        1_767_225_600,
        1_767_225_600.0,
        "1767225600",
        "2026-03-01 09:30:00Z",
        "2026-03-01T09:30Z",
        "2026-03-01T09:30:00",
        True,
    ],
)
async def test_pc1_an_effective_time_that_is_not_an_rfc3339_string_is_refused_not_read_as_1970(
    gw: Harness, effective_at: object
) -> None:
    answer = await publish(gw, POLICY | {"effective_at": effective_at})

    body = assert_problem(answer, 422, "validation-failed")
    assert body["errors"] == [{"location": "body.effective_at", "kind": "rfc3339_datetime"}]
    assert gw.intake("PolicyPublishRequested") == []


@pytest.mark.parametrize(
    ("shift", "kind"),
    [
        (timedelta(hours=-1), "effective_at_in_the_past"),
        (timedelta(days=-20_000), "effective_at_in_the_past"),
        (timedelta(days=367), "effective_at_too_far_ahead"),
    ],
)
async def test_pc1_pc2_a_version_cannot_take_effect_before_it_is_published_or_years_ahead(
    gw: Harness, shift: timedelta, kind: str
) -> None:
    when = (datetime.now(UTC) + shift).isoformat()

    answer = await publish(gw, POLICY | {"material": True, "effective_at": when})

    body = assert_problem(answer, 422, "effective-at-refused")
    assert body["errors"] == [{"location": "body.effective_at", "kind": kind}]
    assert gw.intake("PolicyPublishRequested") == []


@pytest.mark.parametrize(
    "shift", [timedelta(minutes=-4), timedelta(0), timedelta(days=30), timedelta(days=365)]
)
async def test_pc1_a_version_takes_effect_from_now_up_to_a_year_ahead(
    gw: Harness, shift: timedelta
) -> None:
    when = (datetime.now(UTC) + shift).replace(microsecond=0)

    answer = await publish(gw, POLICY | {"effective_at": when.astimezone().isoformat()})

    assert answer.status_code == 202
    [request] = gw.intake("PolicyPublishRequested")
    assert isinstance(request, PolicyPublishRequested)
    assert request.effective_at == when


async def test_the_effective_time_is_documented_as_a_date_time_string(gw: Harness) -> None:
    found = (await document(gw))["components"]["schemas"]["PublishPolicy"]

    effective_at = found["properties"]["effective_at"]
    assert {"type": "string", "format": "date-time"} in effective_at["anyOf"]
    assert "5 minutes" in effective_at["description"]
    assert "366 days" in effective_at["description"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/customers/cust-1/consents", "GET, POST"),
        ("PATCH", "/v1/customers/cust-1/cookie-preferences", "GET, PUT"),
        ("PUT", "/v1/webhooks/whatsapp", "GET, POST"),
        ("DELETE", "/v1/catalogue", "GET"),
    ],
)
async def test_a_405_lists_every_method_the_path_serves_as_the_document_does(
    gw: Harness, method: str, path: str, allowed: str
) -> None:
    async with gw.client() as http:
        answer = await http.request(method, path, headers=gw.customer("cust-1"))
    documented = (await document(gw))["paths"]
    template = next(t for t in documented if t.replace("{customer_id}", "cust-1") == path)

    assert_problem(answer, 405, "method-not-allowed")
    assert answer.headers["allow"] == allowed
    assert allowed == ", ".join(sorted(m.upper() for m in documented[template]))


async def test_the_idempotency_key_parameter_states_the_servers_rule(gw: Harness) -> None:
    [parameter] = (await document(gw))["paths"]["/v1/orders"]["post"]["parameters"]

    assert parameter["name"].lower() == "idempotency-key"
    assert parameter["in"] == "header"
    assert not parameter["required"]
    schema = parameter["schema"]
    assert (schema["type"], schema["pattern"]) == ("string", KEY_PATTERN.pattern)
    assert (schema["minLength"], schema["maxLength"]) == (8, 200)


@pytest.mark.parametrize(
    ("key", "status"),
    [("k" * 7, 400), ("k" * 8, 202), ("k" * 200, 202), ("k" * 201, 400), ("key with space", 400)],
)
async def test_an_idempotency_key_is_taken_exactly_when_the_document_allows_it(
    gw: Harness, key: str, status: int
) -> None:
    async with gw.client() as http:
        answer = await http.post(
            "/v1/orders", json=ORDER, headers=gw.customer("cust-1") | {"Idempotency-Key": key}
        )

    assert answer.status_code == status
    if status == 400:
        assert_problem(answer, 400, "invalid-idempotency-key")


async def test_amounts_and_quantities_are_documented_as_integers(gw: Harness) -> None:
    schemas = (await document(gw))["components"]["schemas"]

    assert schemas["ReportPayment"]["properties"]["amount_halalas"]["type"] == "integer"
    assert schemas["PlaceOrder"]["properties"]["quantity"]["type"] == "integer"


async def test_an_integral_amount_written_with_a_fraction_is_that_integer(gw: Harness) -> None:
    await deliver(gw.gateway, placed("o-1", "cust-1"), 1)
    body = {"payment_reference": "pay_9", "amount_halalas": 48822.0}
    async with gw.client() as http:
        answer = await http.post("/v1/orders/o-1/payments", json=body, headers=STOREFRONT)

    assert answer.status_code == 202
    [payment] = gw.intake("PaymentReported")
    assert isinstance(payment, PaymentReported)
    assert payment.amount_halalas == 48822
    assert type(payment.amount_halalas) is int


@pytest.mark.parametrize("amount", [48822.5, "48822", True, -1, 10_000_000_001.0])
async def test_an_amount_that_is_not_an_integer_in_range_is_refused(
    gw: Harness, amount: object
) -> None:
    await deliver(gw.gateway, placed("o-1", "cust-1"), 1)
    body = {"payment_reference": "pay_9", "amount_halalas": amount}
    async with gw.client() as http:
        answer = await http.post("/v1/orders/o-1/payments", json=body, headers=STOREFRONT)

    problem = assert_problem(answer, 422, "validation-failed")
    assert [error["location"] for error in problem["errors"]] == ["body.amount_halalas"]


async def test_a_quantity_written_with_a_fraction_is_taken_as_the_integer(gw: Harness) -> None:
    async with gw.client() as http:
        answer = await http.post(
            "/v1/orders", json=ORDER | {"quantity": 2.0}, headers=gw.customer("cust-1")
        )

    assert answer.status_code == 202
    [request] = gw.intake("OrderRequested")
    assert request.quantity == 2


@pytest.mark.parametrize(
    "name",
    [" ", "\t\n", "\u3000", "\ufeff", "\x85", "Noura" + " " * 196, " " * 199 + "N" + " "],
)
async def test_a_name_is_refused_when_blank_or_longer_than_documented_as_sent(
    gw: Harness, name: str
) -> None:
    order = ORDER | {"contact": ORDER["contact"] | {"name": name}}
    async with gw.client() as http:
        answer = await http.post("/v1/orders", json=order, headers=gw.customer("cust-1"))

    problem = assert_problem(answer, 422, "validation-failed")
    assert [error["location"] for error in problem["errors"]] == ["body.contact.name"]


async def test_a_name_with_whitespace_around_it_is_taken_and_trimmed(gw: Harness) -> None:
    order = ORDER | {"contact": ORDER["contact"] | {"name": "\u3000 Noura \n"}}
    async with gw.client() as http:
        answer = await http.post("/v1/orders", json=order, headers=gw.customer("cust-1"))

    assert answer.status_code == 202
    [request] = gw.intake("OrderRequested")
    assert await gw.opened(request.contact.name, "name") == "Noura"


def test_the_servers_whitespace_is_the_documents_whitespace() -> None:
    """``Text``'s pattern runs in pydantic's (Rust) engine; the document's means ECMA-262's
    ``\\s`` plus U+0085 and U+FEFF. Both must be ``WHITESPACE``, which is what is trimmed."""
    text = TypeAdapter(Text)
    blank = set()
    for code in [*range(0x3100), 0xFEFF]:
        try:
            text.validate_python(chr(code))
        except ValidationError:
            blank.add(chr(code))

    assert blank == set(WHITESPACE)


async def test_a_payment_for_an_order_not_placed_yet_is_a_conflict_not_missing(
    gw: Harness,
) -> None:
    async with gw.client() as http:
        ordered = await http.post("/v1/orders", json=ORDER, headers=gw.customer("cust-1"))
        order_id = ordered.json()["order_id"]
        answer = await http.post(
            f"/v1/orders/{order_id}/payments",
            json={"payment_reference": "pay_9", "amount_halalas": 2990},
            headers=STOREFRONT,
        )

    assert ordered.status_code == 202
    assert_problem(answer, 409, "order-not-placed-yet")
    assert gw.intake("PaymentReported") == []


@pytest.mark.parametrize(
    "params",
    [
        {"hub.verify_token": "verify-me", "hub.challenge": "8181"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "8181"},
        {"hub.mode": "subscribe", "hub.challenge": "8181"},
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me"},
    ],
)
async def test_k3_the_whatsapp_handshake_needs_its_three_documented_parameters(
    gw: Harness, params: dict[str, str]
) -> None:
    async with gw.client() as http:
        answer = await http.get("/v1/webhooks/whatsapp", params=params)
    parameters = (await document(gw))["paths"]["/v1/webhooks/whatsapp"]["get"]["parameters"]

    assert_problem(answer, 422, "validation-failed")
    assert all(parameter["required"] for parameter in parameters)
    assert {p["name"]: p["schema"].get("const") for p in parameters}["hub.mode"] == "subscribe"


async def test_webhooks_document_their_json_body_and_signature_headers(gw: Harness) -> None:
    found = await document(gw)
    salla = found["paths"]["/v1/webhooks/salla"]["post"]
    whatsapp = found["paths"]["/v1/webhooks/whatsapp"]["post"]
    schemes = found["components"]["securitySchemes"]

    assert salla["requestBody"]["required"]
    assert "application/json" in whatsapp["requestBody"]["content"]
    assert salla["security"] == [{"SallaSignature": []}, {"SallaToken": []}]
    assert whatsapp["security"] == [{"WhatsAppSignature": []}]
    assert schemes["SallaSignature"]["name"] == "X-Salla-Signature"
    assert schemes["WhatsAppSignature"]["name"] == "X-Hub-Signature-256"
    [strategy] = salla["parameters"]
    assert strategy["name"] == "X-Salla-Security-Strategy"


async def test_no_optional_parameter_is_documented_as_null(gw: Harness) -> None:
    found = await document(gw)
    parameters = [
        parameter
        for operations in found["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
    ]

    assert parameters
    assert [p["name"] for p in parameters if "anyOf" in p["schema"]] == []


def _operation(found: dict[str, Any], reference: str) -> dict[str, Any]:
    *_, pointer, method = reference.split("/")
    path = pointer.replace("~1", "/").replace("~0", "~")
    operation: dict[str, Any] = found["paths"][path][method]
    return operation


async def test_every_link_leads_to_an_operation_and_fills_its_parameters(gw: Harness) -> None:
    found = await document(gw)
    links = [
        (method, path, link)
        for path, operations in found["paths"].items()
        for method, operation in operations.items()
        if method in HTTP_METHODS
        for answer in operation["responses"].values()
        for link in answer.get("links", {}).values()
    ]

    assert len(links) >= 15
    for _, _, link in links:
        target = _operation(found, link["operationRef"])
        path_parameters = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert path_parameters == set(link.get("parameters", {})), link
