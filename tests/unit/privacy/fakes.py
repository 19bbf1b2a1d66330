"""The privacy service's own stores in memory (the runtime has in-memory event and key stores,
not these), a clock the tests move, and builders of the service's inputs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from allwan_contracts import Channel, Envelope, Event, new_envelope
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.privacy import (
    ContactChanges,
    IdentityCheck,
    PrivacyRequestKind,
)
from allwan_contracts.privacy_export import (
    ConsentsPart,
    EmailsPart,
    ExportConsent,
    ExportContact,
    ExportCookiePreference,
    ExportEmail,
    ExportOrder,
    ExportStatusChange,
    OrdersPart,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestConfirmed,
    PrivacyRequestSubmitted,
)
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
    CustomerDataExported,
    ErasureConfirmed,
    ExportPartName,
    reply_id,
)
from allwan_contracts.sealed import (
    SealedDocument,
)
from allwan_privacy.domain.breach import Breach
from allwan_privacy.domain.breach_rules import RegisteredBreach
from allwan_privacy.domain.disclosures import Page, id_at, page, position
from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.ports import Slot, StoredExport, StoredPart
from allwan_runtime.keystore import InMemoryKeyStore
from allwan_runtime.memory import InMemoryEventStore
from allwan_runtime.recorder import EventRecorder

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CUSTOMER = "cust-1"


class MovableClock:
    """The time, as the tests set it."""

    def __init__(self, now: datetime = WHEN) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FakeSlots:
    """``handlers.ports.Slots`` in a dict."""

    def __init__(self) -> None:
        self.slots: dict[tuple[str, PrivacyRequestKind], Slot] = {}

    async def claim(
        self, customer_id: str, kind: PrivacyRequestKind, request_id: str, at: datetime
    ) -> Slot:
        return self.slots.setdefault((customer_id, kind), Slot(request_id, at))

    async def take_over(
        self, customer_id: str, kind: PrivacyRequestKind, held: Slot, request_id: str, at: datetime
    ) -> bool:
        if self.slots.get((customer_id, kind), held) != held:
            return False
        self.slots[(customer_id, kind)] = Slot(request_id, at)
        return True

    async def holder(self, customer_id: str, kind: PrivacyRequestKind) -> Slot | None:
        return self.slots.get((customer_id, kind))

    async def release(self, customer_id: str, kind: PrivacyRequestKind, request_id: str) -> None:
        held = self.slots.get((customer_id, kind))
        if held is not None and held.request_id == request_id:
            del self.slots[(customer_id, kind)]


class FakeParts:
    """``handlers.ports.Parts`` in a dict, first kept wins."""

    def __init__(self) -> None:
        self.parts: dict[tuple[str, str], StoredPart] = {}

    async def keep(self, request_id: str, customer_id: str, part: StoredPart) -> None:
        self.parts.setdefault((request_id, part.part_name), part)

    async def of(self, request_id: str) -> list[StoredPart]:
        return [part for (kept_for, _), part in self.parts.items() if kept_for == request_id]

    async def drop(self, request_id: str) -> None:
        self.parts = {key: part for key, part in self.parts.items() if key[0] != request_id}


class FakeExports:
    """``handlers.ports.Exports`` in a dict, first kept wins."""

    def __init__(self) -> None:
        self.exports: dict[str, StoredExport] = {}

    async def keep(self, export: StoredExport) -> StoredExport:
        return self.exports.setdefault(export.request_id, export)

    async def get(self, request_id: str) -> StoredExport | None:
        return self.exports.get(request_id)

    async def expired(self, now: datetime) -> list[str]:
        return [key for key, export in self.exports.items() if export.expires_at <= now]

    async def drop(self, request_id: str) -> None:
        self.exports.pop(request_id, None)


class FakeConfirmations:
    """``handlers.ports.Confirmations`` in a dict, first kept wins."""

    def __init__(self) -> None:
        self.confirmed: dict[tuple[str, str], datetime] = {}

    async def remember(self, customer_id: str, service: str, at: datetime) -> None:
        self.confirmed.setdefault((customer_id, service), at)

    async def of(self, customer_id: str, services: frozenset[str]) -> dict[str, datetime]:
        return {
            service: at
            for (customer, service), at in self.confirmed.items()
            if customer == customer_id and service in services
        }


class StoredRequests:
    """``handlers.ports.CustomerRequests`` read straight from the event store (the read model
    would be projected from the same events)."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self._store = store

    async def request_ids(self, customer_id: str) -> list[str]:
        return sorted(
            {
                envelope.aggregate_id
                for envelope in self._store.envelopes(PrivacyRequest.aggregate_type)
                if envelope.payload.get("customer_id") == customer_id
            }
        )


class FakeLedger:
    """``accountability_ports.Ledger`` in dicts, first kept wins; pages as the real one does
    (``domain.disclosures.page``)."""

    def __init__(self) -> None:
        self.kept: dict[str, DataDisclosed] = {}

    async def keep(self, disclosure: DataDisclosed) -> bool:
        if disclosure.disclosure_id in self.kept:
            return False
        self.kept[disclosure.disclosure_id] = disclosure
        return True

    async def positions(self, customer_id: str) -> list[str]:
        return [
            position(kept.at, kept.disclosure_id)
            for kept in self.kept.values()
            if kept.customer_id == customer_id
        ]

    async def page(self, customer_id: str, limit: int, cursor: str | None) -> Page:
        return page(await self.positions(customer_id), limit, cursor)

    async def at(self, positions: Sequence[str]) -> list[DataDisclosed]:
        return [self.kept[id_at(entry)] for entry in positions if id_at(entry) in self.kept]


class FakeOverdueLog:
    def __init__(self) -> None:
        self.noted: set[tuple[str, int]] = set()

    async def first_notice(self, request_id: str, day: int) -> bool:
        if (request_id, day) in self.noted:
            return False
        self.noted.add((request_id, day))
        return True


class FakeLease:
    def __init__(self, held: bool = True) -> None:
        self.held = held

    async def hold(self) -> bool:
        return self.held


def envelope(event: Event, producer: str = "gateway", version: int = 1) -> Envelope:
    return new_envelope(
        event, aggregate_version=version, producer=producer, correlation_id=uuid.uuid4()
    )


def new_id() -> str:
    return str(uuid.uuid4())


def submitted(
    kind: PrivacyRequestKind = PrivacyRequestKind.ACCESS,
    *,
    customer_id: str = CUSTOMER,
    request_id: str | None = None,
    channel: Channel = Channel.WEB,
    identity_check: IdentityCheck | None = IdentityCheck.CUSTOMER_TOKEN,
    changes: ContactChanges | None = None,
    by: str = "customer",
    at: datetime = WHEN,
) -> PrivacyRequestSubmitted:
    return PrivacyRequestSubmitted(
        request_id=request_id or new_id(),
        customer_id=customer_id,
        requested_by=by,
        kind=kind,
        channel=channel,
        identity_check=identity_check,
        changes=changes,
        submitted_at=at,
    )


def whatsapp_erasure(customer_id: str = CUSTOMER, at: datetime = WHEN) -> PrivacyRequestSubmitted:
    return submitted(
        PrivacyRequestKind.ERASURE,
        customer_id=customer_id,
        channel=Channel.WHATSAPP,
        identity_check=IdentityCheck.REGISTERED_PHONE,
        at=at,
    )


def confirmation(customer_id: str = CUSTOMER, at: datetime = WHEN) -> PrivacyRequestConfirmed:
    return PrivacyRequestConfirmed(
        request_id=new_id(), customer_id=customer_id, requested_by="customer", confirmed_at=at
    )


def orders_part() -> OrdersPart:
    return OrdersPart(
        contact=ExportContact(
            name="سارة <b>",
            email="sara@example.com",
            phone="+966563120415",
            billing_address="Riyadh",
        ),
        orders=[
            ExportOrder(
                order_id="ord-1",
                plan_id="shahid-vip-12m",
                quantity=1,
                status="active",
                amount_halalas=22_885,
                vat_halalas=2_985,
                placed_at=WHEN,
                history=[
                    ExportStatusChange(status="placed", at=WHEN),
                    ExportStatusChange(status="paid", at=WHEN + timedelta(minutes=2)),
                ],
            )
        ],
    )


def consents_part() -> ConsentsPart:
    return ConsentsPart(
        consents=[
            ExportConsent(
                purpose="marketing",
                change="granted",
                policy_version=1,
                channel="web",
                recorded_by="customer",
                at=WHEN,
                evidence={"ip_hmac": "ab" * 32},
            )
        ],
        cookie_preferences=[
            ExportCookiePreference(purpose="analytics_cookies", granted=False, since=WHEN)
        ],
    )


def emails_part() -> EmailsPart:
    return EmailsPart(emails=[ExportEmail(kind="receipt", at=WHEN, outcome="sent")])


PARTS: dict[str, tuple[ExportPartName, Any]] = {
    "orders": ("orders", orders_part),
    "consent": ("consents", consents_part),
    "notifier": ("emails", emails_part),
}
"""Each holding service, its part's name and a builder of a part with data in it."""


def exported(
    secrets: InMemoryKeyStore,
    request_id: str,
    service: str,
    *,
    customer_id: str = CUSTOMER,
    nothing_held: bool = False,
    at: datetime = WHEN,
) -> CustomerDataExported:
    """``service``'s answer to an access request, its part sealed as the service seals it."""
    part_name, build = PARTS[service]
    part = None
    if not nothing_held:
        sealed = secrets.seal_now(customer_id, EXPORT_PART_FIELD, build().model_dump_json())
        part = SealedDocument(**sealed.model_dump())
    return CustomerDataExported(
        reply_id=reply_id(request_id, service),
        request_id=request_id,
        customer_id=customer_id,
        service=service,
        part_name=part_name,
        part=part,
        nothing_held=nothing_held,
        exported_at=at,
    )


def erasure_confirmed(
    service: str, customer_id: str = CUSTOMER, at: datetime = WHEN
) -> ErasureConfirmed:
    return ErasureConfirmed(
        reply_id=reply_id(customer_id, service),
        customer_id=customer_id,
        service=service,
        confirmed_at=at,
    )


class FakeAffected:
    """``accountability_ports.AffectedCustomers`` in a dict of sets."""

    def __init__(self) -> None:
        self.affected: dict[str, set[str]] = {}

    async def keep(self, breach_id: str, customer_ids: Sequence[str]) -> int:
        kept = self.affected.setdefault(breach_id, set())
        kept.update(customer_ids)
        return len(kept)

    async def of(self, breach_id: str) -> list[str]:
        return sorted(self.affected.get(breach_id, set()))


class FakeActivity:
    """``handlers.ports.Activity``: orders placed, by customer and instant."""

    def __init__(self, orders: Sequence[tuple[str, datetime]] = ()) -> None:
        self.orders = list(orders)

    async def ordered_between(self, start: datetime, end: datetime) -> list[str]:
        return sorted({customer for customer, at in self.orders if start <= at < end})


class StoredRegister:
    """``accountability_ports.Register`` read straight from the event store (the read model
    is projected from the same events)."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self._store = store

    async def breaches(self) -> list[RegisteredBreach]:
        found = []
        for breach_id in await self._store.stream_ids(Breach.aggregate_type):
            breach = Breach.rehydrate(breach_id, self._store.events("breach", breach_id))
            if breach.opened is not None and breach.state is not None:
                found.append(
                    RegisteredBreach(
                        breach_id,
                        breach.state,
                        breach.opened.detected_at,
                        breach.opened.regulator_deadline,
                    )
                )
        return found


class CrashingRecorder:
    """An ``EventRecorder`` whose process dies after recording ``survives`` events."""

    def __init__(self, inner: EventRecorder, survives: int) -> None:
        self.inner = inner
        self.survives = survives

    async def first(
        self, event: Event, correlation_id: uuid.UUID, *, surely_new: bool = False
    ) -> bool:
        if self.survives <= 0:
            raise ConnectionError("the process died")
        self.survives -= 1
        return await self.inner.first(event, correlation_id, surely_new=surely_new)
