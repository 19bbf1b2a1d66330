"""Upcasting: reading an event stored at an old schema version as its latest version.

An upcaster turns the payload of one event type at version n into version n + 1. It is a pure
function of a JSON object: the stored bytes and the envelope are never touched, so history
stays exactly as it was written and only the reading changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from allwan_contracts.browsers import browser_of
from allwan_contracts.consent import ConsentPurpose, may_name_browser
from allwan_contracts.errors import ContractViolation, UnsupportedSchemaVersion

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]
UpcasterKey = tuple[str, int]
"""(event type, version the upcaster reads)."""


_V1_AMOUNTS = {
    "unit_price": "unit_price_halalas",
    "subtotal": "subtotal_halalas",
    "vat": "vat_halalas",
    "total": "total_halalas",
}


def upcast_order_placed_v1_to_v2(payload: Payload) -> Payload:
    """OrderPlaced v1 → v2.

    v1 named amounts without their unit (``unit_price``, ``subtotal``, ``vat``, ``total``,
    all already in halalas) and had no ``currency``, ``locale`` or ``vat_rate_percent``.
    Every v1 order was in SAR, at 15 % VAT, from the Arabic-only storefront.
    """
    v2 = {key: value for key, value in payload.items() if key not in _V1_AMOUNTS}
    for old_name, new_name in _V1_AMOUNTS.items():
        v2[new_name] = payload[old_name]
    v2["vat_rate_percent"] = 15
    v2["currency"] = "SAR"
    v2["locale"] = "ar"
    return v2


def _consent_evidence_v1_to_v2(payload: Payload, *, granting: bool) -> Payload:
    """v1 consent evidence → v2 (C2).

    v1 kept the browser's raw ``User-Agent`` on every web record. v2 never holds it: read as
    v2 it is dropped, and a record that grants analytics cookies names the browser's family
    and device class instead, derived from it. The keyed hash of the header cannot be made
    here (no key), so a v1 record proves its browser by its ``ip_hmac``, as it always could.
    The stored v1 bytes are not changed; read models rebuilt from them no longer show it.
    """
    evidence = dict(payload["evidence"])
    agent = evidence.pop("user_agent", None)
    purpose = ConsentPurpose(payload["purpose"])
    if agent is not None and may_name_browser(purpose, granting=granting):
        family, device = browser_of(agent)
        evidence |= {"browser": family.value, "device": device.value}
    return payload | {"evidence": evidence}


def upcast_consent_granted_v1_to_v2(payload: Payload) -> Payload:
    """ConsentGranted v1 → v2: see ``_consent_evidence_v1_to_v2``."""
    return _consent_evidence_v1_to_v2(payload, granting=True)


def upcast_consent_withdrawn_v1_to_v2(payload: Payload) -> Payload:
    """ConsentWithdrawn v1 → v2: see ``_consent_evidence_v1_to_v2``."""
    return _consent_evidence_v1_to_v2(payload, granting=False)


def upcast_consent_change_requested_v1_to_v2(payload: Payload) -> Payload:
    """ConsentChangeRequested v1 → v2: see ``_consent_evidence_v1_to_v2``."""
    return _consent_evidence_v1_to_v2(payload, granting=payload["action"] == "grant")


def upcast_order_refunded_v1_to_v2(payload: Payload) -> Payload:
    """OrderRefunded v1 → v2: v1 did not say whether the order was fully refunded.

    Only the order's own stream can know (it adds up every refund against what was paid, and
    its aggregate still does so from any version); a v1 record alone reads as partial.
    """
    return payload | {"fully_refunded": False}


def upcast_customer_contact_changed_v1_to_v2(payload: Payload) -> Payload:
    """CustomerContactChanged v1 → v2: v1 changes were never a privacy request's correction."""
    return {**payload, "request_id": None}


UPCASTERS: Mapping[UpcasterKey, Upcaster] = {
    ("CustomerContactChanged", 1): upcast_customer_contact_changed_v1_to_v2,
    ("OrderPlaced", 1): upcast_order_placed_v1_to_v2,
    ("OrderRefunded", 1): upcast_order_refunded_v1_to_v2,
    ("ConsentGranted", 1): upcast_consent_granted_v1_to_v2,
    ("ConsentWithdrawn", 1): upcast_consent_withdrawn_v1_to_v2,
    ("ConsentChangeRequested", 1): upcast_consent_change_requested_v1_to_v2,
}
"""The upcasters this library ships."""


def upcast(
    payload: Payload,
    *,
    event_type: str,
    from_version: int,
    to_version: int,
    upcasters: Mapping[UpcasterKey, Upcaster],
) -> Payload:
    """Apply upcasters one version at a time; the given payload is not modified.

    Raises ``UnsupportedSchemaVersion`` (``no_upcaster``) where the chain has a gap and
    ``ContractViolation`` (``upcast_failed``) where an upcaster cannot read its input.
    """
    if from_version == to_version:
        return payload
    current = copy.deepcopy(payload)  # an upcaster that mutates must not reach the envelope
    for version in range(from_version, to_version):
        upcaster = upcasters.get((event_type, version))
        if upcaster is None:
            raise UnsupportedSchemaVersion(
                f"{event_type} v{from_version} cannot be read: no upcaster from v{version}",
                reason="no_upcaster",
            )
        try:
            current = upcaster(current)
        except (KeyError, TypeError, ValueError) as error:
            raise ContractViolation(
                f"{event_type} v{version} payload could not be upcast ({type(error).__name__})",
                reason="upcast_failed",
            ) from None
    return current
