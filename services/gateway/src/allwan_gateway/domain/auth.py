"""Who is calling (S1): the storefront client, a customer, or staff.

- The storefront authenticates as a client with its API key (``X-API-Key``); it signs its
  customers in, and gets a short-lived customer token for each from the gateway;
- a customer presents that token (JWT, HS256, ``sub`` = customer id, ``role`` = customer,
  issuer and audience checked, short expiry) and sees only their own orders and consents;
- staff present a token with ``role`` = staff (``sub`` = their id) or the staff API key; the
  identity is recorded with every staff action.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import jwt

_SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_ALGORITHM = "HS256"


class Role(StrEnum):
    CLIENT = "client"
    CUSTOMER = "customer"
    STAFF = "staff"


def is_subject(text: str) -> bool:
    """Whether ``text`` may name a token's subject (a customer's or a staff member's id)."""
    return _SUBJECT.match(text) is not None


class InvalidCredentials(ValueError):
    """A token or key that proves nothing; the message says why, never the token."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller; ``client_id`` is the client the token was issued to."""

    role: Role
    subject: str
    client_id: str

    @property
    def actor(self) -> str:
        """How intake events name who asked (``customer``, ``staff:<id>``, ``service:...``)."""
        if self.role is Role.CUSTOMER:
            return "customer"
        if self.role is Role.STAFF:
            return f"staff:{self.subject}"
        return f"service:{self.subject}"


@dataclass(frozen=True)
class Tokens:
    """Issues and verifies the gateway's HS256 tokens."""

    secret: str
    issuer: str
    audience: str
    ttl: timedelta

    def issue(
        self,
        role: Role,
        subject: str,
        client_id: str,
        now: datetime,
        ttl: timedelta | None = None,
    ) -> str:
        """A token for ``subject``, valid for ``ttl`` (the default lifetime if None)."""
        if not is_subject(subject):
            raise InvalidCredentials("a subject is 1 to 64 letters, digits, '_' or '-'")
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "role": role.value,
            "azp": client_id,
            "iat": int(now.timestamp()),
            "exp": int((now + (ttl or self.ttl)).timestamp()),
        }
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; ``InvalidCredentials`` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[_ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError:
            raise InvalidCredentials("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidCredentials("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise InvalidCredentials("the token is from another issuer") from None
        except jwt.PyJWTError:
            raise InvalidCredentials("the token is not valid") from None
        subject, role = claims.get("sub"), claims.get("role")
        if not isinstance(subject, str) or not is_subject(subject):
            raise InvalidCredentials("the token names no valid subject")
        if role not in (Role.CUSTOMER.value, Role.STAFF.value):
            raise InvalidCredentials("the token carries no known role")
        client = claims.get("azp")
        return Principal(Role(role), subject, client if isinstance(client, str) else "unknown")


def key_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of an API key."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
