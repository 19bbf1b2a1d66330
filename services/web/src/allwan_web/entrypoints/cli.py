"""``allwan-web serve``: the store's pages under uvicorn."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from allwan_runtime.logs import setup_logging
from pydantic import ValidationError

from allwan_web.settings import WebSettings


def serve(settings: WebSettings) -> None:
    import uvicorn  # noqa: PLC0415 - only the server needs it

    from allwan_web.entrypoints.app import build_app  # noqa: PLC0415

    setup_logging(settings.service_name)
    uvicorn.run(
        build_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        # uvicorn's own lines hold raw paths and client addresses (C2): ``ServerSpans``
        # writes the access log by route template.
        access_log=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="allwan-web", description="The store's web pages, over the gateway's public API."
    )
    parser.add_argument("command", choices=("serve",))
    parser.parse_args(argv)
    try:
        settings = WebSettings()
    except ValidationError as error:
        names = sorted({f"ALLWAN_{str(e['loc'][0]).upper()}" for e in error.errors()})
        print(f"allwan-web: settings missing or invalid: {', '.join(names)}", file=sys.stderr)
        return 2
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
