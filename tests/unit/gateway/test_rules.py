"""The gateway's own rules that its answers rest on, pure: what a customer's consents allow."""

from __future__ import annotations

from typing import Any

import pytest
from allwan_contracts import ConsentPurpose
from allwan_gateway.domain.consents import allows

ANALYTICS = ConsentPurpose.ANALYTICS_COOKIES


def purposes(status: str) -> dict[str, dict[str, Any]]:
    return {ANALYTICS.value: {"status": status, "policy_version": 1}}


@pytest.mark.parametrize(
    ("known", "erased", "allowed"),
    [
        (purposes("granted"), False, True),
        (purposes("granted"), True, False),
        (purposes("withdrawn"), False, False),
        (purposes("reconfirmation_required"), False, False),
        ({}, False, False),
        ({ConsentPurpose.MARKETING.value: {"status": "granted"}}, False, False),
    ],
    ids=["granted", "granted-but-erased", "withdrawn", "suspended", "never-given", "other"],
)
def test_ck1_k2_a_purpose_is_allowed_only_while_granted_and_not_erased(
    known: dict[str, dict[str, Any]], erased: bool, allowed: bool
) -> None:
    assert allows(known, erased, ANALYTICS) is allowed
