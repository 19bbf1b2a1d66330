"""AES-256-GCM sealing and the master keyring (T2), without a database."""

from __future__ import annotations

import os

import pytest
from allwan_contracts import Sealed, SealedDocument
from allwan_contracts.sealed import subject_of
from allwan_runtime.keystore import MasterKeyring, generate_master_key
from allwan_runtime.keystore.cipher import open_sealed, seal
from allwan_runtime.keystore.generations import generation_of, kid_of
from cryptography.exceptions import InvalidTag


def test_t2_a_sealed_value_opens_to_its_plaintext_and_hides_it() -> None:
    key = os.urandom(32)
    sealed = seal(key, "c-1", "email", "sara@example.com")
    assert "sara" not in sealed.model_dump_json()
    assert open_sealed(key, sealed, "email") == "sara@example.com"


def test_a_sealed_value_moved_to_another_field_or_customer_does_not_open() -> None:
    key = os.urandom(32)
    sealed = seal(key, "c-1", "email", "sara@example.com")
    with pytest.raises(InvalidTag):
        open_sealed(key, sealed, "phone")
    with pytest.raises(InvalidTag):
        open_sealed(key, sealed.model_copy(update={"kid": "c-2"}), "email")


def test_two_seals_of_one_value_differ() -> None:
    key = os.urandom(32)
    assert seal(key, "c-1", "name", "Sara").ct != seal(key, "c-1", "name", "Sara").ct


def test_rotation_unwraps_old_data_keys_and_wraps_new_ones_under_the_active_key() -> None:
    index = generate_master_key()
    old = MasterKeyring.parse(f"k1:{generate_master_key()}", index)
    master_kid, wrapped = old.wrap(b"d" * 32, "c-1")
    rotated = MasterKeyring.parse(
        f"k1:{_encoded(old.keys['k1'])},k2:{generate_master_key()}", index
    )
    assert rotated.active_id == "k2"
    assert rotated.unwrap(master_kid, wrapped, "c-1") == b"d" * 32
    assert rotated.wrap(b"d" * 32, "c-1")[0] == "k2"
    assert rotated.blind_index("phone", "+966500000000") == old.blind_index(
        "phone", "+966500000000"
    )


def test_a_wrapped_key_is_bound_to_its_customer() -> None:
    ring = MasterKeyring.parse(f"k1:{generate_master_key()}", generate_master_key())
    master_kid, wrapped = ring.wrap(b"d" * 32, "c-1")
    with pytest.raises(InvalidTag):
        ring.unwrap(master_kid, wrapped, "c-2")


def test_a_wrapped_key_is_bound_to_its_generation() -> None:
    ring = MasterKeyring.parse(f"k1:{generate_master_key()}", generate_master_key())
    master_kid, wrapped = ring.wrap(b"d" * 32, "c-1.2")
    assert ring.unwrap(master_kid, wrapped, "c-1.2") == b"d" * 32
    for other in ("c-1", "c-1.3"):
        with pytest.raises(InvalidTag):
            ring.unwrap(master_kid, wrapped, other)


@pytest.mark.parametrize(
    ("kid", "subject"),
    [
        ("cust-42", "cust-42"),
        ("cust-42.2", "cust-42"),
        ("cust-42.17", "cust-42"),
        ("webhook:0af3.2", "webhook:0af3"),
        # Not a generation: the kid is its own subject and matches no customer id.
        ("cust-42.1", "cust-42.1"),
        ("cust-42.02", "cust-42.02"),
        ("cust-42.v1", "cust-42.v1"),
        ("cust-42.", "cust-42."),
        (".2", ".2"),
        ("a.b.2", "a.b.2"),
        ("cust-42.\u0662", "cust-42.\u0662"),  # an Arabic-Indic digit is no generation
    ],
)
def test_a_key_id_names_its_subject_only_in_the_generation_form(kid: str, subject: str) -> None:
    assert subject_of(kid) == subject


@pytest.mark.parametrize("generation", [1, 2, 31])
def test_a_generations_key_id_reads_back_to_its_subject_and_generation(generation: int) -> None:
    kid = kid_of("cust-42", generation)
    assert (subject_of(kid), generation_of("cust-42", kid)) == ("cust-42", generation)


@pytest.mark.parametrize("spec", ["", "nokey", f":{generate_master_key()}", "k1:AAAA"])
def test_a_malformed_keyring_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="master"):
        MasterKeyring.parse(spec, generate_master_key())


def _encoded(key: bytes) -> str:
    from allwan_runtime.keystore.cipher import b64

    return b64(key)


def test_a_document_longer_than_a_personal_field_seals_as_a_sealed_document_and_opens() -> None:
    key = os.urandom(32)
    text = "x" * 40_000
    sealed = seal(key, "cust-1", "export_part", text)
    short = seal(key, "cust-1", "name", "Noura")
    assert isinstance(sealed, SealedDocument)
    assert type(short) is Sealed
    assert open_sealed(key, sealed, "export_part") == text
