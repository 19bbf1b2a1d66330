"""C3 at the edge: card data is refused wherever the gateway reads a request, not only in its
JSON body (which ``allwan_contracts.cards.refuse_card_data`` scans whole).

Besides the body, the gateway reads the headers named in ``READ_HEADERS``, every query
parameter (name and value) and the path. Not the browser's other headers: third-party
cookies carry 13-digit millisecond timestamps, and the gateway never reads a cookie. Not
``traceparent`` either: the propagator takes only its exact hex shape (random ids), and
ignores anything else.

The refusal is the contracts' own ``CardDataRefused``; its findings name locations
(``header:<name>``, ``query:<name>``, ``path``), never a value, and a sender-controlled name
that is not a plain one is shown as ``<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

from allwan_contracts.cards import (
    CardDataKind,
    CardDataRefused,
    CardFinding,
    contains_card_number,
    find_card_data,
)

# Credentials, the idempotency key, the webhook signatures, the user agent kept as consent
# evidence, what CORS and the proxy headers feed, the trace baggage passed on to Kafka, and
# the media type a privacy export is asked for in.
READ_HEADERS = frozenset(
    {
        "accept",
        "authorization",
        "x-api-key",
        "idempotency-key",
        "x-salla-signature",
        "x-salla-security-strategy",
        "x-hub-signature-256",
        "user-agent",
        "content-type",
        "content-length",
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
        "x-forwarded-for",
        "x-forwarded-proto",
        "tracestate",
        "baggage",
    }
)
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_WITHHELD_SEGMENT = "*"


def find_outside_body(
    headers: Iterable[tuple[bytes, bytes]], query_string: bytes, path: str
) -> tuple[CardFinding, ...]:
    """Card data in the headers the gateway reads, in any query parameter, or in the path;
    each location once, in that order."""
    found: dict[str, CardFinding] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        # As UTF-8, so that Arabic-Indic digits are read as digits.
        if name in READ_HEADERS and contains_card_number(raw_value.decode("utf-8", "replace")):
            where = f"header:{name}"
            found.setdefault(where, CardFinding(where, CardDataKind.CARD_NUMBER))
    query = query_string.decode("utf-8", "replace")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        findings = find_card_data({name: value})
        if findings:
            where = f"query:{_shown(name)}"
            found.setdefault(where, CardFinding(where, findings[0].kind))
    if withheld_segments(path):
        found["path"] = CardFinding("path", CardDataKind.CARD_NUMBER)
    return tuple(found.values())


def refuse_outside_body(
    headers: Iterable[tuple[bytes, bytes]], query_string: bytes, path: str
) -> None:
    """Raise ``CardDataRefused`` if card data is anywhere ``find_outside_body`` looks."""
    findings = find_outside_body(headers, query_string, path)
    if findings:
        raise CardDataRefused(findings)


def withheld_segments(path: str) -> list[int]:
    """The positions of the path's segments that hold a card number."""
    return [i for i, segment in enumerate(path.split("/")) if contains_card_number(segment)]


def without_card_data(path: str) -> str:
    """The path with each segment that holds a card number replaced by ``*``."""
    withheld = set(withheld_segments(path))
    if not withheld:
        return path
    segments = path.split("/")
    return "/".join(_WITHHELD_SEGMENT if i in withheld else s for i, s in enumerate(segments))


def _shown(name: str) -> str:
    # A parameter's name is sender-controlled: only a plain one is echoed.
    return name if _PLAIN_NAME.match(name) and not contains_card_number(name) else "<name>"
