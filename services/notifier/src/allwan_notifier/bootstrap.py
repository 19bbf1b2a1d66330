"""Builds the real adapters and binds them to the handlers (the unit tests bind fakes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from functools import partial
from typing import Any

from allwan_contracts.fields import utc_now
from allwan_runtime.dispatch import Handler
from allwan_runtime.guards import only_from
from allwan_runtime.keystore import KeyStore, Purpose
from allwan_runtime.metrics import setup_metrics
from allwan_runtime.service import ServiceRuntime

from allwan_notifier.adapters.address_book import MongoAddressBook
from allwan_notifier.adapters.jobs import MongoJobs
from allwan_notifier.adapters.lease import SlotLease
from allwan_notifier.adapters.ledger import MongoLedger
from allwan_notifier.adapters.metrics import EmailMetrics
from allwan_notifier.adapters.queries import LedgerQueries
from allwan_notifier.adapters.smtp import Pacer, SmtpConfig, SmtpSender
from allwan_notifier.adapters.templates import Templates
from allwan_notifier.adapters.worker import Worker
from allwan_notifier.domain.marketing import Campaign
from allwan_notifier.domain.ratelimit import TokenBucket
from allwan_notifier.handlers.book import (
    forget_customer,
    record_consent,
    remember_contact_change,
    remember_order_contact,
)
from allwan_notifier.handlers.deliver import Post
from allwan_notifier.handlers.fanout import Backoff, Fanout, run_fanouts
from allwan_notifier.handlers.marketing import Refusal, request_campaign
from allwan_notifier.handlers.policies import keep_policy_contact, schedule_policy_notice
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
)
"""C4: the notifier opens an email only to send a message of one of these purposes."""

Handlers = dict[str, Handler]


@dataclass
class NotifierService:
    """The notifier's handlers by consumer, its adapters and its fan-out worker."""

    settings: NotifierSettings
    secrets: KeyStore
    book: MongoAddressBook
    ledger: MongoLedger
    jobs: MongoJobs
    queries: LedgerQueries
    sender: SmtpSender
    post: Post
    fanout: Fanout
    lease: SlotLease
    worker: Worker
    book_handlers: Handlers
    policy_handlers: Handlers
    mail_handlers: Handlers

    async def start(self) -> None:
        """Indexes, then the fan-out worker (it resumes any job a previous process left)."""
        await self.book.ensure_indexes()
        await self.ledger.ensure_indexes()
        await self.worker.start()

    async def stop(self) -> None:
        """The worker stops between two messages; the lease goes to the next replica."""
        await self.worker.stop()
        await self.lease.release()

    async def close(self) -> None:
        await self.sender.close()

    async def request_campaign(self, campaign: Campaign) -> bool:
        """The staff trigger of a marketing campaign (K2); see ``handlers.marketing``."""
        return await request_campaign(
            campaign,
            jobs=self.jobs,
            contact=self.settings.contact(),
            clock=utc_now,
            wake=self.worker.wake,
        )


def _obey(producer: str, handler: Callable[..., Awaitable[None]], **deps: Any) -> Handler:
    """``handler`` bound to its dependencies, called only for records of ``producer``."""
    producers: Collection[str] = (producer,)
    return only_from(producers, partial(handler, **deps))


def bootstrap(runtime: ServiceRuntime, settings: NotifierSettings) -> NotifierService:
    """Bind every handler to the real adapters of ``runtime``."""
    setup_metrics(settings.service_name)
    name, db = settings.service_name, runtime.db
    secrets = runtime.keystore(PURPOSES)
    book, ledger, jobs = MongoAddressBook(db), MongoLedger(db), MongoJobs(db)
    sender = SmtpSender(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout_s=settings.smtp_timeout_s,
            mail_from=settings.mail_from,
            connections=settings.smtp_connections,
        ),
        Pacer(TokenBucket(settings.send_rate_per_s, settings.send_burst)),
    )
    post = Post(
        ledger=ledger,
        book=book,
        secrets=secrets,
        renderer=Templates(),
        sender=sender,
        metrics=EmailMetrics(),
        mail_domain=settings.message_id_domain,
        default_locale=settings.default_locale,
    )
    # Under a stable ALLWAN_INSTANCE_ID a restarted notifier resumes its fan-out at once.
    lease = SlotLease(db, "fanout", runtime.replica, settings.fanout_lease_s)
    fanout = Fanout(
        jobs=jobs,
        post=post,
        lease=lease,
        refusal=Refusal(settings.unsubscribe_url, settings.unsubscribe_mailbox),
        lanes=settings.smtp_connections,
        backoff=Backoff(settings.send_backoff_initial_s, settings.send_backoff_max_s),
        progress_interval_s=settings.fanout_progress_interval_s,
    )
    worker = Worker(f"{name}-fanout", partial(run_fanouts, fanout), settings.fanout_poll_interval_s)
    orders, consent, contact = (
        settings.orders_producer,
        settings.consent_producer,
        settings.contact(),
    )
    return NotifierService(
        settings=settings,
        secrets=secrets,
        book=book,
        ledger=ledger,
        jobs=jobs,
        queries=LedgerQueries(ledger, jobs),
        sender=sender,
        post=post,
        fanout=fanout,
        lease=lease,
        worker=worker,
        book_handlers={
            "OrderPlaced": _obey(orders, remember_order_contact, book=book),
            "CustomerContactChanged": _obey(orders, remember_contact_change, book=book),
            "ConsentGranted": _obey(consent, record_consent, book=book),
            "ConsentWithdrawn": _obey(consent, record_consent, book=book),
            "ConsentReconfirmationRequired": _obey(consent, record_consent, book=book),
            "CustomerErased": _obey(consent, forget_customer, book=book),
        },
        policy_handlers={
            "PolicyDocumentPublished": _obey(consent, keep_policy_contact, jobs=jobs),
            "PolicyChanged": _obey(
                consent,
                schedule_policy_notice,
                jobs=jobs,
                fallback_contact=contact,
                withdrawal_for=settings.withdrawal,
                clock=utc_now,
                wake=worker.wake,
            ),
        },
        mail_handlers={
            "OrderPlaced": _obey(orders, send_receipt, post=post, contact=contact),
            "SubscriptionActivated": _obey(orders, send_activation, post=post, contact=contact),
            "ConsentWithdrawn": _obey(
                consent,
                confirm_withdrawal,
                post=post,
                contact=contact,
                withdrawal=settings.withdrawal(),
            ),
        },
    )
