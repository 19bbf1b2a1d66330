"""Every error is RFC 9457 problem details, with security headers, and no stack trace."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.unit.gateway.fakes import Harness, harness

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


def assert_problem(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body.keys() >= PROBLEM_FIELDS
    assert body["status"] == status
    assert body["type"] == f"urn:allwan:problem:{kind}"
    assert body["instance"] == answer.request.url.path
    return body


ORDER: dict[str, Any] = {
    "plan_id": "shahid-vip-1m",
    "contact": {"name": "Noura", "email": "noura@example.com", "phone": "+966512345678"},
    "payment_token": "tok_1",
}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "kind"),
    [
        ("GET", "/v1/nowhere", {}, 404, "not-found"),
        ("DELETE", "/v1/catalogue", {}, 405, "method-not-allowed"),
        ("GET", "/v1/policy", {}, 404, "not-found"),
        ("GET", "/v1/catalogue", {}, 503, "unavailable"),
        ("GET", "/v1/customers/cust-1/orders", {}, 401, "unauthorized"),
        ("GET", "/v1/policy/versions/0", {}, 422, "validation-failed"),
        ("POST", "/v1/orders", {"content": b"{", "customer": True}, 400, "malformed-json"),
        ("POST", "/v1/orders", {"content": b"x=1", "form": True}, 415, "unsupported-media-type"),
        (
            "POST",
            "/v1/orders",
            {"json": ORDER | {"extra": 1}, "customer": True},
            422,
            "validation-failed",
        ),
        ("GET", "/v1/customers/cust-2/orders", {"customer": True}, 403, "forbidden"),
    ],
    ids=lambda value: (
        value if isinstance(value, (int, str)) and not str(value).startswith("/") else None
    ),
)
async def test_each_error_class_is_a_problem(
    gw: Harness, method: str, path: str, kwargs: dict[str, Any], status: int, kind: str
) -> None:
    headers = gw.customer("cust-1") if kwargs.pop("customer", False) else {}
    if kwargs.pop("form", False):
        headers |= gw.customer("cust-1") | {"content-type": "application/x-www-form-urlencoded"}
    elif "content" in kwargs:
        headers["content-type"] = "application/json"
    async with gw.client() as http:
        answer = await http.request(method, path, headers=headers, **kwargs)

    assert_problem(answer, status, kind)


async def test_p1_an_unknown_field_is_refused_by_name_not_silently_dropped(gw: Harness) -> None:
    async with gw.client() as http:
        answer = await http.post(
            "/v1/orders", json=ORDER | {"national_id": "1234567890"}, headers=gw.customer("c-1")
        )

    body = assert_problem(answer, 422, "validation-failed")
    assert {"location": "body.national_id", "kind": "extra_forbidden"} in body["errors"]
    assert "1234567890" not in answer.text


async def test_a_failure_inside_is_a_bare_500_problem_without_a_stack_trace() -> None:
    gw = harness()

    async def broken(collection: str, doc_id: str) -> None:
        raise RuntimeError("secret internals at /srv/app.py line 12")

    gw.documents.get = broken  # type: ignore[method-assign]
    async with gw.client() as http:
        answer = await http.get("/v1/catalogue")

    body = assert_problem(answer, 500, "internal-error")
    assert "internals" not in answer.text
    assert "Traceback" not in answer.text
    assert body["detail"] == "Something went wrong on our side."
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/health/live", "/v1/nowhere"])
async def test_every_answer_carries_the_security_headers(gw: Harness, path: str) -> None:
    async with gw.client() as http:
        answer = await http.get(path)

    assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"


async def test_cors_allows_only_the_configured_origins() -> None:
    gw = harness(cors_origins=["https://allwanstores.com"])
    preflight = {"Access-Control-Request-Method": "POST"}
    async with gw.client() as http:
        ours = await http.options(
            "/v1/orders", headers=preflight | {"Origin": "https://allwanstores.com"}
        )
        theirs = await http.options(
            "/v1/orders", headers=preflight | {"Origin": "https://evil.example"}
        )

    assert ours.headers["access-control-allow-origin"] == "https://allwanstores.com"
    assert "access-control-allow-origin" not in theirs.headers


async def test_the_openapi_document_is_3_1_with_examples_and_problem_answers(gw: Harness) -> None:
    async with gw.client() as http:
        document = (await http.get("/openapi.json")).json()

    assert document["openapi"].startswith("3.1")
    place = document["paths"]["/v1/orders"]["post"]
    assert {"201", "202", "401", "409", "413", "422", "429", "500"} <= place["responses"].keys()
    problem = place["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    assert document["components"]["schemas"]["PlaceOrder"]["examples"]
    assert {"ApiKey", "BearerToken"} <= document["components"]["securitySchemes"].keys()
