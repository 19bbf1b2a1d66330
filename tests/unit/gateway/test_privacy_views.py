"""The gateway's privacy views from the privacy service's events: each version applied once,
the history one entry per change of state (who, when), the deadline moved by an extension,
the export's expiry; events from anyone but the privacy service ignored; nothing personal
projected, and nothing dropped when the customer is erased (proof)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allwan_contracts import CustomerErased
from allwan_contracts.customers import ErasureReason
from allwan_contracts.fields import Channel
from allwan_contracts.privacy import (
    PrivacyRequestKind,
    PrivacyRequestState,
)
from allwan_gateway.adapters.privacy_views import public_view, request_view
from allwan_gateway.domain.privacy import RequestView, blocking, days_left, due_at, overdue

from tests.unit.gateway.fakes import NOW, Harness
from tests.unit.gateway.seed import (
    access_completed,
    answered,
    cancelled,
    completed,
    deliver,
    denied,
    destroyed,
    extended,
    life,
    received,
    started,
    verified,
)


async def shown(gw: Harness, request_id: str) -> dict[str, Any]:
    document = await gw.gateway.privacy.get(request_id)
    assert document is not None
    return public_view(document)


async def test_a_requests_life_is_its_history_with_who_and_when(gw: Harness) -> None:
    day = timedelta(days=1)
    await life(
        gw.gateway,
        received("r-1", "c-1", at=NOW),
        verified("r-1", "c-1", NOW),
        started("r-1", "c-1", at=NOW),
        extended("r-1", "c-1", until=NOW + 45 * day, at=NOW + 2 * day),
        answered("r-1", "c-1", "orders", NOW + 3 * day),
        completed("r-1", "c-1", at=NOW + 4 * day),
    )

    view = await shown(gw, "r-1")
    assert view["state"] == "completed"
    assert view["received_at"] == NOW
    assert view["due_at"] == NOW + 30 * day
    assert view["extended_until"] == NOW + 45 * day
    assert view["export_expires_at"] == NOW + 11 * day
    assert view["history"] == [
        {"state": "received", "at": NOW, "by": "customer"},
        {"state": "identity_verified", "at": NOW, "by": "service:privacy"},
        {"state": "in_progress", "at": NOW, "by": "service:privacy"},
        {"state": "completed", "at": NOW + 4 * day, "by": "service:privacy"},
    ]


async def test_a_redelivered_event_changes_nothing(gw: Harness) -> None:
    await life(gw.gateway, *access_completed("r-1", "c-1"))
    before = await shown(gw, "r-1")

    await deliver(gw.gateway, started("r-1", "c-1", at=NOW + timedelta(days=9)), 3)
    await deliver(gw.gateway, received("r-1", "c-1", at=NOW + timedelta(days=9)), 1)

    assert await shown(gw, "r-1") == before
    assert await gw.gateway.privacy.customers.ids("c-1") == ["r-1"]


async def test_events_from_anyone_but_the_privacy_service_are_ignored(gw: Harness) -> None:
    await deliver(gw.gateway, received("r-1", "c-1"), 1, producer="gateway")
    await deliver(gw.gateway, received("r-2", "c-1"), 1, producer="consent")

    assert await gw.gateway.privacy.get("r-1") is None
    assert await gw.gateway.privacy.get("r-2") is None
    assert await gw.gateway.privacy.customers.ids("c-1") == []


async def test_a_denial_keeps_its_legal_reason_and_a_cancellation_who_cancelled(
    gw: Harness,
) -> None:
    await life(gw.gateway, received("r-1", "c-1"), verified("r-1", "c-1"), denied("r-1", "c-1"))
    await life(
        gw.gateway,
        received("r-2", "c-1", PrivacyRequestKind.ERASURE),
        cancelled("r-2", "c-1", by="service:privacy"),
    )

    refused, withdrawn = await shown(gw, "r-1"), await shown(gw, "r-2")
    assert (refused["state"], refused["denial_reason"]) == ("denied", "excessive_or_repeated")
    assert refused["history"][-1] == {"state": "denied", "at": NOW, "by": "staff:s-7"}
    assert withdrawn["history"][-1] == {"state": "cancelled", "at": NOW, "by": "service:privacy"}


async def test_a_destroyed_export_is_marked_and_the_request_stays_completed(gw: Harness) -> None:
    events = access_completed("r-1", "c-1")
    await life(gw.gateway, *events, destroyed("r-1", "c-1", NOW + timedelta(days=7)))

    document = await gw.gateway.privacy.get("r-1")
    assert document is not None
    view = request_view(document)
    assert (view.state, view.export_destroyed) == (PrivacyRequestState.COMPLETED, True)


async def test_t2_an_erased_customers_requests_are_kept_as_proof_and_hold_nothing_personal(
    gw: Harness,
) -> None:
    await life(gw.gateway, *access_completed("r-1", "c-1"))
    before = await gw.gateway.privacy.get("r-1")
    erased = CustomerErased(
        customer_id="c-1",
        erased_at=NOW,
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.WEB,
    )

    await deliver(gw.gateway, erased, 9)

    assert await gw.gateway.privacy.get("r-1") == before
    assert before is not None
    assert set(before) == {
        "_id",
        "_v",
        "customer_id",
        "kind",
        "channel",
        "state",
        "received_at",
        "due_at",
        "history",
        "export_expires_at",
    }


def _view(**fields: object) -> RequestView:
    values: dict[str, object] = {
        "request_id": "r-1",
        "customer_id": "c-1",
        "kind": PrivacyRequestKind.ACCESS,
        "state": PrivacyRequestState.IN_PROGRESS,
        "received_at": NOW,
        "due_at": due_at(NOW),
    }
    return RequestView(**(values | fields))  # type: ignore[arg-type]


def test_the_deadline_is_30_days_after_receipt_or_the_extended_date() -> None:
    plain = _view()
    moved = _view(extended_until=NOW + timedelta(days=50))

    assert plain.deadline == NOW + timedelta(days=30)
    assert moved.deadline == NOW + timedelta(days=50)
    assert days_left(plain.deadline, NOW) == 30
    assert days_left(moved.deadline, NOW + timedelta(days=49, hours=23)) == 0
    assert days_left(plain.deadline, NOW + timedelta(days=32)) == -2
    assert overdue(plain, NOW + timedelta(days=30))
    assert not overdue(moved, NOW + timedelta(days=30))
    assert not overdue(_view(state=PrivacyRequestState.COMPLETED), NOW + timedelta(days=99))


def test_only_an_open_request_of_the_same_kind_blocks_a_new_one() -> None:
    requests = [
        _view(request_id="done", state=PrivacyRequestState.COMPLETED),
        _view(request_id="erasure", kind=PrivacyRequestKind.ERASURE),
        _view(request_id="open", state=PrivacyRequestState.RECEIVED),
    ]

    found = blocking(requests, PrivacyRequestKind.ACCESS, NOW)
    assert found is not None
    assert found.request_id == "open"
    assert blocking(requests, PrivacyRequestKind.CORRECTION, NOW) is None
    stale = _view(request_id="stale", state=PrivacyRequestState.RECEIVED, acknowledged=False)
    assert blocking([stale], PrivacyRequestKind.ACCESS, NOW + timedelta(hours=1)) is stale
    assert blocking([stale], PrivacyRequestKind.ACCESS, NOW + timedelta(days=1)) is None


async def test_a_request_whose_receipt_was_never_seen_is_not_shown_rather_than_broken(
    gw: Harness,
) -> None:
    # A brand-new gateway database reading allwan.privacy after the receipt expired from it.
    await deliver(gw.gateway, completed("r-old", "cust-1"), 5)
    async with gw.client() as http:
        one = await http.get(
            "/v1/customers/cust-1/privacy-requests/r-old", headers=gw.customer("cust-1")
        )
        queue = await http.get("/v1/staff/privacy-requests?state=completed", headers=gw.staff())

    assert one.status_code == 404
    assert queue.status_code == 200
    assert queue.json()["requests"] == []
