"""S1: authentication on every non-public endpoint; customers see only their own data;
staff endpoints need the staff role; staff actions are audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from allwan_gateway.domain.auth import InvalidCredentials, Role, Tokens

from tests.unit.gateway.fakes import SECRETS, Harness
from tests.unit.gateway.seed import everything

TOKENS = Tokens(
    SECRETS["gateway_jwt_secret"], "allwan-gateway", "allwan-storefront", timedelta(minutes=15)
)


def claims(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "iss": "allwan-gateway",
        "aud": "allwan-storefront",
        "sub": "cust-1",
        "role": "customer",
        "azp": "storefront",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    return values | overrides


def signed(secret: str = SECRETS["gateway_jwt_secret"], **overrides: object) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def test_s1_a_token_names_its_customer_and_client() -> None:
    principal = TOKENS.verify(
        TOKENS.issue(Role.CUSTOMER, "cust-1", "storefront", datetime.now(UTC))
    )

    assert (principal.role, principal.subject, principal.client_id) == (
        Role.CUSTOMER,
        "cust-1",
        "storefront",
    )
    assert principal.actor == "customer"


def _expired() -> str:
    return signed(exp=int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()))


# Tokens are made when the test runs, not when it is collected: the suite runs for minutes,
# longer than a token lives.
@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: signed(aud="someone-else"), "audience"),
        (lambda: signed(iss="someone-else"), "issuer"),
        (_expired, "expired"),
        (lambda: signed(secret="another-secret-of-enough-length-0123456789"), "not valid"),
        (lambda: signed(role="admin"), "role"),
        (lambda: signed(sub="has space"), "subject"),
        (lambda: "not-a-jwt", "not valid"),
    ],
    ids=[
        "wrong-audience",
        "wrong-issuer",
        "expired",
        "wrong-key",
        "unknown-role",
        "bad-sub",
        "junk",
    ],
)
def test_s1_tokens_that_prove_nothing_are_refused(token: Callable[[], str], reason: str) -> None:
    with pytest.raises(InvalidCredentials, match=reason):
        TOKENS.verify(token())


def test_s1_an_unsigned_token_is_refused() -> None:
    token = jwt.encode(claims(), key=None, algorithm="none")  # type: ignore[arg-type]

    with pytest.raises(InvalidCredentials):
        TOKENS.verify(token)


async def test_s1_a_customer_reads_their_own_orders_and_consents(gw: Harness) -> None:
    await everything(gw.gateway, "cust-1")
    async with gw.client() as http:
        orders = await http.get("/v1/customers/cust-1/orders", headers=gw.customer("cust-1"))
        one = await http.get("/v1/orders/o-1", headers=gw.customer("cust-1"))
        consents = await http.get("/v1/customers/cust-1/consents", headers=gw.customer("cust-1"))

    assert [o["order_id"] for o in orders.json()["orders"]] == ["o-1", "o-2"]
    assert one.json()["status"] == "active"
    assert consents.json()["purposes"]["marketing"]["status"] == "granted"


async def test_s1_someone_elses_order_is_not_found(gw: Harness) -> None:
    await everything(gw.gateway, "cust-1")
    async with gw.client() as http:
        answer = await http.get("/v1/orders/o-1", headers=gw.customer("cust-2"))

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("what", ["orders", "consents", "cookie-preferences"])
async def test_s1_someone_elses_lists_are_forbidden(gw: Harness, what: str) -> None:
    await everything(gw.gateway, "cust-1")
    async with gw.client() as http:
        answer = await http.get(f"/v1/customers/cust-1/{what}", headers=gw.customer("cust-2"))

    assert answer.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer " + signed(aud="someone-else")},
        {"Authorization": "Bearer " + signed(exp=1)},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["none", "wrong-audience", "expired", "basic"],
)
async def test_s1_customer_endpoints_need_a_valid_customer_token(
    gw: Harness, headers: dict[str, str]
) -> None:
    async with gw.client() as http:
        answer = await http.get("/v1/customers/cust-1/orders", headers=headers)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


async def test_s1_a_staff_token_is_not_a_customer_token(gw: Harness) -> None:
    async with gw.client() as http:
        answer = await http.get("/v1/customers/s-7/orders", headers=gw.staff("s-7"))

    assert answer.status_code == 403


async def test_s1_staff_endpoints_refuse_customers_and_anonymous_callers(gw: Harness) -> None:
    path = "/v1/staff/customers/cust-1/consent-proof"
    async with gw.client() as http:
        anonymous = await http.get(path)
        customer = await http.get(path, headers=gw.customer("cust-1"))
        wrong_key = await http.get(path, headers={"X-API-Key": "guess"})
        storefront_key = await http.get(
            path, headers={"X-API-Key": SECRETS["gateway_storefront_api_key"]}
        )

    assert [anonymous.status_code, customer.status_code] == [401, 403]
    assert [wrong_key.status_code, storefront_key.status_code] == [401, 401]


async def test_s1_staff_in_by_token_or_by_key_and_every_action_is_audited(gw: Harness) -> None:
    await everything(gw.gateway, "cust-1")
    path = "/v1/staff/customers/cust-1/consent-proof"
    async with gw.client() as http:
        by_token = await http.get(path, headers=gw.staff("s-7"))
        by_key = await http.get(path, headers={"X-API-Key": SECRETS["gateway_staff_api_key"]})

    assert by_token.status_code == by_key.status_code == 200
    audit = sorted(gw.documents.collection("staff_audit").values(), key=lambda e: e["at"])
    assert [(e["actor"], e["action"], e["target"]) for e in audit] == [
        ("staff:s-7", "consent.proof.read", "customer:cust-1"),
        ("staff:api-key", "consent.proof.read", "customer:cust-1"),
    ]
    assert all(isinstance(entry["at"], datetime) for entry in audit)


async def test_s1_a_staff_action_that_cannot_be_audited_is_not_carried_out(gw: Harness) -> None:
    gw.documents.fail_inserts_into.add("staff_audit")
    body = {"purpose": "marketing", "channel": "email", "message_reference": "msg-1"}
    async with gw.client() as http:
        answer = await http.post(
            "/v1/staff/customers/cust-1/consent-withdrawals", json=body, headers=gw.staff()
        )

    assert answer.status_code == 500
    assert gw.intake("ConsentChangeRequested") == []


async def test_s1_the_storefront_key_issues_short_lived_customer_tokens(gw: Harness) -> None:
    async with gw.client() as http:
        issued = await http.post(
            "/v1/auth/customer-token",
            json={"customer_id": "cust-9"},
            headers={"X-API-Key": SECRETS["gateway_storefront_api_key"]},
        )
        refused = await http.post(
            "/v1/auth/customer-token", json={"customer_id": "cust-9"}, headers={"X-API-Key": "x"}
        )
        token = issued.json()["access_token"]
        mine = await http.get(
            "/v1/customers/cust-9/orders", headers={"Authorization": f"Bearer {token}"}
        )

    assert issued.json()["expires_in"] == 900
    assert refused.status_code == 401
    assert mine.status_code == 200


async def test_public_endpoints_need_no_credentials(gw: Harness) -> None:
    await everything(gw.gateway)
    async with gw.client() as http:
        answers = [
            await http.get(path)
            for path in ("/v1/catalogue", "/v1/policy", "/v1/privacy-contact", "/health/live")
        ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
