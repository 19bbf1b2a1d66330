"""The pages' app: the routers of each area, the session around every page, strict security
headers, and errors as pages in the visitor's language."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import structlog
from allwan_runtime.server_spans import ServerSpans
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from allwan_web.adapters.gateway import GatewayProblem, GatewayUnavailable
from allwan_web.bootstrap import Web, bootstrap
from allwan_web.entrypoints.csrf import CsrfRefused
from allwan_web.entrypoints.pages import page, render
from allwan_web.entrypoints.routes import ROUTERS
from allwan_web.settings import WebSettings

log = structlog.get_logger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"

# Scripts, styles and images from this site only; no inline script or style, no frames, forms
# post only here. A page that needs more has to say so here, in review.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}


def cookie_name(web: Web, name: str) -> str:
    """``__Host-`` cookies cannot be set by a sibling host nor sent without TLS."""
    return f"__Host-{name}" if web.settings.web_cookie_secure else name


def session_cookie(web: Web) -> str:
    return cookie_name(web, "allwan_session")


def customer_cookie(web: Web) -> str:
    return cookie_name(web, "allwan_customer")


def _without_session(path: str) -> bool:
    return path.startswith(("/static/", "/health/")) or path == "/favicon.ico"


def create_app(web: Web) -> FastAPI:
    """The app over ``web``'s parts (real ones from ``build_app``, test ones in tests)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with web.lifespan():
            log.info("web.started", gateway=web.settings.gateway_url)
            yield

    app = FastAPI(
        title="allwan web",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # FastAPI's own spans carry the raw path and query, its logs exception messages (C2):
        # the request's span is ``allwan_runtime.server_spans.ServerSpans``'s, by route template.
        telemetry={"tracing": False, "logs": False},
    )
    app.state.web = web
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/health/live", include_in_schema=False)
    async def live() -> JSONResponse:
        return JSONResponse({"status": "live"})

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        ok = await web.gateway.live()
        return JSONResponse(
            {
                "status": "ready" if ok else "not ready",
                "checks": {"gateway": "ok" if ok else "down"},
            },
            status_code=200 if ok else 503,
        )

    @app.middleware("http")
    async def sessions(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if _without_session(request.url.path):
            return await call_next(request)
        found = web.sessions.get(request.cookies.get(session_cookie(web)))
        session = found or web.sessions.new()
        if session.customer_id is None:
            session.customer_id = web.sealer.open(
                customer_cookie(web), request.cookies.get(customer_cookie(web))
            )
        issued = session.id
        request.state.session = session
        response = await call_next(request)
        if found is None or session.id != issued or getattr(request.state, "renew", False):
            response.set_cookie(
                session_cookie(web),
                session.id,
                httponly=True,
                secure=web.settings.web_cookie_secure,
                samesite="lax",
                path="/",
            )
        if getattr(request.state, "remember_customer", False) and session.customer_id:
            response.set_cookie(
                customer_cookie(web),
                web.sealer.seal(customer_cookie(web), session.customer_id),
                max_age=int(
                    timedelta(days=web.settings.web_customer_remember_days).total_seconds()
                ),
                httponly=True,
                secure=web.settings.web_cookie_secure,
                samesite="lax",
                path="/",
            )
        return response

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            # Pages hold a customer's or a staff member's data: never in a shared cache.
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _: Exception) -> HTMLResponse:
        return await render(page(request), "error.html", 403, problem="csrf")

    @app.exception_handler(GatewayUnavailable)
    async def unavailable(request: Request, error: Exception) -> HTMLResponse:
        assert isinstance(error, GatewayUnavailable)
        response = await render(page(request), "error.html", 503, problem="unavailable")
        response.headers["Retry-After"] = str(error.retry_after_s or 5)
        return response

    @app.exception_handler(GatewayProblem)
    async def gateway_problem(request: Request, error: Exception) -> HTMLResponse:
        assert isinstance(error, GatewayProblem)
        kind = "not-found" if error.status == 404 else "refused"
        if error.status in (401, 403):
            kind = "forbidden"
        status = error.status if error.status in (403, 404, 409, 422, 429) else 502
        log.warning("web.gateway_problem", status=error.status, problem=error.slug)
        return await render(page(request), "error.html", status, problem=kind)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if _without_session(request.url.path) or not hasattr(request.state, "session"):
            return Response(status_code=error.status_code)
        kind = "not-found" if error.status_code == 404 else "refused"
        return await render(page(request), "error.html", error.status_code, problem=kind)

    return app


def build_app(settings: WebSettings | None = None) -> ServerSpans:
    """The app ``allwan-web serve`` runs: one trace from the browser's request through the
    gateway's API onwards (W3C trace context on every call)."""
    from allwan_runtime.telemetry import setup_tracing  # noqa: PLC0415 - the server's only

    settings = settings or WebSettings()
    setup_tracing(settings.service_name)
    return ServerSpans(create_app(bootstrap(settings)), tracer_name="allwan.web")
