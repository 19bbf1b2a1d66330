"""The privacy centre: the policy (PC1, PC2), the customer's consents (K2, K3) and cookie
preferences (CK1, CK2), their privacy requests (PDPL: access and a copy, correction, erasure),
the disclosure ledger (D1-D3) and the privacy contact (CT1).

A visitor who has not ordered sees the public parts (the policy, cookies, the contact); the
rest is the session's customer's own, read with their token. No customer id, name, email or
phone ever goes in a URL: request ids do, and a disclosure page's opaque cursor.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from allwan_web.adapters.gateway import GatewayProblem
from allwan_web.domain.locale import Locale
from allwan_web.domain.requests import (
    CONFIRMATION_WORDS,
    Kind,
    Request,
    erasure_confirmed,
    mailto_link,
    open_of_kind,
    plural,
    tel_link,
    whatsapp_link,
)
from allwan_web.entrypoints.csrf import Form
from allwan_web.entrypoints.pages import Page, page, render, see_other
from allwan_web.handlers import privacy
from allwan_web.handlers.notices import reconfirm

router = APIRouter(prefix="/privacy")
Visitor = Annotated[Page, Depends(page)]

PURPOSES = ("order_processing", "marketing", "functional_cookies", "analytics_cookies")
COOKIE_PURPOSES = {"functional_cookies": "functional", "analytics_cookies": "analytics"}
CORRECTED = ("name", "email", "phone", "billing_address")
# The gateway's rules for ids and keys: anything else is no page of ours.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_KEY = re.compile(r"^[\x21-\x7E]{8,200}$")
_CURSOR = re.compile(r"^[\x21-\x7E]{1,500}$")


async def _show(
    visitor: Page, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A privacy page: the parts' navigation needs to know whether the visitor is a customer."""
    return await render(
        visitor,
        template,
        status_code,
        customer=visitor.session.customer_id is not None,
        words=lambda prefix, value: _words(visitor, prefix, value),
        **context,
    )


def _words(visitor: Page, prefix: str, value: Any) -> str:
    """``value`` in words when the catalogue has them (a state, a purpose...); as it is
    otherwise, so that a value added later still shows."""
    key = f"{prefix}.{value}"
    return visitor.t(key) if key in visitor.web.messages.table else str(value)


def _reach(contact: Mapping[str, str] | None) -> dict[str, str] | None:
    """The contact's phone, WhatsApp and email with the links that open them (CT1, K3)."""
    if contact is None:
        return None
    return {
        **contact,
        "tel": tel_link(contact["phone"]),
        "wa": whatsapp_link(contact["whatsapp"]),
        "mailto": mailto_link(contact["email"]),
    }


async def _not_yet(visitor: Page) -> HTMLResponse:
    """The customer-only parts, for a visitor who has not ordered: what will appear there,
    and how to reach the store meanwhile."""
    contact = _reach(await privacy.contact(visitor.web.gateway))
    return await _show(visitor, "privacy/not_yet.html", contact=contact)


async def _customer(visitor: Page) -> privacy.Customer | None:
    return await privacy.customer(visitor.web.gateway, visitor.session, visitor.web.clock())


# -- the hub ----------------------------------------------------------------------------------


@router.get("")
async def hub(visitor: Visitor) -> HTMLResponse:
    """What the store keeps and why, and the parts of the centre this visitor has."""
    contact = None
    if visitor.session.customer_id is None:
        contact = _reach(await privacy.contact(visitor.web.gateway))
    return await _show(visitor, "privacy/hub.html", contact=contact)


# -- the policy (PC1, PC2) --------------------------------------------------------------------


async def _policy_page(visitor: Page, version: int | None, text: str | None) -> HTMLResponse:
    found = await privacy.policy(visitor.web.gateway, version)
    current = found if version is None else await privacy.policy(visitor.web.gateway)
    shown_in = Locale.parse(text, visitor.locale)
    return await _show(
        visitor,
        "privacy/policy.html",
        policy=found,
        current_version=current["version"],
        shown_in=shown_in.value,
        other_text=shown_in.other.value,
        self_path="/privacy/policy" + ("" if version is None else f"/versions/{version}"),
    )


@router.get("/policy")
async def policy(visitor: Visitor, text: str | None = None) -> HTMLResponse:
    """The policy in force: its version, date, kind of change and summary, and its text in
    the page's language, the other language's a link away (``?text=en``)."""
    return await _policy_page(visitor, None, text)


@router.get("/policy/versions")
async def policy_versions(visitor: Visitor) -> HTMLResponse:
    """Every published version, newest first."""
    versions = await privacy.policy_versions(visitor.web.gateway)
    return await _show(visitor, "privacy/versions.html", versions=versions)


@router.get("/policy/versions/{version}")
async def policy_version(visitor: Visitor, version: str, text: str | None = None) -> HTMLResponse:
    """One published version, as it was."""
    if not version.isascii() or not version.isdigit() or not 1 <= int(version) <= 1_000_000:
        raise HTTPException(404)
    return await _policy_page(visitor, int(version), text)


@router.post("/policy/confirmation")
async def confirm_policy(visitor: Visitor, form: Form) -> RedirectResponse:
    """The material-change notice's button (PC2): every suspended purpose granted again under
    the new version, with the browser's proof (C2)."""
    if visitor.session.customer_id is not None:
        await reconfirm(visitor.web.gateway, visitor.session, visitor.browser, visitor.web.clock())
        visitor.session.flash.append("privacy.policy.confirmed")
    return see_other(str(form.get("next", "/privacy/policy")))


# -- consents and cookie preferences (K2, K3, CK1, CK2) ---------------------------------------


@router.get("/consents")
async def consents(visitor: Visitor) -> HTMLResponse:
    """Each purpose's consent, a one-click withdraw or grant, the cookie categories the ledger
    recorded, and the history of every change."""
    who = await _customer(visitor)
    if who is None:
        return await _not_yet(visitor)
    found = await privacy.consents(who)
    cookies = await privacy.cookie_preferences(who)
    history = await privacy.consent_history(who)
    purposes = found.get("purposes") or {}
    rows = [{"purpose": purpose, "state": purposes.get(purpose)} for purpose in PURPOSES]
    return await _show(
        visitor,
        "privacy/consents.html",
        rows=rows,
        erased=bool(found.get("erased")),
        cookies=cookies,
        cookie_fields=COOKIE_PURPOSES,
        history=history,
    )


@router.post("/consents")
async def change_consent(visitor: Visitor, form: Form) -> Response:
    """K2, K3: grant or withdraw marketing, at any time, with proof of the browser (C2).

    Cookie categories are changed through ``/cookies`` (their forms post there), which keeps
    this browser's own cookie and the ledger in step (CK1); order processing comes with an
    order (K1) and is not a consent given or withdrawn on its own here."""
    purpose, action = form.get("purpose"), form.get("action")
    if purpose != "marketing" or action not in ("grant", "withdraw"):
        return await render(visitor, "error.html", 422, problem="refused")
    who = await _customer(visitor)
    if who is None:
        return await _not_yet(visitor)
    await privacy.change_consent(who, purpose, str(action), visitor.browser)
    visitor.session.flash.append("privacy.consents.recorded")
    return see_other("/privacy/consents")


# -- privacy requests (PDPL) ------------------------------------------------------------------


def _days(visitor: Page, request: Request) -> str | None:
    """The days left to answer ``request``, in words; None once it is finished."""
    left = request.days_left(visitor.web.clock())
    if left is None:
        return None
    if left == 0:
        return visitor.t("privacy.days.today")
    count = visitor.t(f"privacy.days.{plural(left)}", count=visitor.number(abs(left)))
    return count if left > 0 else visitor.t("privacy.days.overdue", days=count)


def _new_key() -> str:
    return secrets.token_urlsafe(24)


async def _requests_page(
    visitor: Page,
    who: privacy.Customer,
    status_code: int = 200,
    *,
    failed: Kind | None = None,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    key: str | None = None,
) -> HTMLResponse:
    requests = await privacy.privacy_requests(who)
    now = visitor.web.clock()
    # A form that failed keeps its key (nothing was recorded under it); the others get new ones.
    kept = key if key is not None and _KEY.match(key) else None
    keys = {kind.value: (kept if kind is failed and kept else _new_key()) for kind in Kind}
    return await _show(
        visitor,
        "privacy/requests.html",
        status_code,
        requests=[(r, _days(visitor, r), r.overdue(now)) for r in requests],
        open_requests={kind.value: open_of_kind(requests, kind) for kind in Kind},
        keys=keys,
        failed=failed.value if failed else None,
        errors=errors or {},
        values=values or {},
        corrected=CORRECTED,
        confirm_word=CONFIRMATION_WORDS[visitor.locale],
    )


@router.get("/requests")
async def requests(visitor: Visitor) -> HTMLResponse:
    """The customer's requests with their deadlines and days left, and the forms to ask for
    a copy, a correction or erasure."""
    who = await _customer(visitor)
    if who is None:
        return await _not_yet(visitor)
    return await _requests_page(visitor, who)


def _field_errors(problem: GatewayProblem) -> dict[str, str]:
    """The gateway's 422 (``errors[].location`` such as ``body.correction.changes.email``)
    as the correction form's fields, each with its message key; a card number is named as
    such (C3)."""
    found: dict[str, str] = {}
    for error in problem.errors:
        where = str(error.get("location", "")).rsplit(".", 1)[-1]
        if where not in CORRECTED:
            continue
        card = error.get("kind") == "card_data"
        found[where] = "privacy.error.card" if card else f"privacy.error.field.{where}"
    return found or {"form": "privacy.error.refused"}


@router.post("/requests")
async def ask(visitor: Visitor, form: Form) -> Response:
    """Ask for a copy, a correction or erasure (PDPL), once per form: the form's hidden
    Idempotency-Key makes a double submit the same request. An erasure needs its typed
    confirmation word."""
    who = await _customer(visitor)
    if who is None:
        return await _not_yet(visitor)
    try:
        kind = Kind(str(form.get("kind", "")))
    except ValueError:
        return await _requests_page(visitor, who, 422, errors={"form": "privacy.error.kind"})
    key = str(form.get("idempotency_key", ""))
    values = _corrections(form) if kind is Kind.CORRECTION else {}
    refusal = _form_refusal(kind, key, values, str(form.get("confirm", "")))
    if refusal is None:
        try:
            request_id = await privacy.ask(
                who, kind, changes=values, idempotency_key=key, browser=visitor.browser
            )
        except GatewayProblem as problem:
            return await _refused_request(visitor, who, problem, kind=kind, values=values, key=key)
        visitor.session.flash.append("privacy.ask.asked")
        return see_other(f"/privacy/requests/{request_id}")
    return await _requests_page(
        visitor, who, 422, failed=kind, errors=refusal, values=values, key=key
    )


def _form_refusal(
    kind: Kind, key: str, values: Mapping[str, str], confirmation: str
) -> dict[str, str] | None:
    """What is wrong with a request form before the gateway is asked; None if nothing."""
    if not _KEY.match(key):
        return {"form": "privacy.error.retry"}
    if kind is Kind.CORRECTION and not values:
        return {"form": "privacy.error.correction_empty"}
    if kind is Kind.ERASURE and not erasure_confirmed(confirmation):
        return {"confirm": "privacy.error.confirmation"}
    return None


def _corrections(form: FormData) -> dict[str, str]:
    """The correction form's filled fields, trimmed: an empty field is not corrected."""
    found = {name: str(form.get(name, "")).strip() for name in CORRECTED}
    return {name: value for name, value in found.items() if value}


async def _refused_request(
    visitor: Page,
    who: privacy.Customer,
    problem: GatewayProblem,
    *,
    kind: Kind,
    values: dict[str, str],
    key: str,
) -> Response:
    if problem.slug == "privacy-request-open":
        where = str(problem.extensions.get("open_request", "")).rsplit("/", 1)[-1]
        visitor.session.flash.append("privacy.ask.already_open")
        return see_other(f"/privacy/requests/{where}" if _ID.match(where) else "/privacy/requests")
    if problem.status == 422:
        errors = _field_errors(problem)
        return await _requests_page(
            visitor, who, 422, failed=kind, errors=errors, values=values, key=key
        )
    if problem.slug == "customer-erased":
        errors = {"form": "privacy.error.erased"}
        return await _requests_page(visitor, who, 409, failed=kind, errors=errors, values=values)
    if problem.slug in ("idempotency-key-reused", "invalid-idempotency-key"):
        errors = {"form": "privacy.error.retry"}
        return await _requests_page(visitor, who, 409, failed=kind, errors=errors, values=values)
    raise problem


def _request_id(request_id: str) -> str:
    if not _ID.match(request_id):
        raise HTTPException(404)
    return request_id


@router.get("/requests/{request_id}")
async def one_request(visitor: Visitor, request_id: str) -> HTMLResponse:
    """One request: its state and history, its deadline, and what the customer can do with
    it now (cancel an erasure before it starts, download a completed copy)."""
    who = await _customer(visitor)
    if who is None:
        return await _not_yet(visitor)
    request, history = await privacy.privacy_request(who, _request_id(request_id))
    now = visitor.web.clock()
    return await _show(
        visitor,
        "privacy/request.html",
        item=request,
        history=history,
        days=_days(visitor, request),
        overdue=request.overdue(now),
        export_ready=request.export_ready(now),
    )


@router.post("/requests/{request_id}/cancellation")
async def cancel(visitor: Visitor, request_id: str, form: Form) -> Response:
    """Withdraw a request before work on it starts; refused (and said so) once it has."""
    who = await _customer(visitor)
    if who is None:
        return await _not_yet(visitor)
    request_id = _request_id(request_id)
    try:
        await privacy.cancel(who, request_id, visitor.browser)
    except GatewayProblem as problem:
        if problem.status != 409:
            raise
        visitor.session.flash.append("privacy.request.not_cancellable")
    else:
        visitor.session.flash.append("privacy.request.cancelled")
    return see_other(f"/privacy/requests/{request_id}")


@router.get("/requests/{request_id}/export")
async def download(visitor: Visitor, request_id: str, format: str = "json") -> Response:
    """The copy an access request made, as a file to keep (JSON, or the bilingual page):
    passed through from the gateway, kept nowhere here, never cached."""
    who = await _customer(visitor)
    if who is None:
        return await _not_yet(visitor)
    request_id = _request_id(request_id)
    if format not in privacy.EXPORT_TYPES:
        raise HTTPException(404)
    try:
        answer = await privacy.export(who, request_id, format)
    except GatewayProblem as problem:
        if problem.status not in (409, 410):
            raise
        gone = problem.status == 410
        visitor.session.flash.append(
            "privacy.request.export_expired" if gone else "privacy.request.export_not_ready"
        )
        return see_other(f"/privacy/requests/{request_id}")
    media = answer.headers.get("content-type", privacy.EXPORT_TYPES[format])
    return Response(
        answer.content,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="privacy-export-{request_id}.{format}"',
            "Cache-Control": "no-store",
        },
    )


# -- disclosures (D1-D3) ----------------------------------------------------------------------


@router.get("/disclosures")
async def disclosures(visitor: Visitor, cursor: str | None = None) -> HTMLResponse:
    """Every time the customer's data left the store: to whom, what, why, on what basis,
    when; newest first, a page at a time."""
    who = await _customer(visitor)
    if who is None:
        return await _not_yet(visitor)
    if cursor is not None and not _CURSOR.match(cursor):
        raise HTTPException(404)
    entries, next_cursor = await privacy.disclosures(who, cursor)
    return await _show(
        visitor,
        "privacy/disclosures.html",
        disclosures=entries,
        next_cursor=next_cursor,
        paged=cursor is not None,
    )


# -- the privacy contact (CT1) ----------------------------------------------------------------


@router.get("/contact")
async def contact(visitor: Visitor) -> HTMLResponse:
    """Phone, WhatsApp and email for privacy questions and withdrawals, each a link."""
    found = _reach(await privacy.contact(visitor.web.gateway))
    return await _show(visitor, "privacy/contact.html", contact=found)
