"""The commands every service has: ``serve``, ``asyncapi`` and ``rebuild``.

A service's ``entrypoints/cli.py`` names its app, its settings and how its read models are
rebuilt, and hands over to ``run``; commands of its own are added with ``extra``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from allwan_runtime.access_log import logged
from allwan_runtime.settings import RuntimeSettings

AppFactory = Callable[[Any], Any]
"""Settings → an ASGI app (a FastStream ``AsgiFastStream`` or the gateway's FastAPI)."""


def serve(app: Any, settings: RuntimeSettings) -> None:
    """Run ``app`` under uvicorn on the settings' host and port."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    # uvicorn's access log writes raw paths, queries and client addresses (C2).
    uvicorn.run(logged(app), host=settings.http_host, port=settings.http_port, access_log=False)


def asyncapi_document(app: Any) -> str:
    """The AsyncAPI document of a FastStream app, as JSON. It needs no secrets: the key store
    is made on first use (``ServiceRuntime.keystore``)."""
    document = app.schema.to_specification().to_jsonable()
    return json.dumps(document, indent=2, ensure_ascii=False)


def run(
    prog: str,
    argv: Sequence[str] | None,
    *,
    settings: Callable[[], RuntimeSettings],
    create_app: AppFactory,
    rebuild: Callable[[Any], Coroutine[Any, Any, Mapping[str, int]]] | None = None,
    extra: Mapping[str, Callable[[Any], object]] | None = None,
    description: str | None = None,
) -> int:
    """Parse ``argv`` and run one command; the exit code."""
    commands: dict[str, Callable[[Any], object]] = {
        "serve": lambda s: serve(create_app(s), s),
        "asyncapi": lambda s: print(asyncapi_document(create_app(s))),
    }
    if rebuild is not None:
        commands["rebuild"] = lambda s: print(json.dumps(dict(asyncio.run(rebuild(s)))))
    commands.update(extra or {})
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("command", choices=tuple(commands))
    args = parser.parse_args(argv)
    outcome = commands[args.command](settings())
    return outcome if isinstance(outcome, int) else 0
