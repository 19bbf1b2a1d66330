"""The export of a completed access request, proxied from the privacy service
(``GET /exports/{request_id}?customer_id=``): JSON or the readable HTML, never cached; the
gateway answers 404, 409 and 410 from its own view without asking, the privacy service's
404 and 410 pass through, and a privacy service it cannot read is a 503 with Retry-After."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from allwan_contracts.privacy import (
    PrivacyRequestKind,
)
from allwan_contracts.privacy_export import PrivacyExport
from allwan_gateway.adapters.privacy_api import PrivacyApi
from allwan_gateway.entrypoints.routes.privacy_export import wants_html

from tests.unit.gateway.fakes import NOW, Harness, harness
from tests.unit.gateway.privacy_samples import export_of
from tests.unit.gateway.seed import (
    access_completed,
    completed,
    destroyed,
    life,
    received,
    started,
    verified,
)
from tests.unit.gateway.test_problems import assert_problem

EXPORT = "/v1/customers/cust-1/privacy-requests/r-1/export"
SCHEMAS = Path(__file__).parents[3] / "contracts" / "schemas"
PAGE = '<!doctype html><html lang="ar" dir="rtl"><body><p>بياناتك</p></body></html>'


class Privacy:
    """The privacy service behind ``httpx.MockTransport``: what it was asked, what it says."""

    def __init__(self, status: int = 200, *, fails: Exception | None = None) -> None:
        self.status = status
        self.fails = fails
        self.asked: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        if self.fails is not None:
            raise self.fails
        if self.status != 200:
            return httpx.Response(self.status, json={"type": "urn:allwan:problem:x"})
        if request.headers["accept"] == "text/html":
            return httpx.Response(200, text=PAGE, headers={"content-type": "text/html"})
        customer = request.url.params["customer_id"]
        return httpx.Response(200, json=export_of("r-1", customer).model_dump(mode="json"))

    def gateway(self, clock_days: float = 1) -> Harness:
        privacy = PrivacyApi("http://privacy.internal", httpx.MockTransport(self))
        return harness(privacy_api=privacy, clock=lambda: NOW + timedelta(days=clock_days))


async def download(
    gw: Harness, accept: str | None = None, customer: str = "cust-1"
) -> httpx.Response:
    headers = gw.customer(customer) | ({"Accept": accept} if accept else {})
    async with gw.client() as http:
        return await http.get(EXPORT, headers=headers)


async def test_a_completed_access_requests_export_is_the_privacy_services_json() -> None:
    privacy = Privacy()
    gw = privacy.gateway()
    await life(gw.gateway, *access_completed("r-1", "cust-1"))

    answer = await download(gw)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="privacy-export-r-1.json"'
    )
    exported = PrivacyExport.model_validate(answer.json())
    assert (exported.customer_id, exported.request_id) == ("cust-1", "r-1")
    [asked] = privacy.asked
    assert asked.url.path == "/exports/r-1"
    assert dict(asked.url.params) == {"customer_id": "cust-1"}
    assert asked.headers["accept"] == "application/json"


async def test_accept_text_html_is_the_readable_page_with_only_its_own_styles() -> None:
    privacy = Privacy()
    gw = privacy.gateway()
    await life(gw.gateway, *access_completed("r-1", "cust-1"))

    answer = await download(gw, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text == PAGE
    assert answer.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    assert answer.headers["cache-control"] == "no-store"
    assert privacy.asked[0].headers["accept"] == "text/html"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (None, False),
        ("application/json", False),
        ("*/*", False),
        ("text/html", True),
        ("TEXT/HTML; charset=utf-8", True),
        ("application/json, text/html;q=0.5", True),
        ("text/html;q=0", False),
        ("text/html;q=zero", False),
        ("text/htmlx", False),
    ],
)
def test_html_is_what_accept_asks_for_with_a_weight_above_zero(
    accept: str | None, html: bool
) -> None:
    assert wants_html(accept) is html


async def test_an_export_not_ready_yet_is_409_and_the_privacy_service_is_not_asked() -> None:
    privacy = Privacy()
    gw = privacy.gateway()
    await life(
        gw.gateway, received("r-1", "cust-1"), verified("r-1", "cust-1"), started("r-1", "cust-1")
    )

    answer = await download(gw)

    assert_problem(answer, 409, "export-not-ready")
    assert privacy.asked == []


async def test_a_request_that_is_not_an_access_request_has_no_export() -> None:
    privacy = Privacy()
    gw = privacy.gateway()
    erasure = PrivacyRequestKind.ERASURE
    await life(
        gw.gateway,
        received("r-1", "cust-1", erasure),
        verified("r-1", "cust-1"),
        started("r-1", "cust-1", erasure),
        completed("r-1", "cust-1", erasure),
    )

    answer = await download(gw)

    assert_problem(answer, 404, "not-found")
    assert privacy.asked == []


async def test_after_7_days_the_export_is_gone_without_asking() -> None:
    privacy = Privacy()
    gw = privacy.gateway(clock_days=7)
    await life(gw.gateway, *access_completed("r-1", "cust-1"))

    answer = await download(gw)

    assert_problem(answer, 410, "export-expired")
    assert privacy.asked == []


async def test_a_destroyed_export_is_gone_even_before_its_expiry() -> None:
    privacy = Privacy()
    gw = privacy.gateway(clock_days=1)
    await life(gw.gateway, *access_completed("r-1", "cust-1"), destroyed("r-1", "cust-1"))

    answer = await download(gw)

    assert_problem(answer, 410, "export-expired")
    assert privacy.asked == []


@pytest.mark.parametrize(("status", "kind"), [(404, "not-found"), (410, "export-expired")])
async def test_the_privacy_services_404_and_410_pass_through(status: int, kind: str) -> None:
    gw = Privacy(status).gateway()
    await life(gw.gateway, *access_completed("r-1", "cust-1"))

    answer = await download(gw)

    assert_problem(answer, status, kind)


@pytest.mark.parametrize(
    "privacy",
    [
        Privacy(fails=httpx.ConnectError("privacy.internal: connection refused")),
        Privacy(fails=httpx.ReadTimeout("timed out")),
        Privacy(500),
        Privacy(400),
    ],
    ids=["refused", "timeout", "500", "400"],
)
async def test_a_privacy_service_that_cannot_be_read_is_a_503_with_retry_after(
    privacy: Privacy,
) -> None:
    gw = privacy.gateway()
    await life(gw.gateway, *access_completed("r-1", "cust-1"))

    answer = await download(gw)

    assert_problem(answer, 503, "unavailable")
    assert int(answer.headers["retry-after"]) >= 1
    assert "privacy.internal" not in answer.text


async def test_without_a_privacy_service_configured_the_export_is_unavailable(
    gw: Harness,
) -> None:
    await life(gw.gateway, *access_completed("r-1", "cust-1", at=NOW))
    gw.gateway.clock = lambda: NOW + timedelta(days=1)

    answer = await download(gw)

    assert_problem(answer, 503, "unavailable")


async def test_s1_another_customers_export_is_never_fetched() -> None:
    privacy = Privacy()
    gw = privacy.gateway()
    await life(gw.gateway, *access_completed("r-1", "cust-1"))
    async with gw.client() as http:
        by_path = await http.get(EXPORT, headers=gw.customer("cust-2"))
        by_id = await http.get(
            "/v1/customers/cust-2/privacy-requests/r-1/export", headers=gw.customer("cust-2")
        )

    assert_problem(by_path, 403, "forbidden")
    assert_problem(by_id, 404, "not-found")
    assert privacy.asked == []


async def test_the_document_states_both_forms_of_the_export_and_its_problems(
    gw: Harness,
) -> None:
    async with gw.client() as http:
        document = (await http.get("/openapi.json")).json()

    operation = document["paths"][
        "/v1/customers/{customer_id}/privacy-requests/{request_id}/export"
    ]["get"]
    ok = operation["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/PrivacyExport"}
    assert ok["text/html"]["schema"] == {"type": "string"}
    PrivacyExport.model_validate(ok["application/json"]["example"])
    assert {"401", "403", "404", "409", "410", "503"} <= operation["responses"].keys()
    gone = operation["responses"]["410"]["content"]["application/problem+json"]
    assert gone["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "7 days" in operation["responses"]["410"]["description"]
    published = json.loads((SCHEMAS / "PrivacyExport.json").read_text())
    assert set(published["properties"]) == set(
        document["components"]["schemas"]["PrivacyExport"]["properties"]
    )


async def test_c3_a_card_number_in_the_accept_header_is_refused_before_anything_is_read() -> None:
    privacy = Privacy()
    gw = privacy.gateway()
    await life(gw.gateway, *access_completed("r-1", "cust-1"))

    answer = await download(gw, accept="text/html, 4111 1111 1111 1111")

    body = assert_problem(answer, 422, "card-data-refused")
    assert body["errors"] == [{"location": "header:accept", "kind": "card_data"}]
    assert privacy.asked == []
