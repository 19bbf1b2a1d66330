"""The accountability part of the privacy service's wiring: the retention schedule and its
job over the customers' activity, the disclosure ledger over the recipient registry, and the
breach register (``bootstrap`` builds them with the rest of the service)."""

from __future__ import annotations

from dataclasses import dataclass

from allwan_contracts.breaches import BREACH_EVENTS
from allwan_contracts.customers import CustomerErased
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.orders import ORDER_EVENTS
from allwan_runtime.handlers import Handlers
from allwan_runtime.lease import SlotLease
from allwan_runtime.periodic import PeriodicTask
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.repository import AggregateRepository
from allwan_runtime.service import ServiceRuntime

from allwan_privacy.adapters.accountability_metrics import BreachMetrics, DisclosureMetrics
from allwan_privacy.adapters.activity import MongoActivity, record_erasure, record_order
from allwan_privacy.adapters.breaches import (
    BreachProjection,
    MongoAffected,
    MongoRegister,
    project_breach,
)
from allwan_privacy.adapters.confirmations import MongoOverdueNotices
from allwan_privacy.adapters.ledger import MongoLedger
from allwan_privacy.adapters.recorded import StoredEvents
from allwan_privacy.adapters.registry import load_registry
from allwan_privacy.adapters.schedule import load_schedule
from allwan_privacy.domain.breach import Breach
from allwan_privacy.handlers.accountability_ports import BreachDeps, LedgerDeps
from allwan_privacy.handlers.breaches import BreachWatch, watch_breaches
from allwan_privacy.handlers.disclosures import keep_disclosure
from allwan_privacy.handlers.ports import Activity
from allwan_privacy.handlers.retention import RetentionService
from allwan_privacy.settings import PrivacySettings


@dataclass(frozen=True)
class RetentionJob:
    """The retention schedule at work: the customers' activity (the ``activity`` consumer
    group's read model), the periodic job and the lease that gives it to one replica."""

    activity: MongoActivity
    consumer: Handlers[MongoActivity]
    task: PeriodicTask
    lease: SlotLease

    async def start(self) -> None:
        await self.task.start()

    async def stop(self) -> None:
        """The job stops between two customers; the lease goes to another replica."""
        await self.task.stop()
        await self.lease.release()


def retention(
    runtime: ServiceRuntime, settings: PrivacySettings
) -> tuple[RetentionService, RetentionJob]:
    """The retention schedule, validated (a bad one stops the service here, P3), its job
    over the customers' activity, and the consumer that keeps that activity: order events from
    the orders service only, erasures from the consent service only."""
    me, db = settings.service_name, runtime.db
    schedule = load_schedule(settings.retention_schedule, export_days=settings.export_days)
    activity = MongoActivity(db)
    consumer = Handlers(activity)
    consumer.on_each(ORDER_EVENTS, record_order, producers={settings.orders_producer})
    consumer.on(CustomerErased, record_erasure, producers={settings.consent_producer})
    # Slots as long as the interval: whichever replica looks first in a slot runs the job.
    lease = SlotLease(db, "retention", runtime.replica, settings.retention_lease_s)
    service = RetentionService(schedule, activity, runtime.store, me, lease)

    async def job() -> object:
        return await service.run(task.stopping)

    task = PeriodicTask(f"{me}-retention", job, settings.retention_check_interval_s)
    return service, RetentionJob(activity, consumer, task, lease)


@dataclass(frozen=True)
class Registers:
    """The disclosure ledger and the breach register: what their handlers and the internal API
    use, their consumers (``disclosures``, ``breach-views``) and the breach job."""

    ledger: LedgerDeps
    breaches: BreachDeps
    disclosures: Handlers[LedgerDeps]
    breach_views: Handlers[BreachProjection]
    breach_projection: BreachProjection
    affected: MongoAffected
    task: PeriodicTask
    lease: SlotLease
    metrics: BreachMetrics

    async def start(self) -> None:
        await self.affected.ensure_indexes()
        await self.task.start()

    async def stop(self) -> None:
        await self.task.stop()
        await self.lease.release()


def ledger(runtime: ServiceRuntime, settings: PrivacySettings) -> LedgerDeps:
    """The disclosure ledger over the recipient registry, checked here: a registry that does
    not validate stops the service (D1-D3)."""
    return LedgerDeps(
        ledger=MongoLedger(runtime.db),
        registry=load_registry(settings.recipients_file),
        recorder=EventRecorder(runtime.store, settings.service_name),
        recorded=StoredEvents(runtime.store),
        unknown_recipient=DisclosureMetrics().unknown_recipient,
    )


def disclosure_handlers(settings: PrivacySettings, ledger: LedgerDeps) -> Handlers[LedgerDeps]:
    """Disclosures, taken only from the services that disclose and from this one (legal
    disclosures recorded by staff)."""
    disclosures = Handlers(ledger, producers=settings.disclosing_producers())
    disclosures.on(DataDisclosed, keep_disclosure)
    return disclosures


def registers(
    runtime: ServiceRuntime, settings: PrivacySettings, ledger: LedgerDeps, activity: Activity
) -> Registers:
    """The breach register beside the ledger; the ledger takes disclosures only from the
    services that disclose (and this one's legal disclosures), the register's read model only
    this service's own breach events."""
    me, db = settings.service_name, runtime.db
    affected, register = MongoAffected(db), MongoRegister(db)
    breaches = BreachDeps(
        breaches=AggregateRepository(runtime.store, Breach, me),
        recorder=ledger.recorder,
        recorded=ledger.recorded,
        affected=affected,
        activity=activity,
        register=register,
        controller=settings.controller_name,
        contact_email=settings.privacy_contact_email,
    )
    disclosures = disclosure_handlers(settings, ledger)
    projection = BreachProjection(db, me)
    views = Handlers(projection)
    views.on_each(BREACH_EVENTS, project_breach)
    lease = SlotLease(db, "breaches", runtime.replica, settings.deadline_lease_s)
    metrics = BreachMetrics()
    watch = BreachWatch(register, MongoOverdueNotices(db), lease, metrics.report, breaches.clock)
    task = PeriodicTask(
        f"{me}-breaches", lambda: watch_breaches(watch), settings.deadline_check_interval_s
    )
    return Registers(
        ledger, breaches, disclosures, views, projection, affected, task, lease, metrics
    )
