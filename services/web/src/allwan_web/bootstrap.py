"""The pages' parts, wired once: real ones from settings, or in-memory/test ones."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from allwan_web.adapters.analytics import Analytics
from allwan_web.adapters.gateway import GatewayClient, Transport
from allwan_web.adapters.sealing import Sealer
from allwan_web.adapters.sessions import Sessions
from allwan_web.messages import Messages
from allwan_web.settings import WebSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Web:
    settings: WebSettings
    gateway: GatewayClient
    sessions: Sessions
    sealer: Sealer
    messages: Messages
    analytics: Analytics
    clock: Callable[[], datetime] = utc_now

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.gateway.close()


def bootstrap(
    settings: WebSettings,
    transport: Transport | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Web:
    """The pages over the gateway at ``settings.gateway_url`` (or over ``transport``: tests
    put the gateway's own app there, in process)."""
    return Web(
        settings=settings,
        gateway=GatewayClient(
            settings.gateway_url,
            settings.gateway_storefront_api_key.get_secret_value(),
            settings.gateway_timeout_s,
            transport=transport,
        ),
        sessions=Sessions(
            timedelta(seconds=settings.web_session_idle_s), settings.web_sessions_max, clock
        ),
        sealer=Sealer(settings.web_session_key.get_secret_value()),
        messages=Messages.load(),
        analytics=Analytics(clock),
        clock=clock,
    )
