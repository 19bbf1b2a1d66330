"""The privacy service's HTTP API in memory, behind ``httpx.MockTransport``: the exports and
the accountability API (``/internal/...``) with the rules the gateway relies on: a POST names
its staff actor, a creation's Idempotency-Key maps to its id (the same body answers the same
record, another is 409), a recipient is one of the registry's, nothing detected or
disclosed in the future, a breach's states in order, a repeated step answered as it is."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from allwan_contracts.accountability import (
    Breach,
    BreachList,
    BreachReport,
    BreachRequest,
    BreachStep,
    ClosureRequest,
    CustomerNotificationRequest,
    Disclosure,
    DisclosurePage,
    LegalDisclosureRequest,
    RegulatorNotificationRequest,
    RetentionPreviewItem,
    RetentionView,
)
from allwan_contracts.breaches import BreachState, regulator_deadline
from allwan_contracts.disclosures import LegalBasis, RecipientRole
from allwan_gateway.adapters.privacy_api import PrivacyApi
from pydantic import BaseModel, ValidationError

from tests.unit.gateway.fakes import Harness, harness
from tests.unit.gateway.privacy_samples import RECIPIENTS, RECORD, RULE, export_of

ACTOR = re.compile(r"^staff:[A-Za-z0-9._-]{1,64}$")
_IDS = uuid.UUID("5f1c2d3e-4b5a-5c6d-8e7f-0a1b2c3d4e5f")
_STEPS: dict[str, tuple[type[BaseModel], set[BreachState]]] = {
    "regulator-notification": (RegulatorNotificationRequest, {BreachState.OPEN}),
    "notifications": (CustomerNotificationRequest, {BreachState.REGULATOR_NOTIFIED}),
    "closure": (
        ClosureRequest,
        {BreachState.REGULATOR_NOTIFIED, BreachState.CUSTOMERS_NOTIFIED},
    ),
}
_REACHES = {
    "regulator-notification": BreachState.REGULATOR_NOTIFIED,
    "notifications": BreachState.CUSTOMERS_NOTIFIED,
    "closure": BreachState.CLOSED,
}


def problem(status: int, kind: str, detail: str) -> httpx.Response:
    body = {"type": f"urn:allwan:problem:{kind}", "title": "Refused", "status": status}
    return httpx.Response(status, json=body | {"detail": detail})


def shown(model: BaseModel, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=model.model_dump(mode="json"))


class FakePrivacy:
    """What it was asked (``asked``), and what it holds; ``down`` fails every call."""

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.now = now
        self.asked: list[httpx.Request] = []
        self.down: Exception | None = None
        self.canned: httpx.Response | None = None
        self.disclosures: list[Disclosure] = []
        self.breaches: dict[str, dict[str, Any]] = {}
        self._keys: dict[str, Any] = {}

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        if self.down is not None:
            raise self.down
        if self.canned is not None:
            return self.canned
        path, method = request.url.path, request.method
        if method == "POST" and not ACTOR.match(request.headers.get("x-allwan-actor", "")):
            return problem(400, "invalid-actor", "A POST names its staff actor.")
        if match := re.fullmatch(r"/exports/([^/]+)", path):
            if request.headers.get("accept") == "text/html":
                page = f"<!doctype html><html lang=ar dir=rtl><p>{match[1]}</p>"
                return httpx.Response(200, text=page, headers={"content-type": "text/html"})
            return shown(export_of(match[1], request.url.params["customer_id"]))
        if match := re.fullmatch(r"/internal/customers/([^/]+)/disclosures", path):
            return self._page(match[1], request.url.params)
        simple = {
            ("GET", "/internal/recipients"): lambda: httpx.Response(
                200, json={"recipients": [r.model_dump(mode="json") for r in RECIPIENTS]}
            ),
            ("GET", "/internal/retention"): lambda: shown(
                RetentionView(
                    schedule=[RULE],
                    preview=[
                        RetentionPreviewItem(
                            rule=RULE.name, notices_due=2, erasures_due=1, in_notice=4
                        )
                    ],
                    previewed_at=self.now(),
                )
            ),
            ("GET", "/internal/records-of-processing"): lambda: shown(RECORD),
            ("POST", "/internal/disclosures"): lambda: self._disclose(request),
            ("POST", "/internal/breaches"): lambda: self._open(request),
            ("GET", "/internal/breaches"): lambda: self._list(request.url.params),
        }
        if (method, path) in simple:
            return simple[method, path]()
        if match := re.fullmatch(r"/internal/breaches/([^/]+)(?:/([a-z-]+))?", path):
            return self._breach(method, match[1], match[2], request)
        return problem(404, "not-found", "There is no such resource.")

    def _created(self, request: httpx.Request, model: type[BaseModel]) -> Any:
        key = request.headers.get("idempotency-key")
        if key is None:
            return problem(400, "invalid-idempotency-key", "A creation carries its key.")
        try:
            body = model.model_validate_json(request.content)
        except ValidationError:
            return problem(422, "validation-failed", "The body does not match its schema.")
        made = str(uuid.uuid5(_IDS, key))
        earlier = self._keys.setdefault(key, json.loads(request.content))
        if earlier != json.loads(request.content):
            return problem(409, "idempotency-key-reused", "The key was used for another body.")
        return made, body

    def _disclose(self, request: httpx.Request) -> httpx.Response:
        made = self._created(request, LegalDisclosureRequest)
        if isinstance(made, httpx.Response):
            return made
        disclosure_id, body = made
        if body.recipient not in {r.id for r in RECIPIENTS}:
            return problem(422, "unknown-recipient", "No such recipient in the registry.")
        if body.disclosed_at > self.now():
            return problem(422, "disclosed-in-future", "A disclosure is not in the future.")
        found = [d for d in self.disclosures if d.disclosure_id == disclosure_id]
        if not found:
            found = [
                Disclosure(
                    disclosure_id=disclosure_id,
                    customer_id=body.customer_id,
                    recipient=body.recipient,
                    recipient_name=body.recipient,
                    role=RecipientRole.AUTHORITY,
                    categories=body.categories,
                    purpose="legal_obligation",
                    legal_basis=LegalBasis.LAW,
                    reference=body.reference,
                    source=f"legal:{disclosure_id}",
                    recorded_by=request.headers["x-allwan-actor"],
                    at=body.disclosed_at,
                )
            ]
            self.disclosures.append(found[0])
        return shown(found[0], 201)

    def _page(self, customer_id: str, params: httpx.QueryParams) -> httpx.Response:
        cursor = params.get("cursor", "o0")
        if not re.fullmatch(r"o[0-9]{1,6}", cursor):
            return problem(400, "invalid-cursor", "The cursor is not one this ledger gave.")
        start, limit = int(cursor[1:]), int(params.get("limit", "20"))
        own = sorted(
            (d for d in self.disclosures if d.customer_id == customer_id),
            key=lambda d: (d.at, d.disclosure_id),
            reverse=True,
        )
        more = start + limit < len(own)
        page = DisclosurePage(
            disclosures=own[start : start + limit],
            next_cursor=f"o{start + limit}" if more else None,
        )
        return shown(page)

    def _open(self, request: httpx.Request) -> httpx.Response:
        made = self._created(request, BreachRequest)
        if isinstance(made, httpx.Response):
            return made
        breach_id, body = made
        if body.detected_at > self.now():
            return problem(422, "detected-in-future", "A breach is detected before it is opened.")
        listed = body.affected.customer_ids
        self.breaches.setdefault(
            breach_id,
            {
                "request": body,
                "affected_count": len(listed) if listed is not None else 3,
                "history": [
                    BreachStep(
                        state=BreachState.OPEN, at=self.now(), by=request.headers["x-allwan-actor"]
                    )
                ],
                "steps": {},
            },
        )
        return shown(self._shown(breach_id), 201)

    def _shown(self, breach_id: str) -> Breach:
        held = self.breaches[breach_id]
        request: BreachRequest = held["request"]
        deadline = regulator_deadline(request.detected_at)
        state = held["history"][-1].state
        regulator = held["steps"].get("regulator-notification")
        notified = held["steps"].get("notifications")
        left = None if regulator else (deadline - self.now()) / timedelta(hours=1)
        return Breach(
            breach_id=breach_id,
            detected_at=request.detected_at,
            regulator_deadline=deadline,
            state=state,
            categories=request.categories,
            affected_count=held["affected_count"],
            description=request.description,
            likely_consequences=request.likely_consequences,
            measures_taken=request.measures_taken,
            regulator_reference=regulator["reference"] if regulator else None,
            regulator_notified_at=regulator["notified_at"] if regulator else None,
            notified_customers=held["affected_count"] if notified else None,
            overdue=left is not None and left < 0,
            hours_to_deadline=left,
            history=held["history"],
        )

    def _list(self, params: httpx.QueryParams) -> httpx.Response:
        found = [self._shown(breach_id) for breach_id in self.breaches]
        if "state" in params:
            found = [b for b in found if b.state == params["state"]]
        if "overdue" in params:
            found = [b for b in found if b.overdue is (params["overdue"] == "true")]
        found.sort(key=lambda b: (not b.overdue, b.regulator_deadline, b.detected_at))
        return shown(BreachList(breaches=found))

    def _breach(
        self, method: str, breach_id: str, step: str | None, request: httpx.Request
    ) -> httpx.Response:
        if breach_id not in self.breaches:
            return problem(404, "not-found", "There is no such breach.")
        if method == "GET" and step is None:
            return shown(self._shown(breach_id))
        if method == "GET" and step == "report":
            report = BreachReport(
                controller="ALLWANSTORES",
                contact_email="privacy@allwanstores.com",
                breach=self._shown(breach_id),
                generated_at=self.now(),
            )
            return shown(report)
        if method != "POST" or step not in _STEPS:
            return problem(405, "method-not-allowed", "Not here.")
        model, allowed = _STEPS[step]
        try:
            body = json.loads(model.model_validate_json(request.content).model_dump_json())
        except ValidationError:
            return problem(422, "validation-failed", "The body does not match its schema.")
        held = self.breaches[breach_id]
        if step in held["steps"]:
            if held["steps"][step] != body:
                return problem(409, "wrong-state", "This step was made with another body.")
            return shown(self._shown(breach_id))
        if held["history"][-1].state not in allowed:
            return problem(409, "wrong-state", "The breach's state does not allow this step.")
        held["steps"][step] = body
        actor = request.headers["x-allwan-actor"]
        held["history"].append(BreachStep(state=_REACHES[step], at=self.now(), by=actor))
        return shown(self._shown(breach_id), 202 if step == "notifications" else 200)


def stub_privacy(privacy: FakePrivacy | None = None) -> PrivacyApi:
    """The gateway's client of ``privacy`` (a fresh ``FakePrivacy`` if not given)."""
    return PrivacyApi("http://privacy.test", (privacy or FakePrivacy()).transport())


def gateway_over(privacy: FakePrivacy) -> Harness:
    """A gateway whose privacy service is ``privacy``."""
    return harness(privacy_api=stub_privacy(privacy))
