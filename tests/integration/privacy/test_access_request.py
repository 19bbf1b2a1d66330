"""An access request on real Kafka and FerretDB/MongoDB: submitted on the intake topic, answered
by the three holding services on the replies topic, completed on ``allwan.privacy``, and its
export served, valid against its published schema, sealed at rest."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
from allwan_contracts import Channel, Envelope
from allwan_contracts.privacy import (
    IdentityCheck,
    PrivacyRequestKind,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestSubmitted,
)
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
    CustomerDataExported,
    reply_id,
)
from allwan_contracts.sealed import (
    SealedDocument,
)
from allwan_contracts.topics import PRIVACY
from allwan_privacy.adapters.exports import EXPORTS
from allwan_privacy.entrypoints.cli import rebuild_read_models

from tests.integration.privacy.conftest import RunningPrivacy
from tests.unit.privacy.fakes import PARTS
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
SCHEMA = json.loads(
    (Path(__file__).parents[3] / "contracts/schemas/PrivacyExport.json").read_text()
)


async def test_an_access_request_answered_by_every_service_is_completed_and_its_export_served(
    privacy: RunningPrivacy,
) -> None:
    customer, request_id = f"c-{uuid.uuid4().hex[:12]}", str(uuid.uuid4())
    await privacy.send(
        PrivacyRequestSubmitted(
            request_id=request_id,
            customer_id=customer,
            requested_by="customer",
            kind=PrivacyRequestKind.ACCESS,
            channel=Channel.WEB,
            identity_check=IdentityCheck.CUSTOMER_TOKEN,
            submitted_at=datetime.now(UTC),
        ),
        producer=privacy.settings.gateway_producer,
    )

    async def started() -> bool:
        request = await privacy.service.deps.requests.get(request_id)
        return request.state is State.IN_PROGRESS

    await eventually(started, what="the request received and started")
    for service, (part_name, build) in PARTS.items():
        holder = privacy.holder(service)
        sealed = await privacy.keystore.seal(customer, EXPORT_PART_FIELD, build().model_dump_json())
        await privacy.send(
            CustomerDataExported(
                reply_id=reply_id(request_id, holder),
                request_id=request_id,
                customer_id=customer,
                service=holder,
                part_name=part_name,
                part=SealedDocument(**sealed.model_dump()),
                exported_at=datetime.now(UTC),
            ),
            producer=holder,
        )

    def completed(envelopes: list[Envelope]) -> bool:
        return any(
            e.event_type == "PrivacyRequestCompleted" and e.aggregate_id == request_id
            for e in envelopes
        )

    published = await privacy.published(PRIVACY.name, completed)
    mine = [e.event_type for e in published if e.aggregate_id == request_id]
    assert mine.count("PrivacyRequestServiceAnswered") == 3
    assert mine[-1] == "PrivacyRequestCompleted"

    async with privacy.http() as http:
        as_json = await http.get(f"/exports/{request_id}", params={"customer_id": customer})
        as_html = await http.get(
            f"/exports/{request_id}",
            params={"customer_id": customer},
            headers={"Accept": "text/html"},
        )
        other = await http.get(f"/exports/{request_id}", params={"customer_id": "c-other"})
    assert as_json.status_code == 200, as_json.text
    export = as_json.json()
    jsonschema.validate(export, SCHEMA)
    assert export["personal_data_held"] is True
    assert export["contact"]["email"] == "sara@example.com"
    assert [o["order_id"] for o in export["orders"]] == ["ord-1"]
    assert [c["purpose"] for c in export["consents"]] == ["marketing"]
    assert [p["purpose"] for p in export["cookie_preferences"]] == ["analytics_cookies"]
    assert [e["kind"] for e in export["emails"]] == ["receipt"]
    assert request_id in {r["request_id"] for r in export["privacy_requests"]}
    assert as_html.status_code == 200
    assert '<section lang="ar" dir="rtl">' in as_html.text
    assert other.status_code == 404

    stored = await privacy.runtime.db[EXPORTS].find_one({"_id": request_id})
    assert stored is not None
    assert "sara@example.com" not in json.dumps(stored, default=str), "sealed at rest (T2)"

    async def in_read_model() -> bool:
        found = await privacy.runtime.db["privacy_requests"].find_one({"_id": request_id})
        return found is not None and found["state"] == "completed"

    await eventually(in_read_model, what="the read model shows the request completed")
    assert await privacy.service.queries.request_ids(customer) == [request_id]
    replayed = await rebuild_read_models(privacy.settings)
    assert replayed == {"privacy_requests": len(mine)}
    assert await in_read_model()
    assert await privacy.service.queries.request_ids(customer) == [request_id]
