"""Signed webhooks (T1, K3): Salla's signature and token strategies, WhatsApp's signature and
subscription handshake; a bad or missing signature is 401 with nothing processed; a replay
changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from allwan_contracts.intake import WebhookReceived
from allwan_gateway.domain.signatures import (
    delivery_id,
    salla_verified,
    whatsapp_challenge,
    whatsapp_verified,
)

from tests.unit.gateway.fakes import SECRETS, Harness
from tests.unit.gateway.test_problems import assert_problem

SALLA = json.dumps(
    {"event": "order.created", "merchant": 1, "data": {"id": 42, "customer": {"id": 7}}},
    ensure_ascii=False,
).encode()
WHATSAPP = json.dumps(
    {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messages": [
                                {
                                    "from": "966512345678",
                                    "id": "wamid.1",
                                    "type": "text",
                                    "text": {"body": "إيقاف"},
                                }
                            ]
                        },
                    }
                ]
            }
        ],
    },
    ensure_ascii=False,
).encode()


def sign(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def salla_headers(
    raw: bytes = SALLA, secret: str = SECRETS["salla_webhook_secret"]
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-salla-security-strategy": "Signature",
        "x-salla-signature": sign(secret, raw),
    }


def whatsapp_headers(
    raw: bytes = WHATSAPP, secret: str = SECRETS["whatsapp_app_secret"]
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-hub-signature-256": f"sha256={sign(secret, raw)}",
    }


@pytest.mark.parametrize(
    ("headers", "valid"),
    [
        (salla_headers(), True),
        ({**salla_headers(), "x-salla-signature": sign("salla-secret", SALLA).upper()}, True),
        ({"x-salla-signature": sign("salla-secret", SALLA)}, True),
        (salla_headers(secret="another"), False),
        (salla_headers(raw=SALLA + b" "), False),
        ({"x-salla-security-strategy": "Signature"}, False),
        ({"x-salla-security-strategy": "Token", "authorization": "Bearer salla-secret"}, True),
        ({"x-salla-security-strategy": "Token", "authorization": "salla-secret"}, True),
        ({"x-salla-security-strategy": "Token", "authorization": "Bearer guess"}, False),
        ({"x-salla-security-strategy": "Token"}, False),
        ({"x-salla-security-strategy": "None", "authorization": "salla-secret"}, False),
    ],
    ids=[
        "signature",
        "upper-case-hex",
        "default-strategy",
        "wrong-secret",
        "body-changed",
        "missing-signature",
        "token-bearer",
        "token-bare",
        "token-wrong",
        "token-missing",
        "unknown-strategy",
    ],
)
def test_t1_salla_signature_and_token_strategies(headers: dict[str, str], valid: bool) -> None:
    assert salla_verified(SALLA, headers, SECRETS["salla_webhook_secret"]) is valid


@pytest.mark.parametrize(
    ("header", "valid"),
    [
        (f"sha256={sign('whatsapp-secret', WHATSAPP)}", True),
        (f"sha256={sign('another', WHATSAPP)}", False),
        (sign("whatsapp-secret", WHATSAPP), False),
        (f"sha1={sign('whatsapp-secret', WHATSAPP)}", False),
        (None, False),
    ],
    ids=["valid", "wrong-secret", "no-prefix", "wrong-algorithm", "missing"],
)
def test_k3_whatsapp_signature(header: str | None, valid: bool) -> None:
    assert whatsapp_verified(WHATSAPP, header, SECRETS["whatsapp_app_secret"]) is valid


def test_k3_whatsapp_handshake_echoes_the_challenge_only_for_our_token() -> None:
    assert whatsapp_challenge("subscribe", "verify-me", "1158201444", "verify-me") == "1158201444"
    assert whatsapp_challenge("subscribe", "guess", "1158201444", "verify-me") is None
    assert whatsapp_challenge("unsubscribe", "verify-me", "1158201444", "verify-me") is None
    assert whatsapp_challenge("subscribe", "verify-me", None, "verify-me") is None


async def test_k3_the_handshake_over_http(gw: Harness) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "8181"}
    async with gw.client() as http:
        ours = await http.get("/v1/webhooks/whatsapp", params=params)
        theirs = await http.get(
            "/v1/webhooks/whatsapp", params=params | {"hub.verify_token": "guess"}
        )

    assert (ours.status_code, ours.text) == (200, "8181")
    assert_problem(theirs, 403, "forbidden")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/webhooks/salla", {"content-type": "application/json"}),
        ("/v1/webhooks/salla", salla_headers(secret="another")),
        ("/v1/webhooks/whatsapp", {"content-type": "application/json"}),
        ("/v1/webhooks/whatsapp", whatsapp_headers(secret="another")),
    ],
    ids=["salla-missing", "salla-bad", "whatsapp-missing", "whatsapp-bad"],
)
async def test_a_bad_or_missing_signature_is_401_and_nothing_is_processed(
    gw: Harness, path: str, headers: dict[str, str]
) -> None:
    raw = SALLA if "salla" in path else WHATSAPP
    async with gw.client() as http:
        answer = await http.post(path, content=raw, headers=headers)

    assert_problem(answer, 401, "unauthorized")
    assert gw.store.envelopes() == []
    assert gw.keys.subjects == set()


@pytest.mark.parametrize(
    ("path", "raw", "headers", "source"),
    [
        ("/v1/webhooks/salla", SALLA, salla_headers(), "salla"),
        ("/v1/webhooks/whatsapp", WHATSAPP, whatsapp_headers(), "whatsapp"),
    ],
    ids=["salla", "whatsapp"],
)
async def test_a_valid_delivery_is_recorded_sealed_under_its_own_key_and_a_replay_changes_nothing(
    gw: Harness, path: str, raw: bytes, headers: dict[str, str], source: str
) -> None:
    async with gw.client() as http:
        first = await http.post(path, content=raw, headers=headers)
        replay = await http.post(path, content=raw, headers=headers)

    assert (first.status_code, first.json()["status"]) == (202, "received")
    assert (replay.status_code, replay.json()["status"]) == (200, "already_received")
    [received] = gw.intake("WebhookReceived")
    assert isinstance(received, WebhookReceived)
    assert received.delivery_id == delivery_id(raw) == first.json()["delivery_id"]
    assert received.source == source
    assert received.body.kid == f"webhook:{received.delivery_id}"
    assert await gw.opened(received.body, "body") == raw.decode()
    assert raw.decode()[:20] not in gw.store.envelopes()[0].model_dump_json()


async def test_a_replay_after_its_key_was_shredded_changes_nothing(gw: Harness) -> None:
    async with gw.client() as http:
        await http.post("/v1/webhooks/salla", content=SALLA, headers=salla_headers())
        await gw.keys.shred(f"webhook:{delivery_id(SALLA)}")  # orders carried it out
        replay = await http.post("/v1/webhooks/salla", content=SALLA, headers=salla_headers())

    assert replay.status_code == 200
    assert len(gw.store.envelopes()) == 1


async def test_c3_a_signed_delivery_with_card_data_is_refused_and_not_stored(gw: Harness) -> None:
    raw = json.dumps({"event": "order.created", "data": {"card": "4111 1111 1111 1111"}}).encode()
    async with gw.client() as http:
        answer = await http.post("/v1/webhooks/salla", content=raw, headers=salla_headers(raw))

    assert_problem(answer, 422, "card-data-refused")
    assert "4111" not in answer.text
    assert gw.store.envelopes() == []


async def test_a_signed_body_that_is_not_json_is_refused(gw: Harness) -> None:
    raw = b"not json"
    async with gw.client() as http:
        answer = await http.post("/v1/webhooks/salla", content=raw, headers=salla_headers(raw))

    assert_problem(answer, 400, "malformed-json")
