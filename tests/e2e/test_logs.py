"""No service's log holds what the privacy policy says is never logged (C2, C3): requests
carrying a card number, a customer id, an unsubscribe token, WhatsApp's verify token and a
client address go through the running system, then every service's whole log is read.

The logs are proven read, and the requests proven handled, by the access-log lines each
service wrote for them; the consent service is proven to have handled the withdrawal the
unsubscribe link asked for (its customer id travelled on) before its log is read.

Services name the customer an event is about by its ``customer_id`` field, as identifiers
are logged (``allwan_runtime.logs``): the customer id must appear nowhere else, so no
request line, URL or message carries it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from allwan_contracts.links import UNSUBSCRIBE_TOKEN_KIND
from allwan_devstack.system import SERVICES
from allwan_runtime.keystore import MasterKeyring

from tests.e2e.collector import Span
from tests.e2e.conftest import RunningSystem
from tests.e2e.test_system import marketing_is
from tests.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PAN = "4539148803436467"  # a Visa test number (passes Luhn), written nowhere else
CLIENT = "203.0.113.77"  # TEST-NET-3: uvicorn trusts X-Forwarded-For from loopback
KAFKA_KEY = "messaging.kafka.message.key"


def access_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for raw in text.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and line.get("event") == "http.request":
            lines.append(line)
    return lines


def holds(text: str, needle: str, *, except_field: str | None = None) -> bool:
    """Whether ``needle`` is anywhere in a log, but as the value of ``except_field`` in a
    structured line."""
    for raw in text.splitlines():
        if needle not in raw:
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            return True
        if not isinstance(line, dict) or except_field is None:
            return True
        line.pop(except_field, None)
        if needle in json.dumps(line, ensure_ascii=False):
            return True
    return False


def logs(system: RunningSystem) -> dict[str, str]:
    return {
        service: system.runner.log_path(service).read_text(errors="replace")
        for service in SERVICES
        if system.runner.log_path(service).exists()
    }


async def test_c2_c3_no_service_logs_a_card_number_an_id_a_token_or_an_address(
    system: RunningSystem,
) -> None:
    customer = f"cust-logs-{uuid.uuid4().hex[:10]}"
    secrets = system.secrets
    keyring = MasterKeyring.parse(secrets["ALLWAN_MASTER_KEYS"], secrets["ALLWAN_BLIND_INDEX_KEY"])
    token = keyring.blind_index(UNSUBSCRIBE_TOKEN_KIND, customer)
    verify = secrets["ALLWAN_WHATSAPP_VERIFY_TOKEN"]
    needles = {"card number": PAN, "token": token, "verify token": verify, "client address": CLIENT}
    forwarded = {"X-Forwarded-For": CLIENT}

    async with system.http() as http:
        as_customer = await system.customer(http, customer) | forwarded
        refused_query = await http.get(f"/v1/catalogue?card={PAN}", headers=forwarded)
        refused_path = await http.get(f"/v1/customers/{PAN}/consents", headers=forwarded)
        granted = await http.post(
            f"/v1/customers/{customer}/consents",
            json={"purpose": "marketing", "action": "grant"},
            headers=as_customer,
        )
        assert (refused_query.status_code, refused_path.status_code) == (422, 422)
        assert granted.status_code == 202, granted.text
        await marketing_is(system, http, customer, "granted", "marketing granted on the web")
        unsubscribed = await http.post(
            f"/v1/unsubscribe?customer={customer}&token={token}", headers=forwarded
        )
        assert unsubscribed.status_code == 202, unsubscribed.text
        await marketing_is(system, http, customer, "withdrawn", "the link's withdrawal handled")
        handshake = await http.get(
            "/v1/webhooks/whatsapp",
            params={"hub.mode": "subscribe", "hub.verify_token": verify, "hub.challenge": "c1"},
            headers=forwarded,
        )
        assert handshake.status_code == 200
        ledger = await http.get(
            f"/v1/staff/ledger/policies/1?customer_id={customer}",
            headers=system.staff() | forwarded,
        )
        assert ledger.status_code in {200, 404, 503}, ledger.text
    notifier_asked = ledger.status_code != 503

    expected = {
        ("GET", "<unmatched>", 422),
        ("POST", "/v1/customers/{customer_id}/consents", 202),
        ("GET", "/v1/customers/{customer_id}/consents", 200),
        ("POST", "/v1/unsubscribe", 202),
        ("GET", "/v1/webhooks/whatsapp", 200),
        ("GET", "/v1/staff/ledger/policies/{version}", ledger.status_code),
    }

    async def all_written() -> dict[str, str] | None:
        found = logs(system)
        gateway = {(x["method"], x["route"], x["status"]) for x in access_lines(found["gateway"])}
        notifier = access_lines(found.get("notifier", ""))
        if not expected <= gateway:
            return None
        if notifier_asked and not any(x["route"] == "/ledger/policies" for x in notifier):
            return None
        return found

    found = await eventually(all_written, what="the access-log lines of these requests")

    assert set(SERVICES) - set(system.pending) <= set(found)
    for service, text in found.items():
        if service not in system.pending:
            # It answered the readiness probes: its log was read, access lines and all.
            assert access_lines(text), f"no access-log line in {service}'s log"
        leaked = [what for what, needle in needles.items() if needle in text]
        if holds(text, customer, except_field="customer_id"):
            leaked.append("customer id")
        assert not leaked, f"{service}'s log holds the {', '.join(leaked)}"
    gateway_lines = access_lines(found["gateway"])
    assert all("trace_id" in line for line in gateway_lines)
    assert all(set(line) >= {"method", "route", "status", "duration_ms"} for line in gateway_lines)

    # The spans every service exported hold none of it either; Kafka's record key (the
    # customer id of a consent event) is an identifier, like ``customer_id`` in a log line.
    async def exported() -> list[Span] | None:
        spans = list(system.collector.spans)
        names = {(span.service, span.name) for span in spans}
        return spans if ("allwan-gateway", "POST /v1/unsubscribe") in names else None

    spans = await eventually(exported, what="the gateway's span of the unsubscribe request")
    for span in spans:
        attributes = {k: v for k, v in span.attributes.items() if k != KAFKA_KEY}
        text = repr((span.name, attributes))
        leaked = [what for what, needle in needles.items() if needle in text]
        leaked += ["customer id"] if customer in text else []
        assert not leaked, f"{span.service}'s span {span.name!r} holds the {', '.join(leaked)}"
