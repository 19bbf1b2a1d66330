"""The console's rules without I/O: the queue's order, what is due soon, a policy draft and
its window (PC1, PC2), a breach's affected ids, the gateway's refusals beside the fields, the
minutes of a sign-in lock (S1), a notice fan-out's progress (PC2), the audit filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_web.domain import staff as rules
from allwan_web.domain.locale import STORE_TZ

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def item(request_id: str, days_left: int | None, received: str = "2026-11-01") -> dict[str, Any]:
    overdue = days_left is not None and days_left < 0
    return {
        "request_id": request_id,
        "days_left": days_left,
        "overdue": overdue,
        "received_at": received,
    }


def test_the_queue_puts_overdue_first_then_fewest_days_left_then_oldest_received() -> None:
    queue = [
        item("finished", None),
        item("later", 12),
        item("late", -1),
        item("latest", -9),
        item("today-newer", 0, received="2026-11-05"),
        item("today-older", 0, received="2026-11-02"),
    ]
    ordered = [i["request_id"] for i in rules.queue_order(queue)]
    assert ordered == ["latest", "late", "today-older", "today-newer", "later", "finished"]


def test_due_soon_counts_today_to_six_days_ahead_and_never_the_overdue() -> None:
    queue = [item("a", -2), item("b", 0), item("c", 6), item("d", 7), item("e", None)]
    assert rules.due_counts(queue) == rules.DueCounts(overdue=1, due_soon=2)


def test_a_sign_in_lock_is_told_in_whole_minutes_rounded_up() -> None:
    assert rules.retry_minutes(1) == 1
    assert rules.retry_minutes(61) == 2
    assert rules.retry_minutes(900) == 15
    assert rules.retry_minutes(None) == rules.LOCK_MINUTES


def test_a_password_is_sent_as_typed_never_trimmed() -> None:
    assert rules.check_sign_in({"staff_id": " noura ", "password": " pass "}) == (
        "noura",
        " pass ",
    )


POLICY = {
    "text_ar": "النص\r\nالثاني",
    "text_en": "Text\r\nsecond",
    "summary_ar": " ملخص ",
    "summary_en": "Summary",
    "material": "on",
    "effective_at": "2026-12-01T10:30",
}


def test_a_policy_draft_reads_riyadh_time_and_textareas_line_ends() -> None:
    draft = rules.check_policy(POLICY, NOW)
    assert draft.effective_at == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert draft.text_ar == "النص\nالثاني"
    assert draft.summary_ar == "ملخص"
    assert draft.material is True
    assert draft.body()["effective_at"] == "2026-12-01T10:30:00+03:00"
    assert rules.PolicyDraft.decode(draft.encode()) == draft
    assert rules.check_policy(draft.fields(), NOW) == draft


def test_a_policy_without_the_box_ticked_is_not_material_and_takes_effect_now() -> None:
    draft = rules.check_policy(POLICY | {"material": "", "effective_at": ""}, NOW)
    assert draft.material is False
    assert draft.effective_at is None
    assert "effective_at" not in draft.body()


@pytest.mark.parametrize(
    ("moment", "refusal"),
    [
        (NOW - timedelta(minutes=5), None),
        (NOW - timedelta(minutes=6), "staff.error.effective_past"),
        (NOW + timedelta(days=366), None),
        (NOW + timedelta(days=366, minutes=1), "staff.error.effective_far"),
    ],
)
def test_a_version_takes_effect_within_the_gateways_window(
    moment: datetime, refusal: str | None
) -> None:
    assert rules.check_effective_at(moment, NOW) == refusal


def test_a_policy_form_comes_back_with_every_error_at_once() -> None:
    with pytest.raises(rules.FormInvalid) as refused:
        rules.check_policy({"text_en": "x" * 100_001, "effective_at": "soon"}, NOW)
    assert refused.value.errors == {
        "text_ar": "staff.error.required",
        "text_en": "staff.error.too_long.100000",
        "summary_ar": "staff.error.required",
        "summary_en": "staff.error.required",
        "effective_at": "staff.error.datetime",
    }


def test_the_published_version_is_the_first_after_the_last_with_the_drafts_summaries() -> None:
    draft = rules.check_policy(POLICY, NOW)
    versions = [
        {"version": 3, "summary_ar": "ملخص", "summary_en": "Summary", "material": True},
        {"version": 2, "summary_ar": "ملخص", "summary_en": "Summary", "material": True},
        {"version": 4, "summary_ar": "آخر", "summary_en": "Other", "material": True},
    ]
    assert rules.published_version(versions, after=2, draft=draft) == 3
    assert rules.published_version(versions, after=3, draft=draft) is None


@pytest.mark.parametrize(
    ("counts", "done"),
    [
        ({"phase": "sending", "total": 3, "sent": 3, "pending": 0}, False),
        ({"phase": "done", "total": 3, "sent": 2, "failed": 1, "pending": 0}, True),
        ({"phase": "done", "total": 3, "sent": 2, "pending": 1}, False),
    ],
)
def test_a_fanout_is_done_only_when_the_notifier_says_so_and_nothing_waits(
    counts: dict[str, Any], done: bool
) -> None:
    assert rules.fanout(counts).done is done


def test_a_fanout_counts_what_was_settled_whatever_became_of_it() -> None:
    progress = rules.fanout({"total": 5, "sent": 2, "failed": 1, "skipped": 1, "pending": 1})
    assert progress.settled == 4


BREACH = {
    "detected_at": "2026-11-28T10:00",
    "description": "A bucket was readable.",
    "affected": "listed",
    "customer_ids": "cust-1\r\ncust-2, cust-1\n\n",
    "likely_consequences": "Phishing.",
    "measures_taken": "Revoked.",
}


def test_affected_customers_are_one_per_line_each_once() -> None:
    body = rules.check_breach(BREACH, ["name", "email", "name"], NOW)
    assert body["affected"] == {"customer_ids": ["cust-1", "cust-2"]}
    assert body["categories"] == ["name", "email"]
    assert body["detected_at"] == "2026-11-28T10:00:00+03:00"


def test_an_id_with_a_blank_inside_is_a_wrong_id_not_two() -> None:
    with pytest.raises(rules.FormInvalid) as refused:
        rules.check_breach(BREACH | {"customer_ids": "cust 1"}, ["name"], NOW)
    assert refused.value.errors == {"customer_ids": "staff.error.customer_ids"}


def test_a_breach_window_is_sent_with_the_stores_offset() -> None:
    window = BREACH | {
        "affected": "window",
        "ordered_from": "2026-11-01T00:00",
        "ordered_until": "2026-11-15T00:00",
    }
    body = rules.check_breach(window, ["email"], NOW)
    assert body["affected"] == {
        "ordered_from": "2026-11-01T00:00:00+03:00",
        "ordered_until": "2026-11-15T00:00:00+03:00",
    }


def test_a_breach_detected_in_the_future_is_refused() -> None:
    later = (NOW + timedelta(minutes=1)).astimezone(STORE_TZ).strftime("%Y-%m-%dT%H:%M")
    with pytest.raises(rules.FormInvalid) as refused:
        rules.check_breach(BREACH | {"detected_at": later}, ["email"], NOW)
    assert refused.value.errors == {"detected_at": "staff.error.future"}


def test_the_gateways_refusals_land_beside_the_fields_they_name() -> None:
    paths = {"affected.customer_ids": "customer_ids", "affected": "affected", "text_en": "text"}
    errors = [
        {"location": "body.affected.customer_ids.3", "kind": "string_pattern_mismatch"},
        {"location": "$.text_en", "kind": "card_data"},
        {"location": "body.unknown", "kind": "extra_forbidden"},
    ]
    assert rules.field_errors(errors, paths, "form") == {
        "customer_ids": "staff.error.refused_field",
        "text": "staff.error.card_data",
        "form": "staff.error.refused_field",
    }
    assert rules.field_errors([], paths, "form") == {"form": "staff.error.refused_field"}


def test_audit_filters_name_the_actor_as_the_trail_does_and_survive_the_session() -> None:
    filters = rules.check_audit_filters(
        {"staff_id": "staff:noura", "action": "privacy.", "since": "2026-11-01T00:00"}
    )
    assert filters.params() == {
        "actor": "staff:noura",
        "action": "privacy.",
        "since": "2026-11-01T00:00:00+03:00",
    }
    assert rules.AuditFilters.decode(filters.encode()) == filters
    assert rules.AuditFilters.decode('{"action": "DROP TABLE"}') == rules.AuditFilters()
    assert rules.AuditFilters.decode("not json") == rules.AuditFilters()


@pytest.mark.parametrize(
    ("cursor", "valid"),
    [
        ("t20261128090000000000-4f1c9a0b2e3d5a67", True),
        ("5b0c7a1e-3f43-5d5e-8a2b-91c0e6a4d7f2", True),
        ("t2026-../../v1/orders", False),
        ("", False),
    ],
)
def test_only_a_cursor_shaped_as_the_trail_gives_them_is_sent(cursor: str, valid: bool) -> None:
    assert (rules.valid_cursor(cursor) == cursor) is valid


def test_hours_left_round_towards_the_deadline() -> None:
    assert rules.hours_left(5.9) == 5
    assert rules.hours_left(-0.2) == -1
    assert rules.hours_left(None) is None
