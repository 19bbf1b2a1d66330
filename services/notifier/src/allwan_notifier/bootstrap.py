"""Builds the real adapters, the handlers' ``Deps`` and one ``Handlers`` registry per consumer
group (``entrypoints/app.py`` registers them); the unit tests bind fakes to the same handlers."""

from __future__ import annotations

from dataclasses import dataclass

from allwan_contracts import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerContactChanged,
    CustomerErased,
    OrderPlaced,
    PolicyChanged,
    PolicyDocumentPublished,
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestExtended,
    PrivacyRequestReceived,
    PrivacyRequestStarted,
    SubscriptionActivated,
)
from allwan_contracts.breaches import BreachNoticeRequested
from allwan_contracts.fields import utc_now
from allwan_contracts.retention import RetentionNoticeRequested
from allwan_runtime.dispatch import RetryPolicy
from allwan_runtime.handlers import Handlers
from allwan_runtime.keystore import LazyKeyStore, Purpose
from allwan_runtime.lease import SlotLease
from allwan_runtime.metrics import setup_metrics
from allwan_runtime.periodic import PeriodicTask
from allwan_runtime.service import ServiceRuntime

from allwan_notifier.adapters.address_book import MongoAddressBook
from allwan_notifier.adapters.jobs import MongoJobs
from allwan_notifier.adapters.ledger import MongoLedger
from allwan_notifier.adapters.metrics import EmailMetrics
from allwan_notifier.adapters.parked import MongoParkedLetters
from allwan_notifier.adapters.queries import LedgerQueries
from allwan_notifier.adapters.records import Records
from allwan_notifier.adapters.smtp import Pacer, SmtpConfig, SmtpSender
from allwan_notifier.adapters.templates import Templates
from allwan_notifier.domain.marketing import Campaign
from allwan_notifier.domain.ratelimit import TokenBucket
from allwan_notifier.handlers.book import (
    forget_customer,
    record_consent,
    remember_contact_change,
    remember_order_contact,
)
from allwan_notifier.handlers.fanout import Fanout, run_fanouts
from allwan_notifier.handlers.marketing import Refusal, request_campaign
from allwan_notifier.handlers.notices import notify_breach, warn_of_retention
from allwan_notifier.handlers.parked import send_waiting_letters, skip_overdue
from allwan_notifier.handlers.policies import keep_policy_contact, schedule_policy_notice
from allwan_notifier.handlers.ports import Deps
from allwan_notifier.handlers.privacy_mail import (
    acknowledge_request,
    announce_completion,
    announce_denial,
    announce_erasure,
    announce_extension,
)
from allwan_notifier.handlers.privacy_replies import export_emails
from allwan_notifier.handlers.transactional import (
    confirm_withdrawal,
    send_activation,
    send_receipt,
)
from allwan_notifier.settings import NotifierSettings

PURPOSES = (
    Purpose.POLICY_NOTICES,
    Purpose.ORDER_RECEIPTS,
    Purpose.CONSENT_NOTICES,
    Purpose.MARKETING,
    Purpose.DATA_ACCESS,
    # Breach notices (S2) and retention notices (PDPL): the law, not the customer's order or
    # consent, is why these reach them.
    Purpose.LEGAL_OBLIGATION,
)
"""C4: the notifier opens an email only to send a message of one of these purposes
(``DATA_ACCESS``: the emails about the customer's own privacy requests)."""


@dataclass
class NotifierService:
    """The notifier's handlers by consumer group, its adapters and its fan-out worker."""

    settings: NotifierSettings
    secrets: LazyKeyStore
    book: MongoAddressBook
    ledger: MongoLedger
    parked: MongoParkedLetters
    jobs: MongoJobs
    queries: LedgerQueries
    sender: SmtpSender
    deps: Deps
    lease: SlotLease
    worker: PeriodicTask
    sweeper: PeriodicTask
    book_handlers: Handlers[Deps]
    policy_handlers: Handlers[Deps]
    mail_handlers: Handlers[Deps]
    privacy_handlers: Handlers[Deps]

    async def start(self) -> None:
        """The keys (missing ones stop the service now, not at its first message), indexes,
        then the fan-out worker (it resumes any job a previous process left) and the sweep of
        privacy letters that waited too long for an address."""
        self.secrets.check()
        await self.book.ensure_indexes()
        await self.ledger.ensure_indexes()
        await self.parked.ensure_indexes()
        await self.worker.start()
        await self.sweeper.start()

    async def stop(self) -> None:
        """The worker stops between two messages; the lease goes to the next replica."""
        await self.sweeper.stop()
        await self.worker.stop()
        await self.lease.release()

    async def close(self) -> None:
        await self.sender.close()

    async def request_campaign(self, campaign: Campaign) -> bool:
        """The staff trigger of a marketing campaign (K2); see ``handlers.marketing``."""
        return await request_campaign(campaign, self.deps)


def bootstrap(runtime: ServiceRuntime, settings: NotifierSettings) -> NotifierService:
    """The service on the real adapters of ``runtime``."""
    setup_metrics(settings.service_name)
    db = runtime.db
    secrets = runtime.keystore(PURPOSES)
    book, ledger, jobs = MongoAddressBook(db), MongoLedger(db), MongoJobs(db)
    parked = MongoParkedLetters(db)
    sender = smtp_sender(settings)
    # The policy handler wakes the worker, and the worker sends with the handlers' deps: its
    # job names ``fanout`` (made below) only when it runs.
    worker = PeriodicTask(
        f"{settings.service_name}-fanout",
        lambda: run_fanouts(fanout, worker.stopping),
        settings.fanout_poll_interval_s,
    )
    deps = Deps(
        book=book,
        ledger=ledger,
        parked=parked,
        jobs=jobs,
        secrets=secrets,
        replies=Records(runtime.store, settings.service_name),
        renderer=Templates(),
        sender=sender,
        metrics=EmailMetrics(),
        contact=settings.contact(),
        withdraw_url=settings.withdraw_url,
        privacy_url=settings.privacy_page_url,
        service=settings.service_name,
        mail_domain=settings.message_id_domain,
        default_locale=settings.default_locale,
        smtp_recipient=settings.smtp_recipient,
        clock=utc_now,
        wake=worker.wake,
    )
    # Under a stable ALLWAN_INSTANCE_ID a restarted notifier resumes its fan-out at once.
    lease = SlotLease(db, "fanout", runtime.replica, settings.fanout_lease_s)
    fanout = Fanout(
        deps=deps,
        lease=lease,
        refusal=Refusal(settings.unsubscribe_url, settings.unsubscribe_mailbox),
        lanes=settings.fanout_lanes,
        retry=RetryPolicy(
            initial_s=settings.send_backoff_initial_s, max_s=settings.send_backoff_max_s
        ),
        progress_interval_s=settings.fanout_progress_interval_s,
    )
    orders, consent = {settings.orders_producer}, {settings.consent_producer}
    privacy = {settings.privacy_producer}
    return NotifierService(
        settings=settings,
        secrets=secrets,
        book=book,
        ledger=ledger,
        parked=parked,
        jobs=jobs,
        queries=LedgerQueries(ledger, jobs),
        sender=sender,
        deps=deps,
        lease=lease,
        worker=worker,
        sweeper=PeriodicTask(
            f"{settings.service_name}-parked",
            lambda: skip_overdue(deps),
            settings.parked_sweep_interval_s,
        ),
        book_handlers=address_book(deps, orders=orders, consent=consent),
        policy_handlers=policies(deps, consent=consent),
        mail_handlers=mail(deps, orders=orders, consent=consent, privacy=privacy),
        privacy_handlers=privacy_requests(deps, privacy=privacy),
    )


def address_book(deps: Deps, *, orders: set[str], consent: set[str]) -> Handlers[Deps]:
    """Where to write to each customer, in which language, and whether marketing may."""
    handlers = Handlers(deps)
    handlers.on(OrderPlaced, remember_order_contact, producers=orders)
    handlers.on(CustomerContactChanged, remember_contact_change, producers=orders)
    handlers.on(ConsentGranted, record_consent, producers=consent)
    handlers.on(ConsentWithdrawn, record_consent, producers=consent)
    handlers.on(ConsentReconfirmationRequired, record_consent, producers=consent)
    handlers.on(CustomerErased, forget_customer, producers=consent)
    return handlers


def policies(deps: Deps, *, consent: set[str]) -> Handlers[Deps]:
    """Each version's contact (CT1); a material change's notice (PC2)."""
    handlers = Handlers(deps, producers=consent)
    handlers.on(PolicyDocumentPublished, keep_policy_contact)
    handlers.on(PolicyChanged, schedule_policy_notice)
    return handlers


def mail(deps: Deps, *, orders: set[str], consent: set[str], privacy: set[str]) -> Handlers[Deps]:
    """Transactional mail: receipts, activations, withdrawal confirmations (K3), each step
    of a privacy request (PDPL), breach notices (S2) and retention notices (PDPL). An order or
    a contact change also sends the privacy letters parked until the customer's address was
    known (``handlers.parked``): here, not in the address book's group, which never waits
    on the SMTP server."""
    handlers = Handlers(deps)
    handlers.on(OrderPlaced, send_receipt, producers=orders)
    handlers.on(CustomerContactChanged, send_waiting_letters, producers=orders)
    handlers.on(SubscriptionActivated, send_activation, producers=orders)
    handlers.on(ConsentWithdrawn, confirm_withdrawal, producers=consent)
    handlers.on(PrivacyRequestReceived, acknowledge_request, producers=privacy)
    handlers.on(PrivacyRequestExtended, announce_extension, producers=privacy)
    handlers.on(PrivacyRequestStarted, announce_erasure, producers=privacy)
    handlers.on(PrivacyRequestCompleted, announce_completion, producers=privacy)
    handlers.on(PrivacyRequestDenied, announce_denial, producers=privacy)
    handlers.on(BreachNoticeRequested, notify_breach, producers=privacy)
    handlers.on(RetentionNoticeRequested, warn_of_retention, producers=privacy)
    return handlers


def privacy_requests(deps: Deps, *, privacy: set[str]) -> Handlers[Deps]:
    """PDPL access: the customer's emails as the notifier's part of their export. A group
    apart from mail, so an SMTP outage never holds up an answer."""
    handlers = Handlers(deps, producers=privacy)
    handlers.on(PrivacyRequestStarted, export_emails)
    return handlers


def smtp_sender(settings: NotifierSettings) -> SmtpSender:
    """The SMTP connections, paced by the token bucket every message shares."""
    config = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_s=settings.smtp_timeout_s,
        mail_from=settings.mail_from,
        connections=settings.smtp_connections,
    )
    return SmtpSender(config, Pacer(TokenBucket(settings.send_rate_per_s, settings.send_burst)))
