"""The pure rules: who gets what (PC2, K2), the ledger's state machine, the pace of sending."""

from __future__ import annotations

import pytest
from allwan_notifier.domain.deliveries import (
    FINAL,
    InvalidTransition,
    Kind,
    SkipReason,
    State,
    Tally,
    advance,
    delivery_id,
    message_id,
    must_send,
)
from allwan_notifier.domain.ratelimit import TokenBucket
from allwan_notifier.domain.recipients import (
    Address,
    ConsentStatus,
    MarketingConsent,
    Recipient,
    language,
    notice_is_due,
    status_after,
)
from allwan_runtime.keystore import InMemoryKeyStore

from tests.unit.notifier.fakes import (
    granted,
    policy_changed,
    reconfirmation,
    withdrawn,
)


def test_pc2_only_a_material_change_is_announced() -> None:
    assert notice_is_due(policy_changed(2, material=True))
    assert not notice_is_due(policy_changed(2, material=False))


@pytest.mark.parametrize(
    ("consent", "allowed"),
    [
        (MarketingConsent(ConsentStatus.GRANTED), True),
        (MarketingConsent(ConsentStatus.WITHDRAWN), False),
        (MarketingConsent(ConsentStatus.RECONFIRMATION_REQUIRED), False),
        (MarketingConsent(None), False),
        (MarketingConsent(ConsentStatus.GRANTED, erased=True), False),
    ],
)
def test_k2_marketing_needs_a_grant_not_withdrawn_suspended_or_erased(
    consent: MarketingConsent, allowed: bool
) -> None:
    assert consent.allows_marketing() is allowed


def test_k3_each_ledger_event_states_the_purposes_status() -> None:
    assert status_after(granted("c-1")) is ConsentStatus.GRANTED
    assert status_after(withdrawn("c-1")) is ConsentStatus.WITHDRAWN
    assert status_after(reconfirmation("c-1")) is ConsentStatus.RECONFIRMATION_REQUIRED


def test_an_erased_or_addressless_customer_is_unreachable() -> None:
    sealed = InMemoryKeyStore().seal_now("c-1", "email", "a@example.com")

    assert Recipient("c-1", Address(sealed)).unreachable() is None
    assert Recipient("c-1", None).unreachable() is SkipReason.NO_ADDRESS
    assert Recipient("c-1", Address(sealed), erased=True).unreachable() is SkipReason.ERASED


def test_the_store_language_applies_when_the_customer_gave_none() -> None:
    assert language(None, "ar") == "ar"
    assert language("en", "ar") == "en"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (State.PENDING, State.SENDING),
        (State.PENDING, State.SKIPPED),
        (State.PENDING, State.FAILED),
        (State.SENDING, State.SENT),
        (State.SENDING, State.FAILED),
        (State.SENDING, State.SENDING),  # interrupted, sent again
        (State.SENDING, State.SKIPPED),  # erased in between
    ],
)
def test_pc2_the_ledger_moves_forward(current: State, target: State) -> None:
    assert advance(current, target) is target


@pytest.mark.parametrize("final", sorted(FINAL))
@pytest.mark.parametrize("target", list(State))
def test_pc2_a_final_entry_never_moves_again(final: State, target: State) -> None:
    with pytest.raises(InvalidTransition):
        advance(final, target)


def test_pc2_pending_never_goes_straight_to_sent() -> None:
    with pytest.raises(InvalidTransition):
        advance(State.PENDING, State.SENT)


def test_pc2_an_entry_left_pending_or_sending_is_sent_again_and_no_other() -> None:
    assert [state for state in State if must_send(state)] == [State.PENDING, State.SENDING]


def test_pc2_every_attempt_at_one_message_carries_the_same_message_id() -> None:
    entry = delivery_id(Kind.POLICY, 3, "c-42")

    assert entry == "policy:3:c-42"
    assert message_id(entry, "allwanstores.com") == "<policy.3.c-42@allwanstores.com>"
    assert message_id(entry, "allwanstores.com") == message_id(entry, "allwanstores.com")


def test_pc2_pending_is_what_is_neither_sent_failed_nor_skipped() -> None:
    tally = Tally(total=5).plus(State.SENT).plus(State.FAILED).plus(State.SKIPPED)

    assert tally.plus(State.SENDING) == tally
    assert tally.as_dict() == {"total": 5, "sent": 1, "pending": 2, "failed": 1, "skipped": 1}


def test_the_bucket_lets_a_burst_through_then_keeps_the_rate() -> None:
    bucket = TokenBucket(rate=10, burst=3)

    assert [bucket.reserve(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    waits = [bucket.reserve(0.0) for _ in range(4)]
    assert waits == pytest.approx([0.1, 0.2, 0.3, 0.4])


def test_the_bucket_refills_with_time_up_to_its_burst() -> None:
    bucket = TokenBucket(rate=10, burst=2)
    bucket.reserve(0.0)
    bucket.reserve(0.0)

    assert bucket.reserve(0.1) == 0.0  # one token back after 0.1 s
    assert bucket.reserve(100.0) == 0.0
    assert bucket.reserve(100.0) == 0.0
    assert bucket.reserve(100.0) > 0  # never more than the burst saved up


def test_the_bucket_holds_its_rate_over_many_callers() -> None:
    bucket = TokenBucket(rate=50, burst=5)

    last_wait = max(bucket.reserve(0.0) for _ in range(505))

    assert last_wait == pytest.approx(500 / 50)


def test_a_bucket_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(rate=0, burst=1)
