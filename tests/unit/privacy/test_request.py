"""The privacy request's rules on the aggregate alone, with the clock passed in (PDPL: 30 days,
one extension of up to 30 more before the first deadline, 24 h to confirm a WhatsApp erasure,
7 days to download an export)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from allwan_contracts import Channel, Sealed
from allwan_contracts.privacy import (
    ContactChanges,
    DenialReason,
    IdentityCheck,
    PrivacyRequestCancelled,
    PrivacyRequestCompleted,
    PrivacyRequestExtended,
    PrivacyRequestIdentityVerified,
    PrivacyRequestKind,
    PrivacyRequestReceived,
    PrivacyRequestStarted,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_privacy.domain import deadlines
from allwan_privacy.domain.errors import (
    AnswerRefused,
    CompletionRefused,
    ConfirmationRefused,
    ExtensionRefused,
    NotTheirRequest,
    RequestClosed,
    UnknownRequest,
    WorkStarted,
    WrongState,
)
from allwan_privacy.domain.request import PRIVACY_SERVICE, ExportStatus, PrivacyRequest
from allwan_runtime.keystore import InMemoryKeyStore

from tests.unit.privacy.fakes import WHEN

ACCESS, CORRECTION, ERASURE = (
    PrivacyRequestKind.ACCESS,
    PrivacyRequestKind.CORRECTION,
    PrivacyRequestKind.ERASURE,
)
SERVICES = frozenset({"orders", "consent", "notifier"})
DAY = timedelta(days=1)


def received(
    kind: PrivacyRequestKind = ACCESS,
    channel: Channel = Channel.WEB,
    check: IdentityCheck | None = IdentityCheck.CUSTOMER_TOKEN,
    changes: ContactChanges | None = None,
    at: datetime = WHEN,
) -> PrivacyRequest:
    request = PrivacyRequest("req-1")
    request.receive(
        customer_id="cust-1",
        kind=kind,
        channel=channel,
        by="customer",
        at=at,
        identity_check=check,
        changes=changes,
    )
    return request


def stored(request: PrivacyRequest) -> PrivacyRequest:
    """The request as the repository would load it from its stored events."""
    return PrivacyRequest.rehydrate(request.id, request.pending)


def in_progress(kind: PrivacyRequestKind = ACCESS) -> PrivacyRequest:
    changes = ContactChanges(email=_sealed()) if kind is CORRECTION else None
    return received(kind, changes=changes)


def _sealed() -> Sealed:
    return InMemoryKeyStore().seal_now("cust-1", "email", "new@example.com")


def test_a_web_request_is_received_verified_and_started_at_once_with_its_30_day_clock() -> None:
    request = received()

    received_event, verified, started = request.pending
    assert isinstance(received_event, PrivacyRequestReceived)
    assert received_event.due_at == WHEN + timedelta(days=30)
    assert not received_event.awaiting_confirmation
    assert isinstance(verified, PrivacyRequestIdentityVerified)
    assert verified.check is IdentityCheck.CUSTOMER_TOKEN
    assert isinstance(started, PrivacyRequestStarted)
    assert started.by == PRIVACY_SERVICE
    assert [(step.state, step.by) for step in stored(request).history] == [
        (State.RECEIVED, "customer"),
        (State.IDENTITY_VERIFIED, "customer"),
        (State.IN_PROGRESS, PRIVACY_SERVICE),
    ]


def test_receiving_the_same_request_again_records_nothing() -> None:
    request = stored(received())

    assert not request.receive(
        customer_id="cust-1", kind=ACCESS, channel=Channel.WEB, by="customer", at=WHEN
    )
    assert request.pending == ()


def test_a_whatsapp_erasure_waits_for_its_confirmation() -> None:
    request = received(ERASURE, Channel.WHATSAPP, IdentityCheck.REGISTERED_PHONE)

    [event] = request.pending
    assert isinstance(event, PrivacyRequestReceived)
    assert event.awaiting_confirmation
    assert request.state is State.RECEIVED


def test_a_whatsapp_access_request_starts_at_once_from_the_registered_phone() -> None:
    request = received(ACCESS, Channel.WHATSAPP, IdentityCheck.REGISTERED_PHONE)

    assert request.state is State.IN_PROGRESS


def test_a_request_without_an_identity_check_stays_received_until_verified_and_started() -> None:
    request = received(check=None)
    assert request.state is State.RECEIVED

    request.verify(IdentityCheck.CALLBACK, by="staff:7", at=WHEN + DAY)
    request.start(by=PRIVACY_SERVICE, at=WHEN + DAY)

    assert stored(request).state is State.IN_PROGRESS
    with pytest.raises(WrongState):
        request.verify(IdentityCheck.CALLBACK, by="staff:7", at=WHEN + DAY)


def test_work_starts_only_once_identity_is_verified() -> None:
    request = received(check=None)

    with pytest.raises(WrongState):
        request.start(by=PRIVACY_SERVICE, at=WHEN)


def test_a_correction_starts_with_its_changes_and_only_a_correction_has_them() -> None:
    changes = ContactChanges(email=_sealed())
    request = received(CORRECTION, changes=changes)

    started = request.pending[-1]
    assert isinstance(started, PrivacyRequestStarted)
    assert started.changes == changes
    with pytest.raises(WrongState):
        received(CORRECTION)
    with pytest.raises(WrongState):
        received(ACCESS, changes=changes)


@pytest.mark.parametrize("after", [timedelta(0), timedelta(hours=23, minutes=59)])
def test_a_whatsapp_erasure_confirmed_within_24_hours_starts(after: timedelta) -> None:
    asked = received(ERASURE, Channel.WHATSAPP, IdentityCheck.REGISTERED_PHONE)
    request = stored(asked)

    request.confirm(at=WHEN + after)

    verified, started = request.pending
    assert isinstance(verified, PrivacyRequestIdentityVerified)
    assert verified.check is IdentityCheck.REGISTERED_PHONE
    assert isinstance(started, PrivacyRequestStarted)
    history = PrivacyRequest.rehydrate(request.id, [*asked.pending, *request.pending])
    assert history.state is State.IN_PROGRESS
    assert not history.awaiting_confirmation


@pytest.mark.parametrize(
    "when", [WHEN + timedelta(hours=24, seconds=1), WHEN - timedelta(seconds=1)]
)
def test_a_confirmation_after_24_hours_or_before_the_request_is_refused(when: datetime) -> None:
    request = stored(received(ERASURE, Channel.WHATSAPP, IdentityCheck.REGISTERED_PHONE))

    with pytest.raises(ConfirmationRefused):
        request.confirm(at=when)
    assert request.pending == ()


def test_only_a_whatsapp_erasure_awaiting_confirmation_can_be_confirmed() -> None:
    with pytest.raises(ConfirmationRefused):
        stored(received(ERASURE)).confirm(at=WHEN)


def test_an_unconfirmed_erasure_is_cancelled_by_the_service_after_24_hours_and_its_grace() -> None:
    request = stored(received(ERASURE, Channel.WHATSAPP, IdentityCheck.REGISTERED_PHONE))
    deadline = WHEN + deadlines.CONFIRMATION_WINDOW + deadlines.CONFIRMATION_GRACE

    assert not request.expire_unconfirmed(deadline)
    assert request.expire_unconfirmed(deadline + timedelta(seconds=1))

    [cancelled] = request.pending
    assert isinstance(cancelled, PrivacyRequestCancelled)
    assert cancelled.by == PRIVACY_SERVICE
    assert not stored(received(ERASURE)).expire_unconfirmed(WHEN + 2 * DAY)


def test_an_extension_moves_the_deadline_once_by_at_most_30_days() -> None:
    request = stored(received())

    request.extend(30, "Records in several systems", by="staff:7", at=WHEN + 29 * DAY)

    [extended] = request.pending
    assert isinstance(extended, PrivacyRequestExtended)
    assert extended.extended_until == WHEN + timedelta(days=60)
    assert request.deadline == WHEN + timedelta(days=60)
    with pytest.raises(ExtensionRefused):
        request.extend(1, "Again", by="staff:7", at=WHEN + 29 * DAY)


@pytest.mark.parametrize("days", [0, 31])
def test_an_extension_is_1_to_30_days(days: int) -> None:
    with pytest.raises(ExtensionRefused):
        stored(received()).extend(days, "Reason", by="staff:7", at=WHEN)


def test_an_extension_is_refused_once_the_first_deadline_has_passed() -> None:
    request = stored(received())

    with pytest.raises(ExtensionRefused):
        request.extend(10, "Too late", by="staff:7", at=WHEN + timedelta(days=30))
    assert request.pending == ()


def test_a_request_past_its_deadline_is_overdue_by_started_days() -> None:
    request = stored(received())

    assert request.days_overdue(WHEN + timedelta(days=30)) == 0
    assert request.days_overdue(WHEN + timedelta(days=30, minutes=1)) == 1
    assert request.days_overdue(WHEN + timedelta(days=32)) == 2
    request.extend(5, "Reason", by="staff:7", at=WHEN + DAY)
    assert request.days_overdue(WHEN + timedelta(days=32)) == 0


def test_a_closed_request_is_never_overdue() -> None:
    request = stored(received())
    request.deny(DenialReason.MANIFESTLY_UNFOUNDED, None, by="staff:7", at=WHEN)

    assert request.days_overdue(WHEN + timedelta(days=90)) == 0


def test_a_request_is_denied_only_while_open() -> None:
    request = stored(received())
    request.deny(DenialReason.EXCESSIVE_OR_REPEATED, "Third in a week", by="staff:7", at=WHEN)

    assert request.state is State.DENIED
    with pytest.raises(RequestClosed):
        request.deny(DenialReason.EXCESSIVE_OR_REPEATED, None, by="staff:7", at=WHEN)
    with pytest.raises(RequestClosed):
        request.extend(5, "Reason", by="staff:7", at=WHEN)


def test_the_customer_cancels_only_before_work_starts() -> None:
    waiting = stored(received(check=None))
    waiting.cancel(by="customer", at=WHEN)
    assert waiting.state is State.CANCELLED

    with pytest.raises(WorkStarted):
        stored(received()).cancel(by="customer", at=WHEN)


def test_each_service_answers_once_and_only_services_the_request_waits_for() -> None:
    request = stored(in_progress())

    assert request.answer("orders", at=WHEN, expected=SERVICES)
    assert not request.answer("orders", at=WHEN, expected=SERVICES)
    with pytest.raises(AnswerRefused):
        request.answer("gateway", at=WHEN, expected=SERVICES)
    assert request.waiting_for(SERVICES) == {"consent", "notifier"}


def test_answers_are_taken_only_while_work_is_in_progress() -> None:
    with pytest.raises(WrongState):
        stored(received(check=None)).answer("orders", at=WHEN, expected=SERVICES)


def test_a_request_completes_only_when_every_expected_service_answered() -> None:
    request = stored(in_progress(ERASURE))
    request.answer("orders", at=WHEN, expected=SERVICES)

    with pytest.raises(CompletionRefused):
        request.complete(at=WHEN, expected=SERVICES)
    request.answer("consent", at=WHEN, expected=SERVICES)
    request.answer("notifier", at=WHEN, expected=SERVICES)
    assert request.complete(at=WHEN, expected=SERVICES)
    assert not request.complete(at=WHEN, expected=SERVICES)

    completed = request.pending[-1]
    assert isinstance(completed, PrivacyRequestCompleted)
    assert completed.export_expires_at is None


def test_an_access_request_and_only_one_completes_with_an_export() -> None:
    access, erasure = stored(in_progress()), stored(in_progress(ERASURE))
    expires = WHEN + timedelta(days=7)

    with pytest.raises(CompletionRefused):
        access.complete_for_erased(at=WHEN, export_expires_at=None)
    with pytest.raises(CompletionRefused):
        erasure.complete_for_erased(at=WHEN, export_expires_at=expires)
    assert access.complete_for_erased(at=WHEN, export_expires_at=expires)


def test_an_erased_customers_request_completes_at_start_and_access_whenever_found() -> None:
    assert stored(in_progress(ERASURE)).completes_for_erased(starting=True)
    assert not stored(in_progress(ERASURE)).completes_for_erased(starting=False)
    assert stored(in_progress(ACCESS)).completes_for_erased(starting=False)
    assert not stored(received(check=None)).completes_for_erased(starting=True)


def test_the_export_is_downloadable_for_7_days_by_its_customer_only() -> None:
    request = stored(in_progress())
    expires = deadlines.export_expiry(WHEN, 7)
    assert request.export_status("cust-1", WHEN) is ExportStatus.NOT_READY
    request.answer("orders", at=WHEN, expected={"orders"})
    request.complete(at=WHEN, expected={"orders"}, export_expires_at=expires)

    assert request.export_status("cust-1", WHEN + 6 * DAY) is ExportStatus.READY
    assert request.export_status("cust-2", WHEN + 6 * DAY) is ExportStatus.NONE
    assert request.export_status("cust-1", WHEN + 7 * DAY) is ExportStatus.GONE
    assert not request.destroy_export(WHEN + 7 * DAY - timedelta(seconds=1))
    assert request.destroy_export(WHEN + 7 * DAY)
    assert not request.destroy_export(WHEN + 8 * DAY)
    assert request.export_status("cust-1", WHEN) is ExportStatus.GONE


def test_requests_of_other_kinds_have_no_export() -> None:
    assert stored(in_progress(ERASURE)).export_status("cust-1", WHEN) is ExportStatus.NONE
    assert PrivacyRequest("nope").export_status("cust-1", WHEN) is ExportStatus.NONE


def test_commands_on_a_request_never_received_or_of_another_customer_are_refused() -> None:
    with pytest.raises(UnknownRequest):
        PrivacyRequest("nope").cancel(by="customer", at=WHEN)
    with pytest.raises(NotTheirRequest):
        stored(received()).check_customer("cust-2")
