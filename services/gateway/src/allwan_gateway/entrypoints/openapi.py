"""The gateway's OpenAPI 3.1 document: FastAPI's, with every operation's problem answers
(and the headers they carry) documented, and parameters as the server reads them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from allwan_gateway.entrypoints.schemas import responses
from allwan_gateway.entrypoints.schemas.problems import PROBLEM_JSON

ERROR_STATUSES = {
    "400": "Malformed request (JSON, headers)",
    "401": "Missing or invalid credentials (S1)",
    "403": "Not allowed for these credentials (S1)",
    "404": "Not found",
    "409": "Conflicts with an earlier request, or with the resource's state",
    "413": "Body larger than {max_body_bytes} bytes",
    "415": "Body is not JSON",
    "422": "Refused: invalid, card data (C3), operator keys, or refused by the deciding service",
    "429": "Rate limited (S1)",
    "500": "Unexpected failure (no details are given)",
    "503": "A dependency (database, notifier, privacy service) is not available, or the "
    "gateway is at capacity (overloaded); retry after Retry-After",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1},
    }
}
ERROR_HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {"description": "The scheme to use.", "schema": {"type": "string"}}
    },
    "429": _RETRY_AFTER,
    "503": _RETRY_AFTER,
}
_FASTAPI_422 = "Validation Error"
DESCRIPTION = """\
The public HTTP API of ALLWANSTORES: the storefront (catalogue, orders, consents, cookies,
the privacy policy, privacy requests, the customer's disclosure ledger), staff (policy
versions, consent proof, withdrawals by email or phone, the notification ledger, the
privacy-request queue, disclosures, the retention schedule, the breach register, the record
of processing) and signed webhooks (Salla, WhatsApp).

Requests enter as events: the gateway records them and the owning service decides, so
commands answer `202 Accepted` with a status URL, or the decision itself when it arrives
within a short bound. Every error is `application/problem+json` (RFC 9457). Card data is
refused everywhere (C3); personal fields are sealed before they are stored (T2).

Privacy requests (PDPL: access and a copy, correction, erasure) are answered within 30
days (`due_at`), extendable once by up to 30 days (`extended_until`); one open request per
kind and customer (another is `409` with a link to the open one).
"""


def _without_null(parameter: dict[str, Any]) -> None:
    """An optional header or query parameter is absent or a string, never JSON's null: FastAPI
    writes ``X | None`` as ``anyOf: [X, null]``, which says the server takes a value it
    cannot even receive. The non-null branch is the parameter's schema."""
    schema = parameter.get("schema", {})
    branches = schema.get("anyOf", [])
    kept = [branch for branch in branches if branch != {"type": "null"}]
    if len(kept) == 1 and len(branches) == 2:
        del schema["anyOf"]
        schema.update(kept[0])


def document(app: FastAPI) -> dict[str, Any]:
    """OpenAPI 3.1 with every operation's problem answers (and the headers they carry)
    documented, with the examples a route gives of its own, and parameters as the server
    reads them."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = FastAPI.openapi(app)
    max_body_bytes = app.state.gateway.settings.max_body_bytes
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = responses.Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _without_null(parameter)
            answers = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                if path.startswith("/health/") and status != "500":
                    continue
                # A route may say what its own 404, 409 or 422 means; FastAPI's 422 is generic.
                declared = answers.get(status, {})
                if status == "422" and declared.get("description") == _FASTAPI_422:
                    declared = {}
                # ... and show examples of its problem.
                examples = declared.get("content", {}).get(PROBLEM_JSON, {}).get("examples")
                answer = {
                    "description": declared.get(
                        "description", description.format(max_body_bytes=max_body_bytes)
                    ),
                    "content": problem
                    if examples is None
                    else {PROBLEM_JSON: problem[PROBLEM_JSON] | {"examples": examples}},
                }
                headers = ERROR_HEADERS.get(status, {}) | declared.get("headers", {})
                if headers:
                    answer["headers"] = headers
                answers[status] = answer
    app.openapi_schema = schema
    return schema
