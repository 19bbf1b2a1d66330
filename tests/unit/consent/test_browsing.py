"""C2: browsing data only while analytics cookies are granted (CK1, CK2); the read model
answers as the ledger does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from allwan_consent.domain.consents import CustomerConsents
from allwan_consent.domain.ledger import ConsentChange, ConsentLedger
from allwan_contracts import Channel, ConsentEvidence, ConsentPurpose, ErasureReason
from hypothesis import given
from hypothesis import strategies as st

ERASED_AT = datetime(2026, 1, 1, tzinfo=UTC)

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


LEDGER_ACTIONS: dict[str, Callable[[ConsentLedger, ConsentPurpose, int], object]] = {
    "grant": lambda ledger, purpose, version: ledger.grant(change(purpose, version)),
    "withdraw": lambda ledger, purpose, version: ledger.withdraw(change(purpose, version)),
    "reconfirm": lambda ledger, _, version: ledger.require_reconfirmation(version),
    "erase": lambda ledger, *_: ledger.erase(ErasureReason.RETENTION_ENDED, None, ERASED_AT),
}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(ConsentPurpose)),
            st.sampled_from(list(LEDGER_ACTIONS)),
            st.integers(min_value=0, max_value=2),
        ),
        max_size=30,
    )
)
def test_the_read_models_consents_answer_exactly_as_the_ledger(
    ops: list[tuple[ConsentPurpose, str, int]],
) -> None:
    ledger, version = ConsentLedger("cust-1"), 1
    for purpose, action, step in ops:
        version += step
        LEDGER_ACTIONS[action](ledger, purpose, version)
        held = CustomerConsents("cust-1", dict(ledger.purposes), erased=ledger.erased)

        for each in ConsentPurpose:
            assert held.granted(each) is ledger.granted(each)
        assert held.may_record_browsing() is ledger.may_record_browsing()


def test_c2_the_read_model_records_no_browsing_for_an_erased_customer() -> None:
    ledger = ConsentLedger("cust-1")
    ledger.grant(change(ConsentPurpose.ANALYTICS_COOKIES))

    held = CustomerConsents("cust-1", dict(ledger.purposes), erased=True)

    assert held.may_record_browsing() is False
    assert held.granted(ConsentPurpose.ANALYTICS_COOKIES) is False
