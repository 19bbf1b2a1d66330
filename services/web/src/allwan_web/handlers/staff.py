"""What the staff console asks of the gateway's staff API, with the signed-in member's own
token: every call is audited there under their name (S1)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from allwan_web.adapters.gateway import GatewayClient, GatewayProblem, GatewayUnavailable
from allwan_web.adapters.sessions import Session
from allwan_web.domain.staff import (
    AuditFilters,
    DueCounts,
    Fanout,
    PolicyDraft,
    due_counts,
    due_soon,
    fanout,
    published_version,
    queue_order,
    retry_minutes,
)


class SignInRefused(Exception):
    """The staff id and password match no account (the gateway does not say which)."""


class SignInLocked(Exception):
    """Too many failed sign-ins for this staff id (S1)."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"locked for {minutes} minutes")
        self.minutes = minutes


async def sign_in(
    gateway: GatewayClient, session: Session, staff_id: str, password: str, now: datetime
) -> None:
    """Ask the gateway for the staff member's own token (S1) and keep it, with who it names,
    in the session only; the browser never sees it. The password goes to the gateway and
    nowhere else."""
    try:
        answer = await gateway.call(
            "POST",
            "/v1/auth/staff-token",
            client_key=True,
            json={"staff_id": staff_id, "password": password},
        )
    except GatewayProblem as problem:
        if problem.status == 429:
            raise SignInLocked(retry_minutes(problem.retry_after_s)) from None
        if problem.status in (401, 422):
            # 422: a password the gateway refuses to read (card-like, C3): the same answer.
            raise SignInRefused from None
        raise
    token = str(answer.body["access_token"])
    expires = now + timedelta(seconds=int(answer.body["expires_in"]))
    member = await gateway.call("GET", "/v1/auth/staff", token=token)
    session.staff_token = token
    session.staff_token_expires = expires
    session.staff_id = str(member.body["staff_id"])
    session.staff_name = str(member.body["name"])


# -- the dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    due: DueCounts
    urgent: list[dict[str, Any]]
    """Overdue requests and those due soon, most urgent first."""
    breaches: list[dict[str, Any]] | None
    """Breaches not closed, as the register orders them (overdue, then nearest deadline);
    None while the register cannot be read."""
    views: list[tuple[str, int]]
    visitors_today: int


async def dashboard(
    gateway: GatewayClient, token: str, views: Counter[str], visitors_today: int
) -> Dashboard:
    """What needs doing first, and the first-party analytics counts (counts only, CK1)."""
    requests = await privacy_queue(gateway, token)
    due = due_counts(requests)
    urgent = [r for r in requests if r.get("overdue") or due_soon(r)]
    try:
        register = await gateway.call("GET", "/v1/staff/breaches", token=token)
    except GatewayUnavailable:
        # The register lives in the privacy service: the requests still show without it.
        return Dashboard(due, urgent, None, views.most_common(10), visitors_today)
    breaches = [b for b in register.body["breaches"] if b.get("state") != "closed"]
    return Dashboard(due, urgent, breaches, views.most_common(10), visitors_today)


# -- privacy requests ------------------------------------------------------------------------


async def privacy_queue(gateway: GatewayClient, token: str) -> list[dict[str, Any]]:
    """The open requests, overdue first, then by days left."""
    answer = await gateway.call("GET", "/v1/staff/privacy-requests", token=token)
    return [dict(item) for item in queue_order(answer.body["requests"])]


async def privacy_request(gateway: GatewayClient, token: str, request_id: str) -> dict[str, Any]:
    answer = await gateway.call("GET", f"/v1/staff/privacy-requests/{request_id}", token=token)
    return dict(answer.body)


async def extend_request(
    gateway: GatewayClient, token: str, request_id: str, body: dict[str, Any]
) -> None:
    """PDPL: move the deadline once, by 1 to 30 days; the customer is emailed why."""
    await gateway.call(
        "POST", f"/v1/staff/privacy-requests/{request_id}/extension", token=token, json=body
    )


async def deny_request(
    gateway: GatewayClient, token: str, request_id: str, body: dict[str, Any]
) -> None:
    """Refuse an open request for a legal reason, which the customer is told."""
    await gateway.call(
        "POST", f"/v1/staff/privacy-requests/{request_id}/denial", token=token, json=body
    )


# -- policies (PC1, PC2) ---------------------------------------------------------------------


async def policy_versions(gateway: GatewayClient) -> list[dict[str, Any]]:
    """Every published version, newest first."""
    answer = await gateway.call("GET", "/v1/policy/versions")
    return sorted(answer.body["versions"], key=lambda v: int(v["version"]), reverse=True)


async def latest_version(gateway: GatewayClient) -> int:
    versions = await policy_versions(gateway)
    return int(versions[0]["version"]) if versions else 0


async def publish_policy(gateway: GatewayClient, token: str, draft: PolicyDraft) -> None:
    """PC1: the consent service numbers the version and it is served at once; a material
    one is emailed to every customer once (PC2)."""
    await gateway.call("POST", "/v1/staff/policies", token=token, json=draft.body())


async def find_published(gateway: GatewayClient, after: int, draft: PolicyDraft) -> int | None:
    """The number ``draft`` was published under, once the consent service has numbered it."""
    return published_version(await policy_versions(gateway), after, draft)


async def policy_version(gateway: GatewayClient, version: int) -> dict[str, Any]:
    answer = await gateway.call("GET", f"/v1/policy/versions/{version}")
    return dict(answer.body)


async def notice_progress(gateway: GatewayClient, token: str, version: int) -> Fanout | None:
    """How far the version's emails have gone; None until the notifier has started them."""
    try:
        answer = await gateway.call(
            "GET", f"/v1/staff/ledger/policies/{version}/counts", token=token
        )
    except GatewayProblem as problem:
        if problem.status == 404:
            return None
        raise
    return fanout(answer.body)


# -- customers (K3) --------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRecord:
    proof: list[dict[str, Any]]
    disclosures: list[dict[str, Any]] | None
    """None while the privacy service cannot be asked (the proof still shows)."""
    more_disclosures: bool


async def customer_record(gateway: GatewayClient, token: str, customer_id: str) -> CustomerRecord:
    """The customer's consent proof, newest first, and their disclosure ledger (D3)."""
    base = f"/v1/staff/customers/{customer_id}"
    proof = await gateway.call("GET", f"{base}/consent-proof", token=token)
    entries = list(reversed(proof.body["entries"]))
    try:
        page = await gateway.call("GET", f"{base}/disclosures", token=token, params={"limit": 50})
    except GatewayUnavailable:
        return CustomerRecord(entries, None, more_disclosures=False)
    disclosures = page.body["disclosures"]
    return CustomerRecord(entries, disclosures, more_disclosures=bool(page.body.get("next_cursor")))


async def record_withdrawal(
    gateway: GatewayClient, token: str, customer_id: str, body: dict[str, Any]
) -> None:
    """K3: a withdrawal the customer sent by email or phone, with its message's reference."""
    await gateway.call(
        "POST", f"/v1/staff/customers/{customer_id}/consent-withdrawals", token=token, json=body
    )


# -- breaches (S2) ---------------------------------------------------------------------------


async def breaches(gateway: GatewayClient, token: str) -> list[dict[str, Any]]:
    """The register: overdue first, then by nearest regulator deadline."""
    answer = await gateway.call("GET", "/v1/staff/breaches", token=token)
    return list(answer.body["breaches"])


async def open_breach(
    gateway: GatewayClient, token: str, body: dict[str, Any], key: str
) -> dict[str, Any]:
    """Register a breach; its regulator deadline is 72 hours after its detection (PDPL).
    ``key`` makes the form safe to send twice."""
    answer = await gateway.call(
        "POST", "/v1/staff/breaches", token=token, json=body, idempotency_key=key
    )
    return dict(answer.body)


async def breach(gateway: GatewayClient, token: str, breach_id: str) -> dict[str, Any]:
    answer = await gateway.call("GET", f"/v1/staff/breaches/{breach_id}", token=token)
    return dict(answer.body)


BREACH_STEPS = {
    "regulator": "regulator-notification",
    "customers": "notifications",
    "closure": "closure",
}


async def breach_step(
    gateway: GatewayClient, token: str, breach_id: str, step: str, body: dict[str, Any]
) -> None:
    """The regulator told, the customers told (each once, by email), or the breach closed."""
    await gateway.call(
        "POST", f"/v1/staff/breaches/{breach_id}/{BREACH_STEPS[step]}", token=token, json=body
    )


async def breach_report(gateway: GatewayClient, token: str, breach_id: str) -> bytes:
    """The breach as the regulator is told of it (``allwan.breach-report/1``, JSON)."""
    answer = await gateway.call("GET", f"/v1/staff/breaches/{breach_id}/report", token=token)
    return answer.content


# -- the audit trail (S1) --------------------------------------------------------------------


@dataclass(frozen=True)
class AuditPage:
    entries: list[dict[str, Any]]
    next: str | None


async def audit_trail(
    gateway: GatewayClient, token: str, filters: AuditFilters, cursor: str | None
) -> AuditPage:
    """A page of the audit trail, newest first; reading it is itself audited."""
    params: dict[str, str | int] = {**filters.params(), "limit": 50}
    if cursor is not None:
        params["cursor"] = cursor
    answer = await gateway.call("GET", "/v1/staff/audit", token=token, params=params)
    return AuditPage(list(answer.body["entries"]), answer.body.get("next"))
