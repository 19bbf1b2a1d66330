"""S1: staff sign in as themselves (``POST /v1/auth/staff-token``), so that every audited
action names a person; wrong credentials tell nothing, guessing is braked, every attempt is
audited, and the accounts are checked when the gateway starts."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from allwan_gateway.domain.staff_sign_in import UNOPENABLE_HASH, SignInThrottle
from allwan_gateway.entrypoints.cli import main
from allwan_gateway.settings import GatewaySettings
from allwan_runtime import passwords
from allwan_runtime.passwords import check_hash, hash_password
from pydantic import ValidationError

from tests.unit.gateway.fakes import SECRETS, Harness, harness, settings
from tests.unit.gateway.test_problems import assert_problem

PASSWORD = "correct horse battery staple"
HASH = hash_password(PASSWORD)
ACCOUNTS = {"noura": {"name": "Noura Alqahtani", "password_hash": HASH}}
STOREFRONT = {"X-API-Key": SECRETS["gateway_storefront_api_key"]}
SIGN_IN = "/v1/auth/staff-token"


class Clock:
    """The gateway's clock, moved by the test; it starts now, as tokens are checked against
    the real time."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gw(clock: Clock) -> Harness:
    return harness(clock=clock, staff_accounts=ACCOUNTS)


async def sign_in(gw: Harness, staff_id: str, password: str) -> httpx.Response:
    async with gw.client() as http:
        return await http.post(
            SIGN_IN, json={"staff_id": staff_id, "password": password}, headers=STOREFRONT
        )


def audited(gw: Harness) -> list[tuple[str, str, str]]:
    entries = sorted(gw.documents.collection("staff_audit").values(), key=lambda e: e["_id"])
    return [(e["actor"], e["action"], e["target"]) for e in entries]


async def test_s1_staff_sign_in_with_their_password_and_get_a_short_lived_token_naming_them(
    gw: Harness,
) -> None:
    answer = await sign_in(gw, "noura", PASSWORD)

    assert answer.status_code == 200
    body = answer.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    principal = gw.gateway.tokens.verify(body["access_token"])
    assert (principal.role, principal.subject, principal.client_id) == (
        "staff",
        "noura",
        "storefront",
    )
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 900
    assert audited(gw) == [("staff:noura", "staff.sign_in", "staff-token")]


async def test_s1_the_staff_token_lifetime_is_its_own_setting(clock: Clock) -> None:
    gw = harness(clock=clock, staff_accounts=ACCOUNTS, staff_token_ttl_s=300)

    answer = await sign_in(gw, "noura", PASSWORD)

    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert answer.json()["expires_in"] == claims["exp"] - claims["iat"] == 300


async def test_s1_a_staff_token_works_on_the_staff_api_and_the_audit_names_the_person(
    gw: Harness,
) -> None:
    token = (await sign_in(gw, "noura", PASSWORD)).json()["access_token"]
    async with gw.client() as http:
        proof = await http.get(
            "/v1/staff/customers/cust-1/consent-proof",
            headers={"Authorization": f"Bearer {token}"},
        )

    assert proof.status_code == 200
    assert audited(gw)[-1] == ("staff:noura", "consent.proof.read", "customer:cust-1")


async def test_s1_the_console_greets_the_staff_member_by_the_configured_name(
    gw: Harness,
) -> None:
    token = (await sign_in(gw, "noura", PASSWORD)).json()["access_token"]
    async with gw.client() as http:
        me = await http.get("/v1/auth/staff", headers={"Authorization": f"Bearer {token}"})

    assert me.status_code == 200
    assert me.json() == {"staff_id": "noura", "name": "Noura Alqahtani"}


async def test_s1_who_am_i_needs_a_staff_members_own_token(gw: Harness) -> None:
    async with gw.client() as http:
        by_key = await http.get(
            "/v1/auth/staff", headers={"X-API-Key": SECRETS["gateway_staff_api_key"]}
        )
        as_customer = await http.get("/v1/auth/staff", headers=gw.customer("cust-1"))
        no_account = await http.get("/v1/auth/staff", headers=gw.staff("s-7"))

    assert_problem(by_key, 401, "unauthorized")
    assert_problem(as_customer, 403, "forbidden")
    assert_problem(no_account, 404, "not-found")


async def test_s1_a_wrong_password_and_an_unknown_staff_id_get_one_identical_answer(
    gw: Harness,
) -> None:
    wrong_password = await sign_in(gw, "noura", "correct horse battery stapler")
    unknown_id = await sign_in(gw, "nobody", PASSWORD)

    body = assert_problem(wrong_password, 401, "sign-in-refused")
    assert unknown_id.status_code == 401
    assert unknown_id.json() == body
    assert unknown_id.headers == wrong_password.headers
    assert audited(gw) == [
        ("staff:noura", "staff.sign_in.refused", "staff-token"),
        ("staff:nobody", "staff.sign_in.refused", "staff-token"),
    ]


async def test_s1_an_unknown_staff_id_costs_a_password_check_of_the_same_cost(
    gw: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    verify = passwords.verify_password

    def counted(password: str, encoded: str) -> bool:
        checked.append(encoded)
        return verify(password, encoded)

    monkeypatch.setattr(passwords, "verify_password", counted)

    await sign_in(gw, "nobody", PASSWORD)

    assert checked == [UNOPENABLE_HASH]
    check_hash(UNOPENABLE_HASH)
    assert UNOPENABLE_HASH.split("$")[:4] == HASH.split("$")[:4]


async def test_s1_a_password_is_never_repeated_in_a_refusal(gw: Harness) -> None:
    secret = "hunter2-" + "x" * 200
    async with gw.client() as http:
        too_long = await http.post(
            SIGN_IN, json={"staff_id": "noura", "password": secret}, headers=STOREFRONT
        )
        unknown_field = await http.post(
            SIGN_IN,
            json={"staff_id": "noura", "password": PASSWORD, "otp": "hunter2"},
            headers=STOREFRONT,
        )

    body = assert_problem(too_long, 422, "validation-failed")
    assert body["errors"] == [{"location": "body.password", "kind": "too_long"}]
    assert "hunter2" not in too_long.text
    assert PASSWORD not in unknown_field.text
    assert "hunter2" not in unknown_field.text


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": SECRETS["gateway_staff_api_key"]}, {"X-API-Key": "guess"}],
    ids=["none", "staff-key", "wrong-key"],
)
async def test_s1_only_the_storefront_client_may_sign_staff_in(
    gw: Harness, headers: dict[str, str]
) -> None:
    async with gw.client() as http:
        answer = await http.post(
            SIGN_IN, json={"staff_id": "noura", "password": PASSWORD}, headers=headers
        )

    assert_problem(answer, 401, "unauthorized")
    assert audited(gw) == []


async def test_s1_five_failures_lock_the_staff_id_until_the_window_passes(
    gw: Harness, clock: Clock
) -> None:
    first = clock.now
    for minute in range(5):
        clock.now = first + timedelta(minutes=minute)
        assert (await sign_in(gw, "noura", f"guess-{minute}")).status_code == 401
    clock.now = first + timedelta(minutes=10)

    locked = await sign_in(gw, "noura", PASSWORD)

    assert_problem(locked, 429, "sign-in-locked")
    assert locked.headers["retry-after"] == str(5 * 60)
    assert "noura" not in locked.text
    clock.now = first + timedelta(minutes=15)
    assert (await sign_in(gw, "noura", PASSWORD)).status_code == 200
    assert audited(gw)[-2:] == [
        ("staff:noura", "staff.sign_in.refused", "staff-token:locked"),
        ("staff:noura", "staff.sign_in", "staff-token"),
    ]


async def test_s1_an_unknown_staff_id_is_locked_the_same_way(gw: Harness) -> None:
    for guess in range(5):
        await sign_in(gw, "nobody", f"guess-{guess}")

    assert_problem(await sign_in(gw, "nobody", "guess-5"), 429, "sign-in-locked")
    assert (await sign_in(gw, "noura", PASSWORD)).status_code == 200


async def test_s1_a_successful_sign_in_forgives_the_failures_before_it(gw: Harness) -> None:
    for guess in range(4):
        await sign_in(gw, "noura", f"typo-{guess}")
    assert (await sign_in(gw, "noura", PASSWORD)).status_code == 200

    answers = [(await sign_in(gw, "noura", f"typo-{guess}")).status_code for guess in range(4)]

    assert answers == [401] * 4


async def test_s1_concurrent_guesses_get_no_more_tries_than_the_limit(gw: Harness) -> None:
    async with gw.client() as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    SIGN_IN,
                    json={"staff_id": "noura", "password": f"guess-{n}"},
                    headers=STOREFRONT,
                )
                for n in range(8)
            )
        )

    assert Counter(answer.status_code for answer in answers) == {401: 5, 429: 3}


def test_s1_the_lock_lifts_when_the_oldest_failure_in_the_window_is_old_enough() -> None:
    throttle = SignInThrottle(limit=3, window=timedelta(minutes=15))
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for minute in (0, 4, 8):
        assert throttle.attempt("noura", start + timedelta(minutes=minute)) is None

    assert throttle.attempt("noura", start + timedelta(minutes=9)) == timedelta(minutes=6)
    assert throttle.attempt("noura", start + timedelta(minutes=15)) is None
    assert throttle.attempt("noura", start + timedelta(minutes=16)) == timedelta(minutes=3)
    assert throttle.attempt("someone-else", start + timedelta(minutes=16)) is None


def _accounts(**accounts: Any) -> str:
    return json.dumps(accounts)


@pytest.mark.parametrize(
    ("accounts", "named"),
    [
        (_accounts(**{"has space": {"name": "N", "password_hash": HASH}}), "'has space'"),
        (_accounts(noura={"name": "N", "password_hash": "scrypt$1$2$3"}), "'noura'"),
        (_accounts(noura={"name": "N", "password_hash": "plain password"}), "'noura'"),
        (_accounts(noura={"name": " ", "password_hash": HASH}), "noura.name"),
        (_accounts(noura={"password_hash": HASH}), "noura.name"),
        (_accounts(noura={"name": "N", "password": "x", "password_hash": HASH}), "noura"),
        ('{"noura": ', "not a JSON object"),
        ("[]", "ALLWAN_STAFF_ACCOUNTS"),
    ],
    ids=[
        "bad-id",
        "bad-hash",
        "a-password-not-a-hash",
        "blank-name",
        "no-name",
        "unknown-field",
        "not-json",
        "not-an-object",
    ],
)
def test_s1_malformed_staff_accounts_stop_the_start_naming_the_account_never_the_hash(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    accounts: str,
    named: str,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"ALLWAN_{name.upper()}", value)
    monkeypatch.setenv("ALLWAN_STAFF_ACCOUNTS", accounts)

    assert main(["openapi"]) == 2
    error = capsys.readouterr().err
    assert "ALLWAN_STAFF_ACCOUNTS" in error
    assert named in error
    for secret in (HASH, "scrypt$1$2$3", "plain password"):
        assert secret not in error
    with pytest.raises(ValidationError) as refused:
        GatewaySettings()
    assert HASH not in str(refused.value)
    assert "plain password" not in str(refused.value)


def test_s1_staff_accounts_are_read_from_json_and_never_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"ALLWAN_{name.upper()}", value)
    monkeypatch.setenv("ALLWAN_STAFF_ACCOUNTS", json.dumps(ACCOUNTS))

    found = GatewaySettings()

    [(staff_id, account)] = found.staff_accounts.get_secret_value().items()
    assert (staff_id, account.name) == ("noura", "Noura Alqahtani")
    assert account.password_hash.get_secret_value() == HASH
    for shown in (repr(found), str(found), found.model_dump_json()):
        assert "Noura" not in shown
        assert HASH not in shown


async def test_s1_without_staff_accounts_nobody_signs_in() -> None:
    gw = harness()
    assert settings().staff_accounts.get_secret_value() == {}

    answer = await sign_in(gw, "noura", PASSWORD)

    assert_problem(answer, 401, "sign-in-refused")
