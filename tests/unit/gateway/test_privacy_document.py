"""The OpenAPI document states the privacy routes as the server applies them: a request's
shape chosen by its kind, a correction of at least one field that is never null, examples
for every body, and each route's own reading of its problem answers."""

from __future__ import annotations

from typing import Any

import pytest
from allwan_gateway.adapters.privacy_views import CUSTOMER_PRIVACY_REQUESTS, PRIVACY_REQUESTS
from allwan_gateway.adapters.views import COLLECTIONS

from tests.unit.gateway.fakes import Harness
from tests.unit.gateway.test_openapi_document import document
from tests.unit.gateway.test_problems import assert_problem

ASK = "/v1/customers/{customer_id}/privacy-requests"
PRIVACY_PATHS = [
    ("post", ASK),
    ("get", ASK),
    ("get", ASK + "/{request_id}"),
    ("delete", ASK + "/{request_id}"),
    ("get", ASK + "/{request_id}/export"),
    ("get", "/v1/customers/{customer_id}/consents/history"),
    ("get", "/v1/staff/privacy-requests"),
    ("post", "/v1/staff/privacy-requests"),
    ("get", "/v1/staff/privacy-requests/{request_id}"),
    ("post", "/v1/staff/privacy-requests/{request_id}/extension"),
    ("post", "/v1/staff/privacy-requests/{request_id}/denial"),
]


def _resolve(found: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    name = schema["$ref"].rsplit("/", 1)[-1]
    resolved: dict[str, Any] = found["components"]["schemas"][name]
    return resolved


async def test_a_requests_kind_chooses_its_shape_and_only_a_correction_has_changes(
    gw: Harness,
) -> None:
    found = await document(gw)
    body = found["paths"][ASK]["post"]["requestBody"]["content"]["application/json"]["schema"]

    assert set(body["discriminator"]["mapping"]) == {"access", "correction", "erasure"}
    shapes = {
        key: _resolve(found, {"$ref": ref}) for key, ref in body["discriminator"]["mapping"].items()
    }
    assert shapes["correction"]["required"] == ["kind", "changes"]
    assert "changes" not in shapes["access"]["properties"]
    assert all(shape["additionalProperties"] is False for shape in shapes.values())
    assert all(shape["examples"] for shape in shapes.values())


async def test_a_correction_names_at_least_one_field_and_none_is_null(gw: Harness) -> None:
    found = await document(gw)
    correction = found["components"]["schemas"]["ContactCorrection"]

    assert correction["minProperties"] == 1
    assert correction["additionalProperties"] is False
    assert set(correction["properties"]) == {"name", "email", "phone", "billing_address"}
    for field in correction["properties"].values():
        assert field["type"] == "string"
        assert "anyOf" not in field
        assert "default" not in field


@pytest.mark.parametrize(("method", "path"), PRIVACY_PATHS)
async def test_every_privacy_route_states_its_problem_answers(
    gw: Harness, method: str, path: str
) -> None:
    operation = (await document(gw))["paths"][path][method]

    assert {"401", "403", "404", "422", "429", "500", "503"} <= operation["responses"].keys()
    for status, answer in operation["responses"].items():
        if status.startswith(("4", "5")):
            assert "application/problem+json" in answer["content"], status


async def test_a_route_says_what_its_own_409_means_and_keeps_the_problem_schema(
    gw: Harness,
) -> None:
    operation = (await document(gw))["paths"][ASK]["post"]

    conflict = operation["responses"]["409"]
    assert "open_request" in conflict["description"]
    assert conflict["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert "Retry-After" in operation["responses"]["503"]["headers"]


async def test_the_idempotency_key_of_a_privacy_request_states_the_servers_rule(
    gw: Harness,
) -> None:
    found = await document(gw)
    for path in (ASK, "/v1/staff/privacy-requests"):
        [parameter] = found["paths"][path]["post"]["parameters"][-1:]
        assert parameter["name"].lower() == "idempotency-key"
        assert (parameter["schema"]["minLength"], parameter["schema"]["maxLength"]) == (8, 200)
        assert "privacy request" in parameter["description"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/customers/cust-1/privacy-requests", "GET, POST"),
        ("POST", "/v1/customers/cust-1/privacy-requests/r-1", "DELETE, GET"),
        ("DELETE", "/v1/customers/cust-1/consents/history", "GET"),
    ],
)
async def test_a_405_on_a_privacy_path_lists_what_it_serves(
    gw: Harness, method: str, path: str, allowed: str
) -> None:
    async with gw.client() as http:
        answer = await http.request(method, path, headers=gw.customer("cust-1"))

    assert_problem(answer, 405, "method-not-allowed")
    assert answer.headers["allow"] == allowed


def test_a_rebuild_keeps_the_privacy_views_which_are_the_proof_of_each_request() -> None:
    assert PRIVACY_REQUESTS not in COLLECTIONS
    assert CUSTOMER_PRIVACY_REQUESTS not in COLLECTIONS
