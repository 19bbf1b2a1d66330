"""The service's entry points build without servers: settings, consumers, AsyncAPI, the
read-only ledger routes, the producer guard, and the email metric."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from allwan_contracts import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CorrectionApplied,
    CustomerContactChanged,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    Event,
    OrderPlaced,
    PolicyChanged,
    PolicyDocumentPublished,
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestExtended,
    PrivacyRequestReceived,
    PrivacyRequestStarted,
    SubscriptionActivated,
)
from allwan_contracts.breaches import BreachNoticeRequested
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.retention import RetentionNoticeRequested
from allwan_contracts.topics import (
    BREACH_NOTICES,
    CONSENT,
    CUSTOMERS,
    DISCLOSURES,
    ORDERS,
    POLICIES,
    PRIVACY,
    PRIVACY_REPLIES,
    RETENTION,
)
from allwan_notifier.adapters.metrics import EMAILS, EmailMetrics
from allwan_notifier.bootstrap import bootstrap
from allwan_notifier.domain.deliveries import Kind, State
from allwan_notifier.domain.messages import Withdrawal
from allwan_notifier.entrypoints.app import create_app
from allwan_notifier.entrypoints.cli import main
from allwan_notifier.entrypoints.ledger_api import ledger_routes
from allwan_notifier.settings import NotifierSettings
from allwan_runtime.cli import asyncapi_document
from allwan_runtime.keystore import generate_master_key
from allwan_runtime.service import ServiceRuntime
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from pydantic import SecretStr

from tests.unit.notifier.fakes import envelope, policy_changed


def test_t2_smtp_uses_tls_unless_told_otherwise_and_hides_its_password() -> None:
    settings = NotifierSettings(smtp_password=SecretStr("hunter2"))

    assert settings.smtp_tls == "starttls"
    assert "hunter2" not in repr(settings)


def test_smtp_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "ALLWAN_SMTP_HOST": "smtp.example.com",
        "ALLWAN_SMTP_PORT": "465",
        "ALLWAN_SMTP_TLS": "tls",
        "ALLWAN_SMTP_USERNAME": "notifier",
        "ALLWAN_SMTP_PASSWORD": "s3cret",
        "ALLWAN_MAIL_FROM": "Store <mail@example.com>",
    }.items():
        monkeypatch.setenv(name, value)

    settings = NotifierSettings()

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_tls) == (
        "smtp.example.com",
        465,
        "tls",
    )
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "s3cret"
    assert settings.mail_from == "Store <mail@example.com>"


def test_p2_the_smtp_provider_is_the_registrys_smtp_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert NotifierSettings().smtp_recipient == "smtp"

    monkeypatch.setenv("ALLWAN_SMTP_RECIPIENT", "smtp.mailgun")

    assert NotifierSettings().smtp_recipient == "smtp.mailgun"


def test_p2_an_smtp_provider_that_is_no_registry_id_stops_the_service_at_start() -> None:
    with pytest.raises(ValueError, match="smtp_recipient"):
        NotifierSettings(smtp_recipient="Mail Provider")


def test_ct1_k3_contact_and_withdrawal_channels_default_to_the_policys() -> None:
    settings = NotifierSettings()
    withdrawal = Withdrawal.of(settings.contact(), settings.withdraw_url)

    assert withdrawal.whatsapp == "0563120415"
    assert withdrawal.web.startswith("https://")


def test_a_sender_without_an_address_stops_the_service_at_start() -> None:
    with pytest.raises(ValueError, match="mail_from"):
        NotifierSettings(mail_from="nobody")


def test_asyncapi_lists_every_topic_the_notifier_consumes() -> None:
    document = asyncapi_document(create_app(NotifierSettings(service_name="notifier-doc")))

    channels = json.dumps(json.loads(document)["channels"])
    for topic in (
        ORDERS,
        CONSENT,
        CUSTOMERS,
        POLICIES,
        PRIVACY,
        PRIVACY_REPLIES,
        BREACH_NOTICES,
        RETENTION,
        DISCLOSURES,
    ):
        assert topic.name in channels


CONSUMED: dict[str, set[type[Event]]] = {
    "book": {
        OrderPlaced,
        CustomerContactChanged,
        ConsentGranted,
        ConsentWithdrawn,
        ConsentReconfirmationRequired,
        CustomerErased,
    },
    "policies": {PolicyDocumentPublished, PolicyChanged},
    "mail": {
        OrderPlaced,
        CustomerContactChanged,
        SubscriptionActivated,
        ConsentWithdrawn,
        PrivacyRequestReceived,
        PrivacyRequestExtended,
        PrivacyRequestStarted,
        PrivacyRequestCompleted,
        PrivacyRequestDenied,
        BreachNoticeRequested,
        RetentionNoticeRequested,
    },
    "privacy": {PrivacyRequestStarted},
}
PUBLISHED: dict[str, set[type[Event]]] = {
    PRIVACY_REPLIES.name: {CustomerDataExported, CorrectionApplied, ErasureConfirmed},
    DISCLOSURES.name: {DataDisclosed},
}


def test_asyncapi_gives_each_consumer_the_payload_schema_of_every_event_it_handles() -> None:
    app = create_app(NotifierSettings(service_name="notifier-doc"))

    document = app.schema.to_specification().to_jsonable()

    schemas = document["components"]["schemas"]
    messages = document["components"]["messages"]
    for group, events in CONSUMED.items():
        channels = {
            name: channel
            for name, channel in document["channels"].items()
            if name.startswith(f"notifier-doc.{group}:")
        }
        assert channels, group
        listed: set[str] = set()
        for channel in channels.values():
            [reference] = channel["messages"].values()
            payload = messages[reference["$ref"].rsplit("/", 1)[1]]["payload"]
            refs = {ref["$ref"].rsplit("/", 1)[1] for ref in payload.get("oneOf", [payload])}
            # Each topic's channel lists the group's events that travel on that topic only.
            on_topic = {
                f"{e.event_type}:Payload" for e in events if channel["address"].endswith(e.topic)
            }
            assert refs == on_topic, (group, channel["address"])
            listed |= refs
        assert listed == {f"{event.event_type}:Payload" for event in events}, group
    for event in set[type[Event]]().union(*CONSUMED.values(), *PUBLISHED.values()):
        properties = schemas[f"{event.event_type}:Payload"]["properties"]
        assert set(event.model_fields) <= set(properties), event.event_type


def test_asyncapi_lists_the_answers_to_privacy_requests_the_relay_publishes() -> None:
    app = create_app(NotifierSettings(service_name="notifier-doc"))

    document = app.schema.to_specification().to_jsonable()

    messages = document["components"]["messages"]
    for topic, events in PUBLISHED.items():
        [channel] = [
            channel
            for name, channel in document["channels"].items()
            if name == f"notifier-doc:publish:{topic}"
        ]
        assert channel["address"] == topic
        [reference] = channel["messages"].values()
        payload = messages[reference["$ref"].rsplit("/", 1)[1]]["payload"]
        refs = {ref["$ref"].rsplit("/", 1)[1] for ref in payload.get("oneOf", [payload])}
        assert refs == {f"{event.event_type}:Payload" for event in events}


def without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALLWAN_MASTER_KEYS", "ALLWAN_BLIND_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_the_asyncapi_command_needs_no_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    without_keys(monkeypatch)
    monkeypatch.setenv("ALLWAN_SERVICE_NAME", "notifier-doc")

    assert main(["asyncapi"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert "PolicyChanged:Payload" in document["components"]["schemas"]


async def test_a_notifier_without_keys_stops_at_start_before_touching_storage() -> None:
    # Nothing listens on port 1: reaching MongoDB first would fail otherwise, and slowly.
    settings = NotifierSettings(
        service_name="notifier-unit",
        master_keys=None,
        blind_index_key=None,
        mongo_url=SecretStr("mongodb://127.0.0.1:1/"),
    )
    runtime = ServiceRuntime(settings, relay=False)
    service = bootstrap(runtime, settings)

    with pytest.raises(RuntimeError, match="ALLWAN_MASTER_KEYS"):
        await service.start()

    assert service.worker.runs == 0
    await runtime.mongo.close()


def test_the_command_line_knows_only_its_commands() -> None:
    with pytest.raises(SystemExit):
        main(["migrate"])
    with pytest.raises(SystemExit):
        main(["serve", "campaign.json"])


def test_a_campaign_without_its_file_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign"]) == 2
    assert "JSON file" in capsys.readouterr().err


def settings_with_keys(**changes: Any) -> NotifierSettings:
    return NotifierSettings(
        service_name="notifier-unit",
        master_keys=SecretStr(f"k1:{generate_master_key()}"),
        blind_index_key=SecretStr(generate_master_key()),
        **changes,
    )


async def test_pc2_a_policy_change_from_anyone_but_consent_is_ignored() -> None:
    # Nothing listens on port 1: a record that got through would fail on MongoDB.
    settings = settings_with_keys(
        consent_producer="consent-real", mongo_url=SecretStr("mongodb://127.0.0.1:1/")
    )
    runtime = ServiceRuntime(settings, relay=False)
    service = bootstrap(runtime, settings)
    changed = policy_changed(2, material=True)

    handle = service.policy_handlers.bound()[PolicyChanged]

    await handle(envelope(changed, producer="intruder"), changed)

    await runtime.mongo.close()


class FakeQueries:
    def __init__(self) -> None:
        self.asked: list[tuple[Any, ...]] = []

    async def policy_entries(
        self, version: int, *, state: State | None = None, after: str | None = None, limit: int
    ) -> list[dict[str, Any]]:
        self.asked.append((version, state, after, limit))
        customers = {None: ["c-1", "c-2"], State.PENDING: ["c-3"], State.SENDING: ["c-2"]}
        return [{"customer_id": c} for c in customers.get(state, [])][:limit]

    async def policy_entry(self, version: int, customer_id: str) -> dict[str, Any] | None:
        return {"customer_id": customer_id, "state": "sent"} if customer_id == "c-1" else None

    async def policy_counts(self, version: int, *, exact: bool = False) -> dict[str, Any] | None:
        if version != 3:
            return None
        return {"version": 3, "sent": 2, "pending": 1, "source": "ledger" if exact else "job"}

    async def jobs(self) -> list[dict[str, Any]]:
        return [{"job": "policy:3"}]


def ledger_client(queries: FakeQueries) -> httpx.AsyncClient:
    routes = dict(ledger_routes(queries))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await routes[scope["path"]](scope, receive, send)

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifier")


async def test_pc2_staff_read_who_was_told_of_a_version_a_page_at_a_time() -> None:
    queries = FakeQueries()
    async with ledger_client(queries) as client:
        page = await client.get("/ledger/policies", params={"version": 3, "limit": 2})
        one = await client.get("/ledger/policies", params={"version": 3, "customer_id": "c-1"})
        none = await client.get("/ledger/policies", params={"version": 3, "customer_id": "c-9"})

    assert page.status_code == 200
    assert page.json() == {
        "version": 3,
        "entries": [{"customer_id": "c-1"}, {"customer_id": "c-2"}],
        "next": "c-2",
    }
    assert one.json()["state"] == "sent"
    assert none.status_code == 404


async def test_pc2_pending_for_staff_means_not_yet_sent_whether_or_not_under_way() -> None:
    queries = FakeQueries()
    async with ledger_client(queries) as client:
        answer = await client.get("/ledger/policies", params={"version": 3, "status": "pending"})

    assert [entry["customer_id"] for entry in answer.json()["entries"]] == ["c-2", "c-3"]
    assert [asked[1] for asked in queries.asked] == [State.PENDING, State.SENDING]


async def test_pc2_counts_of_a_version_from_the_job_or_exactly_from_the_ledger() -> None:
    async with ledger_client(FakeQueries()) as client:
        job = await client.get("/ledger/policies/counts", params={"version": 3})
        exact = await client.get("/ledger/policies/counts?version=3&exact=true")
        missing = await client.get("/ledger/policies/counts", params={"version": 2})
        jobs = await client.get("/ledger/jobs")

    assert job.json()["source"] == "job"
    assert exact.json()["source"] == "ledger"
    assert missing.status_code == 404
    assert jobs.json() == {"jobs": [{"job": "policy:3"}]}


@pytest.mark.parametrize(
    "query",
    ["", "version=zero", "version=0", "version=3&status=lost", "version=3&limit=5000"],
)
async def test_the_ledger_refuses_a_malformed_question(query: str) -> None:
    async with ledger_client(FakeQueries()) as client:
        answer = await client.get(f"/ledger/policies?{query}")

    assert answer.status_code == 400
    assert "error" in answer.json()


async def test_the_ledger_is_read_only() -> None:
    async with ledger_client(FakeQueries()) as client:
        answer = await client.post("/ledger/policies?version=3")

    assert answer.status_code == 405


def test_the_email_counter_counts_by_kind_and_status() -> None:
    reader = InMemoryMetricReader()
    metrics = EmailMetrics(MeterProvider(metric_readers=[reader]).get_meter("test"))

    metrics.counted(Kind.POLICY, State.SENT)
    metrics.counted(Kind.POLICY, State.SENT)
    metrics.counted(Kind.POLICY, "deferred")

    data = reader.get_metrics_data()
    assert data is not None
    (metric,) = [m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]
    assert metric.name == EMAILS
    points = {}
    for point in metric.data.data_points:
        assert isinstance(point, NumberDataPoint)
        assert point.attributes is not None
        points[(point.attributes["kind"], point.attributes["status"])] = point.value
    assert points == {("policy", "sent"): 2, ("policy", "deferred"): 1}
