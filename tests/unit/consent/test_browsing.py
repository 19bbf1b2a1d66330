"""C2: browsing data only while analytics cookies are granted (CK1, CK2)."""

from __future__ import annotations

from datetime import UTC, datetime

from allwan_consent.domain.ledger import ConsentChange, ConsentLedger
from allwan_contracts import Channel, ConsentEvidence, ConsentPurpose, ErasureReason
from hypothesis import given
from hypothesis import strategies as st

EVIDENCE = ConsentEvidence(user_agent_hmac="ab" * 32)


def change(purpose: ConsentPurpose, version: int = 1) -> ConsentChange:
    return ConsentChange(purpose, Channel.WEB, version, "customer", EVIDENCE)


def test_c2_no_browsing_data_before_any_consent() -> None:
    assert not ConsentLedger("cust-1").may_record_browsing()


@given(st.lists(st.tuples(st.sampled_from(list(ConsentPurpose)), st.booleans()), max_size=20))
def test_c2_browsing_data_is_recorded_exactly_while_analytics_cookies_are_granted(
    ops: list[tuple[ConsentPurpose, bool]],
) -> None:
    ledger = ConsentLedger("cust-1")
    analytics = False
    for purpose, grant in ops:
        if grant:
            ledger.grant(change(purpose))
        else:
            ledger.withdraw(change(purpose))
        if purpose is ConsentPurpose.ANALYTICS_COOKIES:
            analytics = grant
        assert ledger.may_record_browsing() is analytics


def test_c2_a_suspended_analytics_consent_stops_browsing_data() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change(ConsentPurpose.ANALYTICS_COOKIES, version=1))

    ledger.require_reconfirmation(2)

    assert not ledger.may_record_browsing()


def test_c2_erasure_stops_browsing_data() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change(ConsentPurpose.ANALYTICS_COOKIES))

    ledger.erase(ErasureReason.CUSTOMER_REQUEST, Channel.WEB, datetime(2026, 1, 1, tzinfo=UTC))

    assert not ledger.may_record_browsing()
