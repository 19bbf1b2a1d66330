"""Password hashes for the people who sign in (staff, S1): scrypt, salted, self-describing.

A hash is ``scrypt$<log2 n>$<r>$<p>$<salt>$<key>`` (salt and key base64url without padding),
so its cost can be raised later without invalidating the hashes already issued: each is
checked with the parameters it names. Only hashes are ever configured; a password is never
stored, logged or compared as text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
LOG2_N = 15
R = 8
P = 1
KEY_BYTES = 32
_MAX_LOG2_N = 20


class MalformedHash(ValueError):
    """A configured hash this module cannot read; the message never quotes it."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=1 << log2_n,
        r=r,
        p=p,
        dklen=KEY_BYTES,
        maxmem=256 * 1024 * 1024,
    )


def hash_password(password: str) -> str:
    """A new salted hash of ``password``."""
    salt = secrets.token_bytes(16)
    key = _derive(password, salt, LOG2_N, R, P)
    return f"{SCHEME}${LOG2_N}${R}${P}${_b64(salt)}${_b64(key)}"


def check_hash(encoded: str) -> None:
    """Raise ``MalformedHash`` unless ``encoded`` is a hash this module can verify."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise MalformedHash(f"not a {SCHEME} hash of the form scrypt$n$r$p$salt$key")
    try:
        log2_n, r, p = (int(part) for part in parts[1:4])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise MalformedHash("its parameters are not numbers or its salt/key not base64") from None
    if not (10 <= log2_n <= _MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 16):
        raise MalformedHash("its cost parameters are out of range")
    if len(salt) < 16 or len(key) != KEY_BYTES:
        raise MalformedHash("its salt or key has the wrong length")


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` is the one ``encoded`` was made from (constant-time compare)."""
    check_hash(encoded)
    _, log2_n, r, p, salt, key = encoded.split("$")
    derived = _derive(password, _unb64(salt), int(log2_n), int(r), int(p))
    return hmac.compare_digest(derived, _unb64(key))
