"""Rendering a page: the template, and what every page needs (the language and its
direction, the CSRF token of the session's forms, the cookie choice, the policy notice)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from allwan_web.adapters.gateway import Browser, GatewayProblem, GatewayUnavailable
from allwan_web.adapters.sessions import Session
from allwan_web.bootstrap import Web
from allwan_web.domain import locale as fmt
from allwan_web.domain.cookies import CookieChoice, gpc_signal
from allwan_web.domain.locale import Locale
from allwan_web.handlers.notices import Reconfirm, reconfirmation

LANGUAGE_COOKIE = "allwan_lang"
CHOICE_COOKIE = "allwan_cookies"
ANALYTICS_COOKIE = "allwan_analytics"
RECENT_COOKIE = "allwan_recent"
"""Functional (CK1): the plans viewed recently; set only while functional cookies are allowed."""

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
templates.env.undefined = StrictUndefined
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


@dataclass
class Page:
    """One request's view of the visitor."""

    request: Request
    web: Web
    session: Session
    locale: Locale
    choice: CookieChoice

    def t(self, key: str, **values: Any) -> str:
        return self.web.messages.text(key, self.locale, **values)

    @property
    def browser(self) -> Browser:
        client = self.request.client
        return Browser(
            address=client.host if client else None,
            user_agent=self.request.headers.get("user-agent"),
        )

    def money(self, halalas: int) -> str:
        return fmt.money(halalas, self.locale)

    def date(self, moment: Any) -> str:
        return fmt.date(fmt_datetime(moment), self.locale)

    def date_time(self, moment: Any) -> str:
        return fmt.date_time(fmt_datetime(moment), self.locale)

    def digits(self, value: Any) -> str:
        return fmt.digits(str(value), self.locale)

    def number(self, value: int) -> str:
        return fmt.number(value, self.locale)


def fmt_datetime(moment: Any) -> Any:
    """A datetime from the gateway's RFC 3339 text (or a datetime already)."""
    from datetime import datetime  # noqa: PLC0415 - keeps the module's imports about pages

    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment


def page(request: Request) -> Page:
    """The visitor of ``request`` (the session middleware ran first)."""
    web: Web = request.app.state.web
    session: Session = request.state.session
    lang = Locale.parse(request.cookies.get(LANGUAGE_COOKIE))
    gpc = gpc_signal(request.headers.get("sec-gpc"))
    choice = CookieChoice.decode(request.cookies.get(CHOICE_COOKIE), gpc=gpc)
    return Page(request, web, session, lang, choice)


async def render(
    visitor: Page, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """``template`` with the page's common context; a customer's policy notice included."""
    notice: Reconfirm | None = None
    if visitor.session.customer_id is not None and not template.startswith("staff/"):
        try:
            notice = await reconfirmation(visitor.web.gateway, visitor.session, visitor.web.clock())
        except (GatewayProblem, GatewayUnavailable):
            notice = None  # the page still shows; the notice comes back on the next one
    flash, visitor.session.flash = visitor.session.flash, []
    analytics_id = visitor.request.cookies.get(ANALYTICS_COOKIE)
    if analytics_id and visitor.choice.analytics:
        visitor.web.analytics.record(template, analytics_id)
    response = templates.TemplateResponse(
        visitor.request,
        template,
        {
            "page": visitor,
            "t": visitor.t,
            "lang": visitor.locale.value,
            "dir": visitor.locale.direction,
            "other_lang": visitor.locale.other.value,
            "csrf": visitor.session.csrf,
            "choice": visitor.choice,
            "notice": notice,
            "flash": flash,
            "here": here(visitor.request),
            **context,
        },
        status_code=status_code,
    )
    if analytics_id and not visitor.choice.analytics:
        # Withdrawn, or a GPC signal now: the analytics cookie goes (CK2).
        response.delete_cookie(ANALYTICS_COOKIE, path="/", httponly=True)
    return response


def here(request: Request) -> str:
    """This page's path (and query), to come back to after a form elsewhere."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default``: no open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def see_other(target: str) -> RedirectResponse:
    """After a form: 303 to a page of this site."""
    return RedirectResponse(local_path(target), status_code=303)
