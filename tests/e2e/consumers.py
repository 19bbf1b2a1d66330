"""The consumer groups the services register, read from their own bootstrap code.

``python -m tests.e2e.consumers`` reads ``{service: environment}`` as JSON on stdin, builds
each service with that environment exactly as its ``serve`` command does (nothing is started:
no broker connection, no request to MongoDB), records every ``ServiceRuntime.consume`` call,
and prints one JSON object per consumer group: its group id, the topics it reads (contract
names) and the event types it has handlers for. A process of its own, because building a
service installs process-wide logging, tracing and metrics.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from unittest import mock

from allwan_consent.entrypoints.app import build as build_consent
from allwan_consent.settings import ConsentSettings
from allwan_devstack.system import SERVICES
from allwan_gateway.entrypoints.app import build as build_gateway
from allwan_gateway.settings import GatewaySettings
from allwan_notifier.entrypoints.app import build as build_notifier
from allwan_notifier.settings import NotifierSettings
from allwan_orders.entrypoints.app import build_service as build_orders
from allwan_orders.settings import OrdersSettings
from allwan_privacy.entrypoints.app import build as build_privacy
from allwan_privacy.settings import PrivacySettings
from allwan_runtime.dispatch import Dispatcher
from allwan_runtime.handlers import Handlers
from allwan_runtime.service import ServiceRuntime

BUILDERS: dict[str, Callable[[], ServiceRuntime]] = {
    "consent": lambda: build_consent(ConsentSettings())[0],
    "orders": lambda: build_orders(OrdersSettings())[0],
    "notifier": lambda: build_notifier(NotifierSettings())[0],
    "gateway": lambda: build_gateway(GatewaySettings())[1],
    "privacy": lambda: build_privacy(PrivacySettings())[0],
}
"""Each service's own builder, the one its ``serve`` command runs."""


def registered(environments: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """Every consumer group the services register, as ``{group, topics, handles}``."""
    missing = set(SERVICES) - BUILDERS.keys()
    if missing:
        raise SystemExit(f"no builder for {', '.join(sorted(missing))}: add it to BUILDERS")
    found: list[dict[str, Any]] = []
    consume = ServiceRuntime.consume

    def recording(
        runtime: ServiceRuntime,
        name: str,
        topics: Sequence[str],
        handlers: Handlers[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Dispatcher:
        group = f"{runtime.settings.service_name}.{name}"
        found.append(
            {"group": group, "topics": list(topics), "handles": sorted(handlers.describe())}
        )
        return consume(runtime, name, topics, handlers, *args, **kwargs)

    with mock.patch.object(ServiceRuntime, "consume", recording):
        for service in SERVICES:
            os.environ.clear()
            os.environ.update(environments[service])
            runtime = BUILDERS[service]()
            asyncio.run(runtime.mongo.close())
    return found


if __name__ == "__main__":
    result, sys.stdout = sys.stdout, sys.stderr  # the services' logs go to stdout: not here
    json.dump(registered(json.load(sys.stdin)), result)
