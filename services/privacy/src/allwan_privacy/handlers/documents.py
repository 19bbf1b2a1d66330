"""Long texts (an export's JSON and HTML) sealed under the customer's key (T2), in pieces.

One sealed value holds at most 12,272 bytes of plaintext (``Sealed.ct``: 16,384 base64url
characters, the GCM tag included), and an export of a customer with many orders is longer.
Each piece is sealed on its own, under the same field name, and cut on a character boundary.
Destroying the customer's key makes every piece unreadable at once (crypto-shredding).
"""

from __future__ import annotations

from allwan_runtime.keystore import ERASED, Purpose

from allwan_privacy.handlers.ports import Secrets, StoredText

PIECE_BYTES = 12_000


def pieces(text: str, size: int = PIECE_BYTES) -> list[str]:
    """``text`` cut into pieces of at most ``size`` UTF-8 bytes, never inside a character."""
    data = text.encode()
    cut: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + size, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte
            end -= 1
        cut.append(data[start:end].decode())
        start = end
    return cut or [""]


async def seal_text(secrets: Secrets, subject: str, field: str, text: str) -> StoredText:
    """``text`` sealed under ``subject``'s key; ``LookupError`` if the subject is erased."""
    return StoredText(
        sealed=tuple([await secrets.seal(subject, field, piece) for piece in pieces(text)])
    )


async def open_text(secrets: Secrets, stored: StoredText, field: str) -> str | None:
    """The text, opened for the customer's own access request (C4: ``DATA_ACCESS``); None
    once the key it was sealed under is destroyed."""
    if stored.plain is not None:
        return stored.plain
    opened = [
        await secrets.open(piece, field=field, purpose=Purpose.DATA_ACCESS)
        for piece in stored.sealed
    ]
    if not opened or ERASED in opened:
        return None
    return "".join(opened)
