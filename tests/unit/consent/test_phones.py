"""One canonical phone form, so checkout numbers and WhatsApp senders meet (K3)."""

from __future__ import annotations

import pytest
from allwan_consent.domain.phones import to_e164


@pytest.mark.parametrize(
    "raw",
    [
        "0563120415",
        "+966563120415",
        "00966563120415",
        "966563120415",  # as WhatsApp's "from" carries it
        "563120415",
        "056 312 0415",
        "+966 (56) 312-0415",
        "٠٥٦٣١٢٠٤١٥",  # Arabic-Indic digits
        "\u200e+966 56 312 0415",
    ],
)
def test_k3_every_way_of_writing_the_number_gives_one_e164(raw: str) -> None:
    assert to_e164(raw) == "+966563120415"


def test_other_countries_keep_their_code() -> None:
    assert to_e164("+44 20 7946 0958") == "+442079460958"
    assert to_e164("0501234567", country_code="971") == "+971501234567"


@pytest.mark.parametrize("raw", ["", "abc", "12", "+0123456789", "+1234567890123456"])
def test_what_is_not_a_phone_number_gives_none(raw: str) -> None:
    assert to_e164(raw) is None
