"""Every form is protected against cross-site requests: the session's secret token in a hidden
field, compared in constant time, and the browser's own word on where the request came from
(``Sec-Fetch-Site`` / ``Origin``) when it gives one. Session cookies are ``SameSite=Lax`` on
top of that."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from allwan_web.adapters.sessions import Session


class CsrfRefused(Exception):
    """A form post that did not come from one of this site's own pages."""


async def checked_form(request: Request) -> FormData:
    """The posted form, once it is proven to come from this site's own page."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CsrfRefused
    origin = request.headers.get("origin")
    if origin not in (None, "null") and urlsplit(origin).netloc != request.headers.get("host"):
        raise CsrfRefused
    form = await request.form()
    session: Session = request.state.session
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise CsrfRefused
    return form


Form = Annotated[FormData, Depends(checked_form)]
