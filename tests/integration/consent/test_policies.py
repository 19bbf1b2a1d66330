"""PC1 on real Kafka and FerretDB/MongoDB: versions, flags, re-confirmation, rebuild."""

from __future__ import annotations

from typing import Any

import pytest
from allwan_consent.bootstrap import bootstrap
from allwan_consent.domain.policy import PRIVACY, PrivacyPolicy
from allwan_consent.entrypoints.cli import rebuild_read_models
from allwan_contracts import POLICIES, ConsentPurpose, Envelope
from allwan_runtime.eventstore import stream_id

from tests.integration.consent.builders import new_customer, new_mobile, order, publish_request
from tests.integration.consent.conftest import RunningConsent
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
MARKETING = ConsentPurpose.MARKETING


async def test_pc1_material_and_non_material_versions_and_their_reconfirmation_marks(
    consent: RunningConsent,
) -> None:
    consents, policies = consent.service.consents, consent.service.policies
    customer = new_customer()
    await consent.send(
        await order(consent.keystore, customer, new_mobile(), marketing_opt_in=True), as_="orders"
    )
    await eventually(lambda: _in_audience(consent, customer))

    await consent.send(publish_request(material=False, marker="v2"), version=1)
    assert (await eventually(lambda: _version(consent, 2)))["material"] is False
    await consent.send(publish_request(material=True, marker="v3"), version=2)
    current = await eventually(lambda: _version(consent, 3))

    assert current["material"] is True
    assert current["text_en"] == "Privacy policy v3"  # PC1: the full text is served at once
    assert current["contact"]["phone"] == "0563120415"  # CT1
    await eventually(lambda: _awaiting(consent, customer))
    state = (await consents.current(customer)).purposes[MARKETING]
    assert (state.policy_version, state.reconfirm_for) == (1, 3)
    assert customer not in await consents.marketing_audience()
    assert (await consents.current(customer)).granted(ConsentPurpose.ORDER_PROCESSING)
    marks = [e for e in await consents.history(customer) if e["event_type"].startswith("ConsentR")]
    assert [(m["purpose"], m["policy_version"]) for m in marks] == [("marketing", 3)]

    def three_versions(envelopes: list[Envelope]) -> bool:
        return sum(e.event_type == "PolicyChanged" for e in envelopes) >= 3

    changed = [
        e.payload
        for e in await consent.published(POLICIES.name, three_versions)
        if e.event_type == "PolicyChanged"
    ]
    assert [(p["version"], p["material"]) for p in changed] == [(1, False), (2, False), (3, True)]

    # `allwan-consent rebuild` replays the event store alone into the same answers.
    before = (await policies.history(), await consents.history(customer))
    replayed = await rebuild_read_models(consent.settings)
    assert replayed["policies"] == replayed["consents"] >= 8
    assert (await policies.history(), await consents.history(customer)) == before
    assert await consents.awaiting_reconfirmation(MARKETING) == [customer]


async def test_pc1_version_1_is_published_once_however_many_replicas_start(
    consent: RunningConsent,
) -> None:
    replica = bootstrap(consent.runtime, consent.settings)

    await replica.prepare()
    await consent.service.prepare()

    # Every start has returned, so the policy's stream is final: one version in it. (The
    # read model alone could show version 1 before a second version reached it.)
    stored = await consent.runtime.store.load(stream_id(PrivacyPolicy.aggregate_type, PRIVACY))
    assert [(e.event_type, e.payload["version"]) for e in stored] == [
        ("PolicyDocumentPublished", 1),
        ("PolicyChanged", 1),
    ]
    history = await eventually(consent.service.policies.history)
    assert [version["version"] for version in history] == [1]
    assert history[0]["text_ar"].startswith("سياسة الاستخدام والخصوصية")
    assert history[0]["material"] is False


async def _in_audience(consent: RunningConsent, customer: str) -> bool:
    return customer in await consent.service.consents.marketing_audience()


async def _version(consent: RunningConsent, version: int) -> dict[str, Any] | None:
    current = await consent.service.policies.current()
    return current if current is not None and current["version"] == version else None


async def _awaiting(consent: RunningConsent, customer: str) -> bool:
    return customer in await consent.service.consents.awaiting_reconfirmation(MARKETING)
