from __future__ import annotations

from typing import Any

import pytest
from allwan_contracts import CustomerContact, OrderPlaced, Sealed
from pydantic import ValidationError

from .factories import CT, IV, order_placed_fields, sealed


def sealed_fields(**overrides: Any) -> dict[str, Any]:
    return {"alg": "A256GCM", "kid": "cust-42.v1", "iv": IV, "ct": CT} | overrides


def test_t2_sealed_repr_and_str_show_the_key_id_but_no_ciphertext() -> None:
    value = sealed(kid="cust-42.v1")
    for shown in (
        repr(value),
        str(value),
        f"{value}",
        repr(CustomerContact(name=value, email=value, phone=value)),
    ):
        assert "Sealed(kid='cust-42.v1')" in shown
        assert CT not in shown
        assert IV not in shown


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"alg": "A128GCM"}, id="another-algorithm"),
        pytest.param({"iv": IV[:-1]}, id="iv-15-chars"),
        pytest.param({"iv": IV + "AAAA"}, id="iv-15-bytes"),
        pytest.param({"iv": "AAECAwQFBgcICQo+"}, id="iv-not-base64url"),
        pytest.param({"ct": ""}, id="ct-empty"),
        pytest.param({"ct": "ZGVmZ2hpamtsbW5vcHFy"}, id="ct-shorter-than-gcm-tag"),
        pytest.param({"ct": CT + "="}, id="ct-padded"),
        pytest.param({"ct": CT[:-1] + "/"}, id="ct-standard-base64"),
        pytest.param({"ct": CT[:-1] + "_"}, id="ct-non-canonical-trailing-bits"),
        pytest.param({"ct": CT + "AAA"}, id="ct-impossible-length"),
        pytest.param({"kid": ""}, id="kid-empty"),
        pytest.param({"plaintext": "Jane"}, id="unknown-field"),
    ],
)
def test_sealed_refuses_anything_but_a_well_formed_aes_gcm_value(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Sealed(**sealed_fields(**overrides))


def test_sealed_accepts_a_well_formed_value() -> None:
    assert Sealed(**sealed_fields()).kid == "cust-42.v1"


@pytest.mark.parametrize("field", ["name", "email", "phone", "billing_address"])
def test_t2_personal_fields_refuse_plain_strings(field: str) -> None:
    fields = {"name": sealed(), "email": sealed(), "phone": sealed()}
    with pytest.raises(ValidationError, match=f"{field}\n"):
        CustomerContact(**fields | {field: "jane@example.com"})


def test_t2_order_placed_refuses_plain_contact_details() -> None:
    plain = {"name": "Jane", "email": "jane@example.com", "phone": "0563120415"}
    with pytest.raises(ValidationError) as caught:
        OrderPlaced(**order_placed_fields(contact=plain))
    assert {error["loc"][:2] for error in caught.value.errors()} == {
        ("contact", "name"),
        ("contact", "email"),
        ("contact", "phone"),
    }
