"""On every page: the language switch and the cookie banner's choice (CK1, CK2)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from allwan_web.domain.cookies import CookieChoice
from allwan_web.domain.locale import Locale
from allwan_web.entrypoints.csrf import Form
from allwan_web.entrypoints.pages import (
    ANALYTICS_COOKIE,
    CHOICE_COOKIE,
    LANGUAGE_COOKIE,
    RECENT_COOKIE,
    Page,
    page,
    render,
    see_other,
)
from allwan_web.handlers.cookies import record_choice

router = APIRouter()
Visitor = Annotated[Page, Depends(page)]
YEAR_S = 365 * 24 * 3600


@router.post("/language")
async def language(visitor: Visitor, form: Form) -> RedirectResponse:
    """Switch the pages' language; remembered in an essential cookie (the visitor asked)."""
    chosen = Locale.parse(str(form.get("lang", "")), visitor.locale)
    response = see_other(str(form.get("next", "/")))
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen.value,
        max_age=YEAR_S,
        secure=visitor.web.settings.web_cookie_secure,
        samesite="lax",
        httponly=True,
        path="/",
    )
    return response


@router.get("/cookies")
async def cookie_settings(visitor: Visitor) -> HTMLResponse:
    """Every category, what it is for, and the choice in force (GPC shown as such)."""
    return await render(visitor, "cookies.html")


@router.post("/cookies")
async def choose_cookies(visitor: Visitor, form: Form) -> RedirectResponse:
    """Accept all, reject all, or save the chosen categories: one click each (CK1)."""
    action = form.get("choice")
    if action == "accept":
        choice = CookieChoice(functional=True, analytics=True, decided=True)
    elif action == "reject":
        choice = CookieChoice(functional=False, analytics=False, decided=True)
    else:
        choice = CookieChoice(
            functional=form.get("functional") == "on",
            analytics=form.get("analytics") == "on",
            decided=True,
        )
    choice = choice.with_gpc(visitor.choice.gpc)
    await record_choice(
        visitor.web.gateway, visitor.session, choice, visitor.browser, visitor.web.clock()
    )
    visitor.session.flash.append("cookies.saved")
    response = see_other(str(form.get("next", "/")))
    secure = visitor.web.settings.web_cookie_secure
    response.set_cookie(
        CHOICE_COOKIE, choice.encode(), max_age=YEAR_S, secure=secure, samesite="lax",
        httponly=True, path="/",
    )  # fmt: skip
    if choice.analytics:
        if not visitor.request.cookies.get(ANALYTICS_COOKIE):
            response.set_cookie(
                ANALYTICS_COOKIE, secrets.token_urlsafe(16), max_age=YEAR_S, secure=secure,
                samesite="lax", httponly=True, path="/",
            )  # fmt: skip
    else:
        response.delete_cookie(ANALYTICS_COOKIE, path="/", secure=secure, httponly=True)
    if not choice.functional:
        response.delete_cookie(RECENT_COOKIE, path="/", secure=secure, httponly=True)
    return response
