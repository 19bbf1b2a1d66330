"""The privacy requests' contracts: what a correction carries, when changes may travel, what
an export part is, and the id of each service's answer."""

from __future__ import annotations

from typing import Any

import pytest
from allwan_contracts import Channel
from allwan_contracts.privacy import (
    ContactChanges,
    IdentityCheck,
    PrivacyRequestKind,
    PrivacyRequestStarted,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestSubmitted,
)
from allwan_contracts.privacy_replies import (
    CustomerDataExported,
    reply_id,
)
from allwan_contracts.sealed import (
    SealedDocument,
)
from pydantic import ValidationError

from tests.unit.contracts.factories import CT, IV, WHEN, sealed

REQUEST = "0b5e3f4a-8c1d-5e2f-9a3b-4c5d6e7f8a9b"


def submission(kind: PrivacyRequestKind, **fields: Any) -> PrivacyRequestSubmitted:
    return PrivacyRequestSubmitted(
        request_id=REQUEST,
        customer_id="cust-42",
        requested_by="customer",
        kind=kind,
        channel=fields.pop("channel", Channel.WEB),
        identity_check=IdentityCheck.CUSTOMER_TOKEN,
        submitted_at=WHEN,
        **fields,
    )


def part(**fields: Any) -> CustomerDataExported:
    return CustomerDataExported(
        reply_id=reply_id(REQUEST, "orders"),
        request_id=REQUEST,
        customer_id="cust-42",
        service="orders",
        part_name="orders",
        exported_at=WHEN,
        **fields,
    )


def test_contact_changes_need_at_least_one_field() -> None:
    with pytest.raises(ValidationError, match="at least one field"):
        ContactChanges()

    changes = ContactChanges(phone=sealed(), billing_address=sealed())
    assert set(changes.fields()) == {"phone", "billing_address"}


def test_contact_changes_are_sealed_values_only() -> None:
    with pytest.raises(ValidationError):
        ContactChanges.model_validate({"email": "new@example.com"})
    with pytest.raises(ValidationError):
        ContactChanges.model_validate({"email": sealed().model_dump(), "nickname": "x"})


def test_changes_come_with_a_correction_and_only_with_one() -> None:
    changes = ContactChanges(email=sealed())

    assert submission(PrivacyRequestKind.CORRECTION, changes=changes).changes == changes
    with pytest.raises(ValidationError, match="only with a correction"):
        submission(PrivacyRequestKind.CORRECTION)
    with pytest.raises(ValidationError, match="only with a correction"):
        submission(PrivacyRequestKind.ACCESS, changes=changes)
    with pytest.raises(ValidationError, match="only with a correction"):
        PrivacyRequestStarted(
            request_id=REQUEST,
            customer_id="cust-42",
            kind=PrivacyRequestKind.ERASURE,
            channel=Channel.WEB,
            changes=changes,
            at=WHEN,
            by="service:privacy",
        )


def test_privacy_requests_do_not_come_through_salla() -> None:
    with pytest.raises(ValidationError, match="Salla"):
        submission(PrivacyRequestKind.ACCESS, channel=Channel.SALLA)


def test_an_export_part_is_sealed_data_or_says_nothing_is_held() -> None:
    document = SealedDocument(alg="A256GCM", kid="cust-42", iv=IV, ct=CT)

    assert part(part=document).part == document
    assert part(nothing_held=True).part is None
    with pytest.raises(ValidationError, match="either sealed data"):
        part()
    with pytest.raises(ValidationError, match="either sealed data"):
        part(part=document, nothing_held=True)


def test_a_sealed_document_may_be_far_longer_than_a_sealed_field() -> None:
    long_ct = "A" * 100_000

    assert len(SealedDocument(alg="A256GCM", kid="cust-42", iv=IV, ct=long_ct).ct) == 100_000
    with pytest.raises(ValidationError):
        SealedDocument(alg="A256GCM", kid="cust-42", iv=IV, ct="A" * 700_004)


def test_a_reply_id_is_stable_and_distinct_per_service_and_subject() -> None:
    services = ("orders", "consent", "notifier")

    ids = {service: reply_id(REQUEST, service) for service in services}

    assert ids == {service: reply_id(REQUEST, service) for service in services}
    assert len(set(ids.values())) == len(services)
    assert reply_id("cust-42", "orders") != ids["orders"]
    assert reply_id("another-request", "orders") != ids["orders"]
