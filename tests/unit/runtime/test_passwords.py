"""Staff password hashes (S1): scrypt, salted, self-describing; a malformed hash is refused
without being quoted."""

from __future__ import annotations

import base64
import hashlib

import pytest
from allwan_runtime.passwords import MalformedHash, check_hash, hash_password, verify_password

PASSWORD = "correct horse battery staple"
HASH = hash_password(PASSWORD)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


SALT, KEY = _b64(bytes(range(16))), _b64(bytes(range(32)))


def test_s1_a_password_verifies_against_its_own_hash() -> None:
    check_hash(HASH)

    assert verify_password(PASSWORD, HASH)


@pytest.mark.parametrize(
    "attempt", ["correct horse battery stapl", "Correct horse battery staple", "", PASSWORD + " "]
)
def test_s1_any_other_password_does_not_verify(attempt: str) -> None:
    assert not verify_password(attempt, HASH)


def test_s1_the_same_password_hashes_differently_each_time_and_both_verify() -> None:
    again = hash_password(PASSWORD)

    assert again != HASH
    assert verify_password(PASSWORD, again)


def test_s1_a_hash_names_its_cost_so_an_older_cost_still_verifies() -> None:
    scheme, _, r, p, salt, _ = HASH.split("$")
    cheaper = hashlib.scrypt(
        PASSWORD.encode(), salt=base64.urlsafe_b64decode(salt + "=="), n=1 << 10, r=8, p=1
    )
    encoded = f"{scheme}$10${r}${p}${salt}${_b64(cheaper[:32])}"

    assert verify_password(PASSWORD, encoded)
    assert not verify_password("something else", encoded)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "correct horse battery staple",
        f"bcrypt$15$8$1${SALT}${KEY}",
        f"scrypt$15$8${SALT}${KEY}",
        f"scrypt$15$8$1$1${SALT}${KEY}",
        f"scrypt$fifteen$8$1${SALT}${KEY}",
        f"scrypt$9$8$1${SALT}${KEY}",
        f"scrypt$21$8$1${SALT}${KEY}",
        f"scrypt$15$0$1${SALT}${KEY}",
        f"scrypt$15$8$17${SALT}${KEY}",
        f"scrypt$15$8$1${_b64(bytes(8))}${KEY}",
        f"scrypt$15$8$1${SALT}${_b64(bytes(31))}",
        f"scrypt$15$8$1${'A' * 21}${KEY}",
    ],
    ids=[
        "empty",
        "a-password",
        "another-scheme",
        "too-few-parts",
        "too-many-parts",
        "cost-not-a-number",
        "cost-too-low",
        "cost-too-high",
        "r-zero",
        "p-too-high",
        "short-salt",
        "short-key",
        "salt-not-base64",
    ],
)
def test_s1_a_malformed_hash_is_refused_without_being_quoted(encoded: str) -> None:
    with pytest.raises(MalformedHash) as refused:
        check_hash(encoded)
    with pytest.raises(MalformedHash):
        verify_password(PASSWORD, encoded)

    if encoded:
        assert encoded not in str(refused.value)
