"""S1: staff read the audit trail (``GET /v1/staff/audit``), newest first, filtered and a
page at a time; reading it is itself audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_gateway.adapters.audit import AUDIT

from tests.unit.gateway.fakes import SECRETS, Harness, harness
from tests.unit.gateway.test_problems import assert_problem

AUDIT_PATH = "/v1/staff/audit"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# (actor, action, target), one a minute from START.
ACTIONS = [
    ("staff:noura", "policy.publish", "policy:privacy"),
    ("staff:omar", "privacy.request.read", "privacy_request:r-1"),
    ("staff:noura", "privacy.request.extend", "privacy_request:r-1"),
    ("staff:api-key", "consent.proof.read", "customer:cust-1"),
    ("staff:omar", "privacy.queue.read", "privacy_requests"),
    ("staff:noura", "privacy.request.deny", "privacy_request:r-2"),
    ("staff:omar", "disclosures.read", "customer:cust-2"),
    ("staff:noura", "privacy_requests.export", "privacy_requests"),
]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def gw(clock: Clock) -> Harness:
    found = harness(clock=clock)
    for minute, (actor, action, target) in enumerate(ACTIONS):
        clock.now = START + timedelta(minutes=minute)
        await found.gateway.audit.record(actor, action, target, f"req-{minute}")
    # The reader's own entry comes an hour after the others.
    clock.now = START + timedelta(hours=1)
    return found


async def read(gw: Harness, reader: str = "reader", **params: Any) -> Any:
    async with gw.client() as http:
        answer = await http.get(AUDIT_PATH, params=params, headers=gw.staff(reader))
    assert answer.status_code == 200, answer.text
    return answer.json()


def recorded(page: Any) -> list[str]:
    """The actions of the page's entries, leaving out the reads of the trail itself."""
    return [entry["action"] for entry in page["entries"] if entry["action"] != "audit.read"]


async def test_s1_the_trail_reads_newest_first_with_who_what_on_what_and_when(
    gw: Harness,
) -> None:
    page = await read(gw)

    assert recorded(page) == [action for _, action, _ in reversed(ACTIONS)]
    newest_recorded = page["entries"][1]
    assert newest_recorded == {
        "at": "2026-03-01T09:07:00Z",
        "actor": "staff:noura",
        "action": "privacy_requests.export",
        "target": "privacy_requests",
        "request_id": "req-7",
    }
    assert page["next"] is None


async def test_s1_reading_the_trail_is_itself_audited_first(gw: Harness) -> None:
    page = await read(gw, reader="layla", action="audit.read")

    [entry] = page["entries"]
    assert (entry["actor"], entry["action"], entry["target"]) == (
        "staff:layla",
        "audit.read",
        "audit",
    )
    assert entry["at"] == "2026-03-01T10:00:00Z"


async def test_s1_a_trail_that_cannot_record_its_own_read_is_not_shown(gw: Harness) -> None:
    gw.documents.fail_inserts_into.add(AUDIT)
    async with gw.client() as http:
        answer = await http.get(AUDIT_PATH, headers=gw.staff())

    assert answer.status_code == 500
    assert "policy.publish" not in answer.text


async def test_s1_entries_of_one_instant_read_in_the_order_they_were_written(
    clock: Clock,
) -> None:
    gw = harness(clock=clock)
    for n in range(20):
        await gw.gateway.audit.record("staff:noura", f"step.s{n:02d}", "x", f"req-{n}")

    page = await read(gw, actor="staff:noura")

    assert recorded(page) == [f"step.s{n:02d}" for n in reversed(range(20))]


PRIVACY = ["privacy.request.deny", "privacy.queue.read", "privacy.request.extend"]
REQUESTS = ["privacy.request.deny", "privacy.request.extend", "privacy.request.read"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"actor": "staff:omar"},
            ["disclosures.read", "privacy.queue.read", "privacy.request.read"],
        ),
        ({"action": "privacy.request.extend"}, ["privacy.request.extend"]),
        ({"action": "privacy."}, [*PRIVACY, "privacy.request.read"]),
        ({"action": "privacy.request."}, REQUESTS),
        ({"action": "privacy"}, []),
        ({"actor": "staff:noura", "action": "privacy."}, REQUESTS[:2]),
        (
            {"since": "2026-03-01T12:02:00+03:00", "until": "2026-03-01T09:04:00Z"},
            ["privacy.queue.read", "consent.proof.read", "privacy.request.extend"],
        ),
        ({"until": "2026-03-01T09:00:00Z"}, ["policy.publish"]),
        ({"since": "2026-03-01T09:07:00.000001Z", "until": "2026-03-01T09:59:59Z"}, []),
    ],
    ids=[
        "actor",
        "exact-action",
        "action-prefix",
        "longer-prefix",
        "no-dot-is-exact",
        "actor-and-prefix",
        "since-until-any-offset",
        "until-inclusive",
        "empty-window",
    ],
)
async def test_s1_the_trail_is_filtered_by_actor_action_and_time(
    gw: Harness, params: dict[str, str], expected: list[str]
) -> None:
    page = await read(gw, **params)

    assert recorded(page) == expected


async def test_s1_pages_follow_each_other_through_next_without_gaps_or_repeats(
    gw: Harness,
) -> None:
    seen: list[str] = []
    cursors: list[str | None] = []
    page = await read(gw, limit=3)
    while True:
        seen += [entry["request_id"] for entry in page["entries"]]
        cursors.append(page["next"])
        if page["next"] is None:
            break
        page = await read(gw, limit=3, cursor=page["next"])

    written = [f"req-{n}" for n in reversed(range(len(ACTIONS)))]
    assert [r for r in seen if r in written] == written
    assert len(seen) == len(set(seen))
    assert len(cursors) == 3  # the first read's own entry and the 8 written: 3 pages of 3
    assert all(cursor is not None and len(cursor) == 38 for cursor in cursors[:-1])


async def test_s1_a_full_last_page_says_there_is_no_next(gw: Harness) -> None:
    page = await read(gw, limit=len(ACTIONS) + 1)

    assert len(page["entries"]) == len(ACTIONS) + 1
    assert page["next"] is None


async def test_s1_entries_written_before_time_ordered_ids_are_still_read_after_the_rest(
    gw: Harness,
) -> None:
    old_id = str(uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff"))
    await gw.documents.insert(
        AUDIT,
        {
            "_id": old_id,
            "at": START - timedelta(days=30),
            "actor": "staff:noura",
            "action": "policy.publish",
            "target": "policy:privacy",
            "request_id": "req-old",
        },
    )

    first = await read(gw, actor="staff:noura", limit=4)
    rest = await read(gw, actor="staff:noura", limit=4, cursor=first["next"])

    ids = [e["request_id"] for e in first["entries"] + rest["entries"]]
    assert ids == ["req-7", "req-5", "req-2", "req-0", "req-old"]
    assert await read(gw, cursor=old_id) == {"entries": [], "next": None}
    assert recorded(await read(gw, until="2026-02-01T00:00:00Z")) == ["policy.publish"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "201"},
        {"since": "yesterday"},
        {"since": "2026-03-01T09:00:00"},
        {"until": "1767225600"},
        {"actor": "noura"},
        {"actor": "customer"},
        {"action": "Privacy."},
        {"action": "privacy..request"},
        {"cursor": "t2026"},
        {"cursor": "not-a-cursor-at-all-0000000000000000000"},
    ],
)
async def test_s1_a_malformed_filter_is_refused_naming_the_parameter(
    gw: Harness, params: dict[str, str]
) -> None:
    async with gw.client() as http:
        answer = await http.get(AUDIT_PATH, params=params, headers=gw.staff())

    problem = assert_problem(answer, 422, "validation-failed")
    assert [error["location"] for error in problem["errors"]] == [f"query.{next(iter(params))}"]


async def test_s1_only_staff_read_the_trail(gw: Harness) -> None:
    async with gw.client() as http:
        anonymous = await http.get(AUDIT_PATH)
        customer = await http.get(AUDIT_PATH, headers=gw.customer("cust-1"))
        storefront = await http.get(
            AUDIT_PATH, headers={"X-API-Key": SECRETS["gateway_storefront_api_key"]}
        )
        back_office = await http.get(
            AUDIT_PATH, headers={"X-API-Key": SECRETS["gateway_staff_api_key"]}
        )

    assert [anonymous.status_code, customer.status_code, storefront.status_code] == [401, 403, 401]
    assert back_office.status_code == 200
    assert back_office.json()["entries"][0]["actor"] == "staff:api-key"
