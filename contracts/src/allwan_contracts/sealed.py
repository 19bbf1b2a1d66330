"""The wire type of an encrypted personal field (T2, C1).

Personal fields (name, email, phone, billing address) travel in events only as ``Sealed``:
AES-256-GCM under the customer's own data key, so that destroying that key erases the data from
every topic, store and backup (crypto-shredding). Encryption and decryption live in the runtime
library's key store; this module knows the shape and nothing of the plaintext.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

_BASE64URL = r"^[A-Za-z0-9_-]+$"


def _is_canonical_base64url(text: str) -> bool:
    """Whether unpadded base64url ``text`` re-encodes to itself (no stray trailing bits)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == text


class Sealed(BaseModel):
    """One personal value, encrypted. ``repr`` and ``str`` show only the key id."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    alg: Literal["A256GCM"]
    kid: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="Id of the customer's data key.",
    )
    # 16 base64url characters are exactly 12 bytes; 22 are at least the 16-byte GCM tag.
    iv: str = Field(
        min_length=16,
        max_length=16,
        pattern=_BASE64URL,
        description="Unpadded base64url of the 12-byte GCM nonce.",
    )
    ct: str = Field(
        min_length=22,
        max_length=16_384,
        pattern=_BASE64URL,
        description="Unpadded base64url of ciphertext followed by the 16-byte GCM tag.",
    )

    @field_validator("ct")
    @classmethod
    def _ct_is_canonical(cls, value: str) -> str:
        if not _is_canonical_base64url(value):
            raise PydanticCustomError(
                "base64url_not_canonical", "ct must be canonical unpadded base64url"
            )
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # pydantic builds repr, str, rich and devtools output from this: show only the key id.
        yield "kid", self.kid

    def __str__(self) -> str:
        return repr(self)


def subject_of(kid: str) -> str:
    """The subject (a customer id, or ``webhook:<id>``) whose data key ``kid`` names.

    A subject's first key has the subject itself as kid; after a rotation, generation n ≥ 2 has
    ``<subject>.<n>`` ('.' occurs in no subject). A kid of any other shape is returned whole, so
    that it matches no subject it merely starts with.
    """
    subject, dot, generation = kid.rpartition(".")
    if (
        dot
        and subject
        and "." not in subject
        and generation.isascii()
        and generation.isdigit()
        and not generation.startswith("0")
        and int(generation) >= 2
    ):
        return subject
    return kid


class SealedDocument(Sealed):
    """A sealed JSON document (an export part, an export): ``Sealed`` sized for documents."""

    ct: str = Field(
        min_length=22,
        max_length=700_000,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Unpadded base64url of ciphertext followed by the 16-byte GCM tag.",
    )
