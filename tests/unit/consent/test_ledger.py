"""The consent ledger's rules (K1, K2, K3, PC1), on the aggregate alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from allwan_consent.domain.ledger import ConsentChange, ConsentLedger, UnprovenConsent
from allwan_consent.domain.purposes import SECONDARY_PURPOSES, PurposeStatus
from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentGranted,
    ConsentPurpose,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerErased,
    ErasureReason,
)
from hypothesis import given
from hypothesis import strategies as st

WEB_EVIDENCE = ConsentEvidence(ip_hmac="cd" * 32, user_agent_hmac="ef" * 32)
MARKETING = ConsentPurpose.MARKETING


def change(
    purpose: ConsentPurpose = MARKETING,
    version: int = 1,
    channel: Channel = Channel.WEB,
    evidence: ConsentEvidence = WEB_EVIDENCE,
) -> ConsentChange:
    return ConsentChange(purpose, channel, version, "customer", evidence)


def replayed(ledger: ConsentLedger) -> ConsentLedger:
    """The ledger as the repository would load it from its stored events."""
    return ConsentLedger.rehydrate(ledger.id, ledger.pending)


operations = st.lists(
    st.tuples(
        st.sampled_from(list(ConsentPurpose)),
        st.sampled_from(["grant", "withdraw"]),
        st.integers(min_value=0, max_value=2),  # how far the policy version moves on
    ),
    max_size=40,
)


@given(operations)
def test_k3_any_sequence_of_grants_and_withdrawals_ends_as_the_last_one_says(
    ops: list[tuple[ConsentPurpose, str, int]],
) -> None:
    ledger = ConsentLedger("cust-1")
    version = 1
    last: dict[ConsentPurpose, str] = {}
    for purpose, action, step in ops:
        version += step  # the version in force never goes back
        if action == "grant":
            ledger.grant(change(purpose, version))
        else:
            ledger.withdraw(change(purpose, version))
        last[purpose] = action

    for loaded in (ledger, replayed(ledger)):
        for purpose in ConsentPurpose:
            assert loaded.granted(purpose) is (last.get(purpose) == "grant")


@given(operations)
def test_k3_every_recorded_event_changes_the_state_no_event_repeats_it(
    ops: list[tuple[ConsentPurpose, str, int]],
) -> None:
    ledger, version = ConsentLedger("cust-1"), 1
    for purpose, action, step in ops:
        version += step
        if action == "grant":
            ledger.grant(change(purpose, version))
        else:
            ledger.withdraw(change(purpose, version))
    previous: dict[ConsentPurpose, tuple[str, int]] = {}
    for event in ledger.pending:
        now = (type(event).__name__, event.policy_version)
        assert previous.get(event.purpose) != now
        if isinstance(event, ConsentWithdrawn):
            assert event.purpose in previous
        previous[event.purpose] = now


def test_k3_withdrawing_what_was_never_granted_records_nothing() -> None:
    ledger = ConsentLedger("cust-1")

    assert ledger.withdraw(change()) is False
    assert ledger.pending == ()


def test_granting_again_under_the_same_version_records_nothing() -> None:
    ledger = ConsentLedger("cust-1")
    assert ledger.grant(change(version=2)) is True

    assert ledger.grant(change(version=2)) is False
    assert ledger.grant(change(version=1)) is False  # an older grant adds nothing either
    assert [type(e) for e in ledger.pending] == [ConsentGranted]


def test_a_grant_under_a_newer_policy_version_is_recorded_as_new_proof() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change(version=1))

    assert ledger.grant(change(version=2)) is True
    assert [e.policy_version for e in ledger.pending] == [1, 2]


def test_k3_a_stale_grant_older_than_the_withdrawal_does_not_undo_it() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change(version=1))
    ledger.withdraw(change(version=2))

    assert ledger.grant(change(version=1)) is False
    assert not ledger.granted(MARKETING)


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.PHONE, Channel.WHATSAPP, Channel.SALLA])
def test_k2_a_grant_by_message_needs_the_message_reference(channel: Channel) -> None:
    ledger = ConsentLedger("cust-1")

    with pytest.raises(UnprovenConsent):
        ledger.grant(change(channel=channel, evidence=WEB_EVIDENCE))
    assert ledger.grant(
        change(channel=channel, evidence=ConsentEvidence(message_reference="msg-1"))
    )


def test_k2_a_web_grant_needs_the_browser_that_sent_it() -> None:
    ledger = ConsentLedger("cust-1")

    with pytest.raises(UnprovenConsent):
        ledger.grant(change(evidence=ConsentEvidence()))
    assert ledger.grant(change(evidence=ConsentEvidence(user_agent_hmac="ef" * 32)))


def test_k3_a_withdrawal_is_honoured_even_without_evidence() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change())

    assert ledger.withdraw(change(channel=Channel.PHONE, evidence=ConsentEvidence()))
    assert not ledger.granted(MARKETING)


def test_pc1_material_change_suspends_secondary_consents_given_under_older_versions() -> None:
    ledger = ConsentLedger("cust-1")
    for purpose in ConsentPurpose:
        ledger.grant(change(purpose, version=1))
    ledger.grant(change(ConsentPurpose.FUNCTIONAL_COOKIES, version=2))

    suspended = ledger.require_reconfirmation(2)

    assert set(suspended) == {MARKETING, ConsentPurpose.ANALYTICS_COOKIES}
    assert ledger.granted(ConsentPurpose.ORDER_PROCESSING)  # K1: never suspended
    assert ledger.granted(ConsentPurpose.FUNCTIONAL_COOKIES)  # already under version 2
    for purpose in suspended:
        state = ledger.purposes[purpose]
        assert state.status is PurposeStatus.RECONFIRMATION_REQUIRED
        assert (state.policy_version, state.reconfirm_for) == (1, 2)
        assert not ledger.granted(purpose)


def test_pc1_asking_twice_for_the_same_material_version_records_nothing_more() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change(version=1))
    ledger.require_reconfirmation(2)

    assert ledger.require_reconfirmation(2) == []
    assert [type(e) for e in ledger.pending] == [ConsentGranted, ConsentReconfirmationRequired]


def test_pc1_suspended_consent_is_restored_only_by_a_grant_under_the_new_terms() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change(version=1))
    ledger.require_reconfirmation(3)

    assert ledger.grant(change(version=2)) is False
    assert ledger.grant(change(version=3)) is True
    assert ledger.granted(MARKETING)


def test_pc1_grant_under_terms_older_than_the_latest_material_change_is_suspended_at_once() -> None:
    ledger = ConsentLedger("cust-1")

    ledger.grant(change(version=1), latest_material_version=2)

    assert not ledger.granted(MARKETING)
    assert [type(e) for e in ledger.pending] == [ConsentGranted, ConsentReconfirmationRequired]


def test_k1_order_processing_under_older_terms_is_not_suspended() -> None:
    ledger = ConsentLedger("cust-1")
    order = ConsentChange(
        ConsentPurpose.ORDER_PROCESSING,
        Channel.WEB,
        1,
        "service:orders",
        ConsentEvidence(message_reference="ord-1"),
    )

    ledger.grant(order, latest_material_version=2)

    assert ledger.granted(ConsentPurpose.ORDER_PROCESSING)


def test_k3_a_suspended_consent_can_still_be_withdrawn() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change(version=1))
    ledger.require_reconfirmation(2)

    assert ledger.withdraw(change(version=2)) is True
    assert ledger.purposes[MARKETING].status is PurposeStatus.WITHDRAWN


def test_erased_ledger_keeps_its_proof_and_records_nothing_more() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change())
    at = datetime(2026, 5, 1, tzinfo=UTC)

    assert ledger.erase(ErasureReason.CUSTOMER_REQUEST, Channel.EMAIL, at) is True
    assert ledger.erase(ErasureReason.CUSTOMER_REQUEST, Channel.EMAIL, at) is False
    assert ledger.grant(change(ConsentPurpose.ANALYTICS_COOKIES)) is False
    assert ledger.withdraw(change()) is False
    assert ledger.require_reconfirmation(5) == []
    assert not ledger.granted(MARKETING)
    events = ledger.pending
    assert [type(e) for e in events] == [ConsentGranted, CustomerErased]


def test_secondary_purposes_are_everything_but_order_processing() -> None:
    assert frozenset(ConsentPurpose) - SECONDARY_PURPOSES == {ConsentPurpose.ORDER_PROCESSING}
