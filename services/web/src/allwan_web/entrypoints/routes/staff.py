"""The staff console (S1): staff sign in as themselves, and every page acts with that
member's own short-lived token, so the gateway audits each action under their name.

Nothing that names a person travels in a URL: a looked-up customer id and the audit trail's
filters (a staff id) are kept in the session (``session.pending``), on the server, as is a
policy draft under preview.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from allwan_web.adapters.gateway import GatewayClient, GatewayProblem
from allwan_web.domain import staff as rules
from allwan_web.domain.locale import Locale
from allwan_web.domain.staff import AuditFilters, FormInvalid, PolicyDraft
from allwan_web.entrypoints.csrf import Form
from allwan_web.entrypoints.pages import Page, page, render, see_other
from allwan_web.handlers import staff
from allwan_web.handlers.identity import staff_token

SIGN_IN = "/staff/sign-in"
HEADING = "staff.preview.heading"
# The session's scratch values of the console (``session.pending``): never in a URL.
NEXT = "staff.next"
OWNER = "staff.owner"
DRAFT = "staff.policy.draft"
WRITTEN = "staff.policy.written"
PUBLISHED = "staff.policy.published"
CUSTOMER = "staff.customer"
AUDIT = "staff.audit"


class SignInNeeded(Exception):
    """No staff member is signed in on this session, or their token has expired."""


def _to_sign_in(request: Request) -> Response:
    session = request.state.session
    if request.method == "GET":
        query = request.url.query
        session.pending[NEXT] = request.url.path + (f"?{query}" if query else "")
    return see_other(SIGN_IN)


class StaffRoute(APIRoute):
    """A console page: without a valid staff token (none, expired, or one the gateway no
    longer takes) the visitor is sent to sign in, then back to the page they asked for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                return _to_sign_in(request)
            except GatewayProblem as problem:
                if problem.status != 401:
                    raise
                request.state.session.sign_out_staff()
                return _to_sign_in(request)

        return route


router = APIRouter(prefix="/staff", route_class=StaffRoute)
Visitor = Annotated[Page, Depends(page)]


@dataclass(frozen=True)
class Console:
    """A signed-in staff member's page request."""

    visitor: Page
    token: str

    @property
    def gateway(self) -> GatewayClient:
        return self.visitor.web.gateway

    @property
    def pending(self) -> dict[str, str]:
        return self.visitor.session.pending


def signed_in(visitor: Visitor) -> Console:
    """The staff member's token while it is valid; otherwise they sign in (again)."""
    had_token = visitor.session.staff_token is not None
    token = staff_token(visitor.session, visitor.web.clock())
    if token is None:
        if had_token:
            visitor.session.flash.append("staff.sign_in.expired")
        raise SignInNeeded
    return Console(visitor, token)


Staff = Annotated[Console, Depends(signed_in)]


def fields(form: FormData) -> dict[str, str]:
    """A form's text fields (the first value of each)."""
    found: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            found.setdefault(name, value)
    return found


def texts(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str)]


async def show(
    visitor: Page, template: str, section: str, status_code: int = 200, **context: Any
) -> Response:
    context.setdefault("failed", "")
    context.setdefault("errors", {})
    context.setdefault("values", {})
    # A policy's texts are headed in their own language, whatever the page's.
    headings = {lang.value: visitor.web.messages.text(HEADING, lang) for lang in Locale}
    # A Latin name inside an Arabic sentence keeps its own direction (FSI ... PDI).
    context.setdefault("member", f"\u2068{visitor.session.staff_name or ''}\u2069")
    return await render(
        visitor, f"staff/{template}", status_code, section=section, headings=headings, **context
    )


def _id_or_404(value: str) -> str:
    if not rules.ID.fullmatch(value):
        raise HTTPException(404)
    return value


def _refused(problem: GatewayProblem, paths: dict[str, str], fallback: str) -> dict[str, str]:
    """A refusal the gateway answered, beside the fields it names."""
    if problem.status == 422:
        return rules.field_errors(problem.errors, paths, fallback)
    if problem.status == 409:
        return {fallback: "staff.error.conflict"}
    raise problem


# -- signing in and out (S1) --------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_form(visitor: Visitor) -> Response:
    """The sign-in form; a signed-in member goes on to the console."""
    if staff_token(visitor.session, visitor.web.clock()) is not None:
        return see_other("/staff")
    return await show(visitor, "sign_in.html", "sign-in")


@router.post("/sign-in")
async def sign_in(visitor: Visitor, form: Form) -> Response:
    """Sign in with one's own staff id and password: the token stays in the session, and
    the session gets a new id (no fixation)."""
    sent = fields(form)
    values = {"staff_id": sent.get("staff_id", "").strip()}
    try:
        staff_id, password = rules.check_sign_in(sent)
        await staff.sign_in(
            visitor.web.gateway, visitor.session, staff_id, password, visitor.web.clock()
        )
    except FormInvalid as invalid:
        errors = invalid.errors | {"sign-in": "staff.sign_in.fix"}
        return await show(
            visitor, "sign_in.html", "sign-in", 422, failed="sign-in", errors=errors,
            values=values,
        )  # fmt: skip
    except staff.SignInRefused:
        # One answer for an unknown id and a wrong password: it tells no one which ids exist.
        errors = {"sign-in": "staff.sign_in.refused"}
        return await show(
            visitor, "sign_in.html", "sign-in", 401, failed="sign-in", errors=errors,
            values=values,
        )  # fmt: skip
    except staff.SignInLocked as locked:
        return await show(
            visitor, "sign_in.html", "sign-in", 429, failed="sign-in", values=values,
            locked=locked.minutes,
        )  # fmt: skip
    session = visitor.web.sessions.rotate(visitor.session)
    if session.pending.get(OWNER) != session.staff_id:
        # Another member on this browser: nothing the last one selected or drafted carries on.
        for key in [k for k in session.pending if k.startswith("staff.") and k != NEXT]:
            del session.pending[key]
    session.pending[OWNER] = session.staff_id or ""
    return see_other(session.pending.pop(NEXT, "/staff"))


@router.post("/sign-out")
async def sign_out(visitor: Visitor, form: Form) -> Response:
    """Forget the token, and what the member had selected or drafted; a new session id."""
    session = visitor.web.sessions.rotate(visitor.session)
    session.sign_out_staff()
    for key in [k for k in session.pending if k.startswith("staff.")]:
        del session.pending[key]
    session.flash.append("staff.sign_in.signed_out")
    return see_other(SIGN_IN)


# -- the dashboard -------------------------------------------------------------------------


@router.get("")
async def dashboard(console: Staff) -> Response:
    """Requests overdue or due this week, breaches with their 72-hour deadlines, and the
    first-party analytics counts."""
    analytics = console.visitor.web.analytics
    board = await staff.dashboard(
        console.gateway, console.token, analytics.views, analytics.visitors_today
    )
    return await show(console.visitor, "dashboard.html", "dashboard", board=board)


# -- privacy requests ------------------------------------------------------------------------


@router.get("/requests")
async def requests(console: Staff) -> Response:
    """The open requests, overdue first, then by days left (PDPL: 30 days)."""
    queue = await staff.privacy_queue(console.gateway, console.token)
    return await show(console.visitor, "requests.html", "requests", queue=queue)


async def _request_page(
    console: Staff, request_id: str, status_code: int = 200, **context: Any
) -> Response:
    found = await staff.privacy_request(console.gateway, console.token, request_id)
    return await show(
        console.visitor, "request.html", "requests", status_code, item=found,
        reasons=rules.DENIAL_REASONS, **context,
    )  # fmt: skip


@router.get("/requests/{request_id}")
async def request(console: Staff, request_id: str) -> Response:
    """One request: its history, and the forms to extend or deny it."""
    return await _request_page(console, _id_or_404(request_id))


@router.post("/requests/{request_id}/extension")
async def extend(console: Staff, request_id: str, form: Form) -> Response:
    """PDPL: extend the deadline once, by 1 to 30 days, with the reason the customer is told."""
    request_id = _id_or_404(request_id)
    sent = fields(form)
    try:
        body = rules.check_extension(sent)
        await staff.extend_request(console.gateway, console.token, request_id, body)
    except FormInvalid as invalid:
        errors = invalid.errors
    except GatewayProblem as problem:
        errors = _refused(problem, {"days": "days", "reason": "reason"}, "extend")
    else:
        console.visitor.session.flash.append("staff.requests.extended")
        return see_other(f"/staff/requests/{request_id}")
    return await _request_page(
        console, request_id, 422, failed="extend", errors=errors, values=sent
    )


@router.post("/requests/{request_id}/denial")
async def deny(console: Staff, request_id: str, form: Form) -> Response:
    """Refuse the request for a legal reason, which the customer is told."""
    request_id = _id_or_404(request_id)
    sent = fields(form)
    try:
        body = rules.check_denial(sent)
        await staff.deny_request(console.gateway, console.token, request_id, body)
    except FormInvalid as invalid:
        errors = invalid.errors
    except GatewayProblem as problem:
        paths = {"reason": "reason", "explanation": "explanation"}
        errors = _refused(problem, paths, "deny")
    else:
        console.visitor.session.flash.append("staff.requests.denied")
        return see_other(f"/staff/requests/{request_id}")
    return await _request_page(console, request_id, 422, failed="deny", errors=errors, values=sent)


# -- policies (PC1, PC2) ---------------------------------------------------------------------


@router.get("/policies")
async def policies(console: Staff) -> Response:
    """Every published version, newest first."""
    versions = await staff.policy_versions(console.gateway)
    return await show(console.visitor, "policies.html", "policies", versions=versions)


@router.get("/policies/new")
async def new_policy(console: Staff) -> Response:
    """The form for a new version, holding the draft under preview if there is one, or what
    was written when the member's token expired."""
    written = console.pending.get(WRITTEN)
    draft = console.pending.get(DRAFT)
    if written is not None:
        values = json.loads(written)
    else:
        values = PolicyDraft.decode(draft).fields() if draft else {}
    return await show(console.visitor, "policy_new.html", "policies", values=values)


@router.post("/policies/new")
async def preview_policy(visitor: Visitor, form: Form) -> Response:
    """Check the draft and keep it in the session for its preview. A member whose token
    expired while writing keeps what they wrote: it waits here while they sign in again."""
    sent = fields(form)
    if staff_token(visitor.session, visitor.web.clock()) is None:
        visitor.session.pending[WRITTEN] = json.dumps(
            {name: sent.get(name, "") for name in POLICY_FIELDS}, ensure_ascii=False
        )
        visitor.session.pending[NEXT] = "/staff/policies/new"
        signed_in(visitor)  # to sign in, saying why
    try:
        draft = rules.check_policy(sent, visitor.web.clock())
    except FormInvalid as invalid:
        return await show(
            visitor, "policy_new.html", "policies", 422, failed="policy", errors=invalid.errors,
            values=sent,
        )  # fmt: skip
    visitor.session.pending[DRAFT] = draft.encode()
    visitor.session.pending.pop(WRITTEN, None)
    return see_other("/staff/policies/preview")


@router.get("/policies/preview")
async def policy_preview(console: Staff) -> Response:
    """Both languages as customers will read them, and the button that publishes."""
    draft = console.pending.get(DRAFT)
    if draft is None:
        return see_other("/staff/policies/new")
    return await show(
        console.visitor, "policy_preview.html", "policies", draft=PolicyDraft.decode(draft)
    )


_POLICY_PATHS = {name: name for name in ("text_ar", "text_en", "summary_ar", "summary_en")}
POLICY_FIELDS = (*_POLICY_PATHS, "material", "effective_at")


@router.post("/policies/publish")
async def publish_policy(console: Staff, form: Form) -> Response:
    """Publish the previewed draft (PC1); the consent service numbers it, and a material
    one is emailed to every customer once (PC2)."""
    encoded = console.pending.get(DRAFT)
    if encoded is None:
        # Already published (a second click), or never previewed.
        return see_other("/staff/policies")
    draft = PolicyDraft.decode(encoded)
    now = console.visitor.web.clock()
    refused = rules.check_effective_at(draft.effective_at, now)
    errors: dict[str, str] = {"effective_at": refused} if refused else {}
    if not errors:
        after = await staff.latest_version(console.gateway)
        try:
            await staff.publish_policy(console.gateway, console.token, draft)
        except GatewayProblem as problem:
            errors = _refused(problem, _POLICY_PATHS | {"effective_at": "effective_at"}, "policy")
        else:
            del console.pending[DRAFT]
            console.pending[PUBLISHED] = json.dumps({"after": after, "draft": encoded})
            return see_other("/staff/policies/publishing")
    return await show(
        console.visitor, "policy_new.html", "policies", 422, failed="policy", errors=errors,
        values=draft.fields(),
    )  # fmt: skip


@router.get("/policies/publishing")
async def publishing(console: Staff) -> Response:
    """Until the consent service has numbered the new version (a moment); then its page."""
    marker = console.pending.get(PUBLISHED)
    if marker is None:
        return see_other("/staff/policies")
    sent = json.loads(marker)
    draft = PolicyDraft.decode(sent["draft"])
    version = await staff.find_published(console.gateway, int(sent["after"]), draft)
    if version is not None:
        del console.pending[PUBLISHED]
        return see_other(f"/staff/policies/{version}")
    return await show(console.visitor, "policy_publishing.html", "policies", draft=draft)


@router.get("/policies/{version}")
async def policy(console: Staff, version: str) -> Response:
    """A published version, and how far its emails have gone (PC2): the page refreshes
    itself while they are on their way."""
    if not version.isdecimal() or not 1 <= int(version) <= 1_000_000:
        raise HTTPException(404)
    found = await staff.policy_version(console.gateway, int(version))
    progress = None
    if found.get("material"):
        progress = await staff.notice_progress(console.gateway, console.token, int(version))
    return await show(console.visitor, "policy.html", "policies", policy=found, progress=progress)


# -- customers (K3) --------------------------------------------------------------------------


async def _customers_page(console: Staff, status_code: int = 200, **context: Any) -> Response:
    customer_id = console.pending.get(CUSTOMER)
    record = None
    if customer_id is not None:
        record = await staff.customer_record(console.gateway, console.token, customer_id)
    context.setdefault("lookup", {"customer_id": customer_id or ""})
    return await show(
        console.visitor, "customers.html", "customers", status_code, customer_id=customer_id,
        record=record, purposes=rules.PURPOSES, channels=rules.WITHDRAWAL_CHANNELS, **context,
    )  # fmt: skip


@router.get("/customers")
async def customers(console: Staff) -> Response:
    """The customer looked up (kept in the session, never in this URL): their consent proof,
    their disclosures (D3), and the form to record a withdrawal they sent (K3)."""
    return await _customers_page(console)


@router.post("/customers")
async def look_up(console: Staff, form: Form) -> Response:
    """Select a customer by id: the id stays in the session."""
    sent = fields(form)
    try:
        customer_id = rules.check_customer_id(sent)
    except FormInvalid as invalid:
        return await _customers_page(
            console, 422, failed="lookup", errors=invalid.errors, lookup=sent
        )
    console.pending[CUSTOMER] = customer_id
    return see_other("/staff/customers")


@router.post("/customers/forget")
async def forget_customer(console: Staff, form: Form) -> Response:
    console.pending.pop(CUSTOMER, None)
    return see_other("/staff/customers")


@router.post("/customers/withdrawal")
async def record_withdrawal(console: Staff, form: Form) -> Response:
    """K3: a withdrawal the customer sent by email or phone, with its message's reference."""
    customer_id = console.pending.get(CUSTOMER)
    if customer_id is None:
        return see_other("/staff/customers")
    sent = fields(form)
    try:
        body = rules.check_withdrawal(sent)
        await staff.record_withdrawal(console.gateway, console.token, customer_id, body)
    except FormInvalid as invalid:
        errors = invalid.errors
    except GatewayProblem as problem:
        paths = {n: n for n in ("purpose", "channel", "message_reference")}
        errors = _refused(problem, paths, "withdrawal")
    else:
        console.visitor.session.flash.append("staff.customers.withdrawn")
        return see_other("/staff/customers")
    return await _customers_page(console, 422, failed="withdrawal", errors=errors, values=sent)


# -- breaches (S2) ---------------------------------------------------------------------------


@router.get("/breaches")
async def breaches(console: Staff) -> Response:
    """The register: overdue first, then by nearest regulator deadline (72 hours)."""
    found = await staff.breaches(console.gateway, console.token)
    return await show(console.visitor, "breaches.html", "breaches", breaches=found)


async def _new_breach_page(console: Staff, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("values", {"affected": "listed"})
    context["values"].setdefault("key", f"breach-{secrets.token_urlsafe(16)}")
    return await show(
        console.visitor, "breach_new.html", "breaches", status_code,
        categories=rules.DATA_CATEGORIES, chosen=context.pop("chosen", []), **context,
    )  # fmt: skip


@router.get("/breaches/new")
async def new_breach(console: Staff) -> Response:
    """The form to register a breach; its key makes sending it twice register it once."""
    return await _new_breach_page(console)


_BREACH_PATHS = {
    "detected_at": "detected_at",
    "description": "description",
    "categories": "categories",
    "affected.customer_ids": "customer_ids",
    "affected.ordered_from": "ordered_from",
    "affected.ordered_until": "ordered_until",
    "affected": "affected",
    "likely_consequences": "likely_consequences",
    "measures_taken": "measures_taken",
}


@router.post("/breaches/new")
async def open_breach(console: Staff, form: Form) -> Response:
    """Register a breach (S2): its regulator deadline is 72 hours after its detection."""
    sent = fields(form)
    chosen = texts(form, "categories")
    try:
        key = rules.check_idempotency_key(sent)
        body = rules.check_breach(sent, chosen, console.visitor.web.clock())
        opened = await staff.open_breach(console.gateway, console.token, body, key)
    except FormInvalid as invalid:
        errors = invalid.errors
    except GatewayProblem as problem:
        errors = _refused(problem, _BREACH_PATHS, "breach")
    else:
        console.visitor.session.flash.append("staff.breaches.opened")
        return see_other(f"/staff/breaches/{opened['breach_id']}")
    return await _new_breach_page(
        console, 422, failed="breach", errors=errors, values=sent, chosen=chosen
    )


async def _breach_page(
    console: Staff, breach_id: str, status_code: int = 200, **context: Any
) -> Response:
    found = await staff.breach(console.gateway, console.token, breach_id)
    now = console.visitor.web.clock()
    context.setdefault("values", {"notified_at": rules.local_input(now)})
    return await show(
        console.visitor, "breach.html", "breaches", status_code, breach=found,
        hours_left=rules.hours_left(found.get("hours_to_deadline")), **context,
    )  # fmt: skip


@router.get("/breaches/{breach_id}")
async def breach(console: Staff, breach_id: str) -> Response:
    """One breach: its 72-hour deadline, its steps so far, and the next step's form."""
    return await _breach_page(console, _id_or_404(breach_id))


_STEP_CHECKS: dict[str, Callable[[dict[str, str], Console], dict[str, Any]]] = {
    "regulator": lambda sent, c: rules.check_regulator_notification(sent, c.visitor.web.clock()),
    "customers": lambda sent, c: rules.check_customer_notice(sent),
    "closure": lambda sent, c: rules.check_closure(sent),
}
_STEP_PATHS = {
    "regulator": {"reference": "reference", "notified_at": "notified_at"},
    "customers": {"notice.message_ar": "message_ar", "notice.message_en": "message_en"},
    "closure": {"summary": "summary"},
}


@router.post("/breaches/{breach_id}/{step}")
async def breach_step(console: Staff, breach_id: str, step: str, form: Form) -> Response:
    """The regulator told, the affected customers told (each once, by email), or closed."""
    breach_id = _id_or_404(breach_id)
    if step not in _STEP_CHECKS:
        raise HTTPException(404)
    sent = fields(form)
    try:
        body = _STEP_CHECKS[step](sent, console)
        await staff.breach_step(console.gateway, console.token, breach_id, step, body)
    except FormInvalid as invalid:
        errors = invalid.errors
    except GatewayProblem as problem:
        errors = _refused(problem, _STEP_PATHS[step], step)
    else:
        console.visitor.session.flash.append(f"staff.breaches.done.{step}")
        return see_other(f"/staff/breaches/{breach_id}")
    return await _breach_page(console, breach_id, 422, failed=step, errors=errors, values=sent)


@router.get("/breaches/{breach_id}/report")
async def breach_report(console: Staff, breach_id: str) -> Response:
    """The regulator's report of the breach, as a JSON file (``allwan.breach-report/1``)."""
    breach_id = _id_or_404(breach_id)
    content = await staff.breach_report(console.gateway, console.token, breach_id)
    return Response(
        content,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="breach-{breach_id}.json"'},
    )


# -- the audit trail (S1) --------------------------------------------------------------------


@router.get("/audit")
async def audit(console: Staff, cursor: str | None = None) -> Response:
    """The audit trail, newest first, with the filters chosen (kept in the session)."""
    filters = AuditFilters.decode(console.pending.get(AUDIT))
    start = rules.valid_cursor(cursor)
    if cursor is not None and start is None:
        raise HTTPException(404)
    trail = await staff.audit_trail(console.gateway, console.token, filters, start)
    return await show(
        console.visitor, "audit.html", "audit", trail=trail, values=filters.fields(),
        first=start is None,
    )  # fmt: skip


@router.post("/audit")
async def filter_audit(console: Staff, form: Form) -> Response:
    """Choose the filters (or clear them): whose actions, which, and between when."""
    sent = fields(form)
    if sent.get("clear"):
        console.pending.pop(AUDIT, None)
        return see_other("/staff/audit")
    try:
        filters = rules.check_audit_filters(sent)
    except FormInvalid as invalid:
        trail = await staff.audit_trail(
            console.gateway, console.token, AuditFilters.decode(console.pending.get(AUDIT)), None
        )
        return await show(
            console.visitor, "audit.html", "audit", 422, trail=trail, failed="audit",
            errors=invalid.errors, values=sent, first=True,
        )  # fmt: skip
    console.pending[AUDIT] = filters.encode()
    return see_other("/staff/audit")
