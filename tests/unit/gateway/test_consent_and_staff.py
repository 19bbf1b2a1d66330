"""Consent through the gateway (K2, K3, CK1, C2), the policy (PC1, CT1) and the staff API."""

from __future__ import annotations

from allwan_contracts.intake import ConsentChangeRequested, PolicyPublishRequested

from tests.unit.gateway.fakes import SECRETS, Harness, harness, stub_notifier
from tests.unit.gateway.seed import consent, deliver, everything, publish_policy
from tests.unit.gateway.test_problems import assert_problem


async def test_k3_a_customer_withdraws_marketing_on_the_web_with_proof_but_no_raw_ip(
    gw: Harness,
) -> None:
    async with gw.client() as http:
        answer = await http.post(
            "/v1/customers/cust-1/consents",
            json={"purpose": "marketing", "action": "withdraw"},
            headers=gw.customer("cust-1") | {"User-Agent": "Safari/17"},
        )

    assert answer.status_code == 202
    assert answer.headers["location"] == "/v1/customers/cust-1/consents"
    [request] = gw.intake("ConsentChangeRequested")
    assert isinstance(request, ConsentChangeRequested)
    assert (request.action, request.purpose, request.channel) == ("withdraw", "marketing", "web")
    assert request.evidence.user_agent_hmac is not None  # C2: the header is not kept
    assert "Safari/17" not in gw.store.envelopes()[0].model_dump_json()
    assert request.evidence.ip_hmac is not None
    assert len(request.evidence.ip_hmac) == 64
    assert "127.0.0.1" not in gw.store.envelopes()[0].model_dump_json()


async def test_ck1_cookie_preferences_grant_and_withdraw_each_category(gw: Harness) -> None:
    await deliver(gw.gateway, consent("cust-1", purpose="analytics_cookies"), 1)  # type: ignore[arg-type]
    async with gw.client() as http:
        shown = await http.get(
            "/v1/customers/cust-1/cookie-preferences", headers=gw.customer("cust-1")
        )
        changed = await http.put(
            "/v1/customers/cust-1/cookie-preferences",
            json={"functional": True, "analytics": False},
            headers=gw.customer("cust-1"),
        )

    assert shown.json() == {"essential": True, "functional": False, "analytics": True}
    assert changed.status_code == 202
    requests = gw.intake("ConsentChangeRequested")
    assert {(r.purpose.value, r.action.value) for r in requests} == {
        ("functional_cookies", "grant"),
        ("analytics_cookies", "withdraw"),
    }


async def test_k3_staff_record_a_withdrawal_received_by_email_or_phone(gw: Harness) -> None:
    async with gw.client() as http:
        for channel in ("email", "phone"):
            answer = await http.post(
                "/v1/staff/customers/cust-1/consent-withdrawals",
                json={"purpose": "marketing", "channel": channel, "message_reference": "msg-2291"},
                headers=gw.staff("s-7"),
            )
            assert answer.status_code == 202
        web = await http.post(
            "/v1/staff/customers/cust-1/consent-withdrawals",
            json={"purpose": "marketing", "channel": "web", "message_reference": "msg-1"},
            headers=gw.staff("s-7"),
        )

    requests = gw.intake("ConsentChangeRequested")
    assert [(r.channel.value, r.requested_by) for r in requests] == [
        ("email", "staff:s-7"),
        ("phone", "staff:s-7"),
    ]
    assert requests[0].evidence.message_reference == "msg-2291"
    assert web.status_code == 422


async def test_pc1_staff_publish_a_version_and_it_is_served_once_published(gw: Harness) -> None:
    body = {
        "text_ar": "سياسة جديدة",
        "text_en": "New policy",
        "summary_ar": "تغيير",
        "summary_en": "A change",
        "material": True,
    }
    async with gw.client() as http:
        before = await http.get("/v1/policy")
        accepted = await http.post("/v1/staff/policies", json=body, headers=gw.staff("s-7"))
        await publish_policy(gw.gateway, 1)
        after = await http.get("/v1/policy")
        contact = await http.get("/v1/privacy-contact")
        history = await http.get("/v1/policy/versions")

    assert before.status_code == 404
    assert accepted.status_code == 202
    [request] = gw.intake("PolicyPublishRequested")
    assert isinstance(request, PolicyPublishRequested)
    assert (request.material, request.requested_by, request.text_en) == (
        True,
        "staff:s-7",
        "New policy",
    )
    assert after.json()["version"] == 1
    assert {after.json()["text_ar"], after.json()["text_en"]} == {
        "سياسة الخصوصية 1",
        "Privacy policy 1",
    }
    assert contact.json()["whatsapp"] == "0563120415"
    assert [v["version"] for v in history.json()["versions"]] == [1]


async def test_pc2_staff_read_the_notifiers_ledger_through_the_gateway() -> None:
    gw = harness(notifier=stub_notifier())
    key = {"X-API-Key": SECRETS["gateway_staff_api_key"]}
    async with gw.client() as http:
        ledger = await http.get("/v1/staff/ledger/policies/2?limit=10", headers=key)
        counts = await http.get("/v1/staff/ledger/policies/2/counts", headers=key)
        jobs = await http.get("/v1/staff/ledger/jobs", headers=key)
        missing = await http.get("/v1/staff/ledger/policies/9", headers=key)
        customer = await http.get("/v1/staff/ledger/jobs", headers=gw.customer("cust-1"))

    assert ledger.json()["entries"] == [{"customer_id": "cust-1", "state": "sent"}]
    assert counts.json()["sent"] == 2
    assert jobs.json()["jobs"][0]["version"] == 2
    assert_problem(missing, 404, "not-found")
    assert customer.status_code == 403
    actions = {entry["action"] for entry in gw.documents.collection("staff_audit").values()}
    assert actions == {"ledger.policy.read", "ledger.counts.read", "ledger.jobs.read"}


async def test_without_a_notifier_the_ledger_is_unavailable_not_an_error(gw: Harness) -> None:
    async with gw.client() as http:
        answer = await http.get("/v1/staff/ledger/jobs", headers=gw.staff())

    assert_problem(answer, 503, "unavailable")


async def test_health_routes_answer(gw: Harness) -> None:
    await everything(gw.gateway)
    async with gw.client() as http:
        live = await http.get("/health/live")
        ready = await http.get("/health/ready")

    assert live.json() == {"status": "live"}
    assert ready.json() == {"status": "ready", "checks": {}}


async def test_k2_one_click_unsubscribe_withdraws_marketing_without_login(gw: Harness) -> None:
    token = gw.keys.blind_index("unsubscribe-marketing", "cust-7")
    async with gw.client() as http:
        answer = await http.post(
            f"/v1/unsubscribe?customer=cust-7&token={token}&purpose=marketing",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    assert answer.status_code == 202
    [request] = gw.intake("ConsentChangeRequested")
    assert isinstance(request, ConsentChangeRequested)
    assert (request.customer_id, request.action, request.purpose, request.channel) == (
        "cust-7",
        "withdraw",
        "marketing",
        "email",
    )
    assert request.evidence.message_reference == "list-unsubscribe"


async def test_k2_an_unsubscribe_link_for_another_customer_is_refused(gw: Harness) -> None:
    someone_elses = gw.keys.blind_index("unsubscribe-marketing", "cust-7")
    async with gw.client() as http:
        answer = await http.post(
            f"/v1/unsubscribe?customer=cust-8&token={someone_elses}",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    assert_problem(answer, 403, "forbidden")
    assert gw.intake("ConsentChangeRequested") == []
