"""Builds the privacy service: its adapters, the handlers' ``Deps``, one ``Handlers`` registry
per consumer group (``entrypoints.app`` registers them), the deadline job, and the disclosure
ledger and breach register (``Registers``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from allwan_contracts.privacy import (
    PRIVACY_REQUEST_EVENTS,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestConfirmed,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestSubmitted,
)
from allwan_contracts.privacy_replies import (
    CorrectionApplied,
    CustomerDataExported,
    ErasureConfirmed,
)
from allwan_runtime.handlers import Handlers
from allwan_runtime.keystore import LazyKeyStore, Purpose
from allwan_runtime.lease import SlotLease
from allwan_runtime.metrics import setup_metrics
from allwan_runtime.periodic import PeriodicTask
from allwan_runtime.repository import AggregateRepository
from allwan_runtime.service import ServiceRuntime

from allwan_privacy.adapters.confirmations import MongoConfirmations, MongoOverdueNotices
from allwan_privacy.adapters.export_html import ExportPage
from allwan_privacy.adapters.exports import MongoExports, MongoParts
from allwan_privacy.adapters.metrics import RequestMetrics
from allwan_privacy.adapters.queries import RequestQueries
from allwan_privacy.adapters.read_models import RequestProjection, project_request
from allwan_privacy.adapters.slots import MongoSlots
from allwan_privacy.bootstrap.accountability import (
    Registers,
    RetentionJob,
    ledger,
    registers,
    retention,
)
from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.clock import Clock, watch_deadlines
from allwan_privacy.handlers.disclosures import LedgerReader
from allwan_privacy.handlers.intake import (
    cancel_request,
    confirm_erasure,
    deny_request,
    extend_request,
    receive_request,
)
from allwan_privacy.handlers.ports import Deps
from allwan_privacy.handlers.replies import (
    keep_part,
    record_correction,
    record_erasure_confirmation,
)
from allwan_privacy.handlers.retention import RetentionService
from allwan_privacy.settings import PrivacySettings

PURPOSES = (Purpose.DATA_ACCESS,)
"""C4: the privacy service opens personal data only to answer the customer's own access
request (the parts it assembles, the export it serves)."""


@dataclass(frozen=True)
class Consumers:
    """Each consumer group's handlers, by event class."""

    intake: Handlers[Deps]
    replies: Handlers[Deps]
    read_models: Handlers[RequestProjection]


def intake_handlers(settings: PrivacySettings, deps: Deps) -> Handlers[Deps]:
    """Requests, obeyed only from the services that record them (S1): the gateway, and the
    consent service for what customers send on WhatsApp. A handler that lost a race for a
    request runs again."""
    requesting = settings.requesting_services()
    intake = Handlers(deps, producers={settings.gateway_producer}, retry_conflicts=True)
    intake.on(PrivacyRequestSubmitted, receive_request, producers=requesting)
    intake.on(PrivacyRequestConfirmed, confirm_erasure, producers=requesting)
    intake.on(PrivacyRequestCancellationRequested, cancel_request)
    intake.on(PrivacyRequestExtensionRequested, extend_request)
    intake.on(PrivacyRequestDenialRequested, deny_request)
    return intake


def reply_handlers(settings: PrivacySettings, deps: Deps) -> Handlers[Deps]:
    """Answers, taken only from the services a request waits for."""
    replies = Handlers(deps, producers=settings.answering_services(), retry_conflicts=True)
    replies.on(CustomerDataExported, keep_part)
    replies.on(CorrectionApplied, record_correction)
    replies.on(ErasureConfirmed, record_erasure_confirmation)
    return replies


def consumers(settings: PrivacySettings, deps: Deps, projection: RequestProjection) -> Consumers:
    """Every handler for its event class, one registry per consumer group."""
    # The projection skips other producers' events itself: ``rebuild`` calls it too.
    read_models = Handlers(projection)
    read_models.on_each(PRIVACY_REQUEST_EVENTS, project_request)
    return Consumers(intake_handlers(settings, deps), reply_handlers(settings, deps), read_models)


@dataclass(frozen=True)
class PrivacyService:
    """The privacy service's adapters, handlers and deadline job, ready for ``entrypoints``."""

    settings: PrivacySettings
    runtime: ServiceRuntime
    secrets: LazyKeyStore
    deps: Deps
    projection: RequestProjection
    queries: RequestQueries
    consumers: Consumers
    exports: MongoExports
    lease: SlotLease
    deadlines: PeriodicTask
    metrics: RequestMetrics
    retention: RetentionService
    retention_job: RetentionJob
    registers: Registers

    async def start(self) -> None:
        """At every start: fail fast without keys, indexes, then the deadline job."""
        self.secrets.check()
        await self.queries.ensure_indexes()
        await self.exports.ensure_indexes()
        await self.deadlines.start()
        await self.retention_job.start()
        await self.registers.start()

    async def stop(self) -> None:
        """The deadline job stops after its current look; the lease goes to another replica."""
        await self.deadlines.stop()
        await self.lease.release()
        await self.retention_job.stop()
        await self.registers.stop()


def bootstrap(runtime: ServiceRuntime, settings: PrivacySettings) -> PrivacyService:
    """The service on the real adapters of ``runtime``."""
    setup_metrics(settings.service_name)
    me, db = settings.service_name, runtime.db
    secrets = runtime.keystore(PURPOSES)
    queries, exports = RequestQueries(db), MongoExports(db)
    disclosed = ledger(runtime, settings)
    deps = Deps(
        requests=AggregateRepository(runtime.store, PrivacyRequest, me),
        secrets=secrets,
        slots=MongoSlots(db),
        parts=MongoParts(db),
        exports=exports,
        confirmations=MongoConfirmations(db),
        customers=queries,
        renderer=ExportPage(),
        disclosures=LedgerReader(disclosed),
        expected=settings.expected_services(),
        export_days=settings.export_days,
        erasure_grace=timedelta(seconds=settings.erasure_grace_s),
        contact_owner=settings.contact_owner,
    )
    projection = RequestProjection(db, me)
    # Under a stable ALLWAN_INSTANCE_ID a restarted replica keeps looking at once.
    lease = SlotLease(db, "deadlines", runtime.replica, settings.deadline_lease_s)
    metrics = RequestMetrics()
    clock = Clock(deps, queries, MongoOverdueNotices(db), lease, metrics.report)
    task = PeriodicTask(
        f"{me}-deadlines", lambda: watch_deadlines(clock), settings.deadline_check_interval_s
    )
    kept, retention_job = retention(runtime, settings)
    return PrivacyService(
        settings=settings,
        runtime=runtime,
        secrets=secrets,
        deps=deps,
        projection=projection,
        queries=queries,
        consumers=consumers(settings, deps, projection),
        exports=exports,
        lease=lease,
        deadlines=task,
        metrics=metrics,
        retention=kept,
        retention_job=retention_job,
        registers=registers(runtime, settings, disclosed, retention_job.activity),
    )
