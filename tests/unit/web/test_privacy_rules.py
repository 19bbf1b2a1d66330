"""The privacy centre's rules (``allwan_web.domain.requests``): the days left to answer a
request (PDPL: 30 days, extended once), what a request's state lets the customer do, the word
that confirms an erasure, and the links that reach the store (CT1, K3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from allwan_web.domain.requests import (
    Kind,
    Request,
    State,
    erasure_confirmed,
    international,
    open_of_kind,
    plural,
    tel_link,
    whatsapp_link,
)

RECEIVED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def request(
    kind: Kind = Kind.ACCESS, state: State = State.IN_PROGRESS, **fields: object
) -> Request:
    shown = {
        "request_id": "r-1",
        "kind": kind.value,
        "state": state.value,
        "received_at": RECEIVED.isoformat(),
        "due_at": (RECEIVED + timedelta(days=30)).isoformat(),
    }
    return Request.of(shown | fields)


def test_days_left_count_whole_days_to_the_deadline_and_zero_on_its_last_day() -> None:
    open_one = request()
    assert open_one.days_left(RECEIVED) == 30
    assert open_one.days_left(RECEIVED + timedelta(days=20, hours=1)) == 9
    assert open_one.days_left(RECEIVED + timedelta(days=29, hours=23)) == 0
    assert not open_one.overdue(RECEIVED + timedelta(days=29, hours=23))


def test_a_request_past_its_deadline_has_negative_days_left_and_is_overdue() -> None:
    late = RECEIVED + timedelta(days=31)
    assert request().days_left(late) == -1
    assert request().overdue(late)


def test_an_extended_deadline_replaces_the_thirty_days() -> None:
    extended = request(extended_until=(RECEIVED + timedelta(days=50)).isoformat())
    later = RECEIVED + timedelta(days=40)
    assert extended.days_left(later) == 10
    assert not extended.overdue(later)


@pytest.mark.parametrize("state", [State.COMPLETED, State.DENIED, State.CANCELLED])
def test_a_finished_request_has_no_clock_and_is_never_overdue(state: State) -> None:
    finished = request(state=state)
    long_after = RECEIVED + timedelta(days=90)
    assert finished.days_left(long_after) is None
    assert not finished.overdue(long_after)


@pytest.mark.parametrize("state", [State.RECEIVED, State.IDENTITY_VERIFIED])
def test_an_erasure_not_started_yet_can_be_cancelled(state: State) -> None:
    assert request(Kind.ERASURE, state).cancellable


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (Kind.ERASURE, State.IN_PROGRESS),
        (Kind.ERASURE, State.COMPLETED),
        (Kind.ERASURE, State.CANCELLED),
        # Access and correction from the web start as soon as they are received.
        (Kind.ACCESS, State.RECEIVED),
        (Kind.CORRECTION, State.IDENTITY_VERIFIED),
    ],
)
def test_a_started_finished_or_immediate_request_offers_no_cancel(kind: Kind, state: State) -> None:
    assert not request(kind, state).cancellable


def test_the_export_is_offered_for_a_completed_access_request_until_it_expires() -> None:
    done = RECEIVED + timedelta(days=2)
    expires = (done + timedelta(days=7)).isoformat()
    completed = request(state=State.COMPLETED, export_expires_at=expires)
    assert completed.export_ready(done + timedelta(days=6))
    assert not completed.export_ready(done + timedelta(days=7))


def test_no_export_is_offered_before_completion_or_for_another_kind() -> None:
    expires = (RECEIVED + timedelta(days=7)).isoformat()
    assert not request(state=State.IN_PROGRESS, export_expires_at=expires).export_ready(RECEIVED)
    correction = request(Kind.CORRECTION, State.COMPLETED, export_expires_at=expires)
    assert not correction.export_ready(RECEIVED)


def test_only_an_open_request_of_the_same_kind_blocks_a_new_one() -> None:
    finished_access = request(Kind.ACCESS, State.COMPLETED, request_id="r-old")
    open_erasure = request(Kind.ERASURE, State.RECEIVED, request_id="r-erase")
    requests = [finished_access, open_erasure]
    assert open_of_kind(requests, Kind.ACCESS) is None
    assert open_of_kind(requests, Kind.ERASURE) == open_erasure


@pytest.mark.parametrize(
    "typed",
    [
        "احذف",
        "DELETE",
        "delete",
        "  Delete ",
        "إحذف",  # the hamza many write on an initial alif
        "احْذِفْ",  # with vowel marks
        "\u200fاحذف",  # a right-to-left mark a keyboard slipped in
    ],
)
def test_either_confirmation_word_confirms_an_erasure(typed: str) -> None:
    assert erasure_confirmed(typed)


@pytest.mark.parametrize("typed", ["", " ", "DELET", "DELETE ME", "حذف", "yes", "احذف احذف"])
def test_anything_but_a_confirmation_word_does_not_confirm_an_erasure(typed: str) -> None:
    assert not erasure_confirmed(typed)


@pytest.mark.parametrize(
    ("count", "form"),
    [(1, "one"), (2, "two"), (3, "few"), (10, "few"), (11, "many"), (30, "many"),
     (100, "other"), (102, "other"), (103, "few"), (-5, "few")],
)  # fmt: skip
def test_counts_of_days_take_arabic_plural_forms(count: int, form: str) -> None:
    assert plural(count) == form


@pytest.mark.parametrize(
    "phone", ["0563120415", "+966563120415", "+966 56 312 0415", "00966563120415"]
)
def test_a_saudi_number_however_written_reaches_whatsapp_with_its_country_code(phone: str) -> None:
    assert international(phone) == "966563120415"
    assert whatsapp_link(phone) == "https://wa.me/966563120415"
    assert tel_link(phone) == "tel:+966563120415"


def test_a_foreign_number_keeps_its_own_country_code() -> None:
    assert whatsapp_link("+44 20 7946 0018") == "https://wa.me/442079460018"
