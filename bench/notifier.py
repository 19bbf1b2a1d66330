"""Emails per second of a material policy change's fan-out, against raw aiosmtplib.

Both sides hand the same messages (the rendered notice, one per customer) to the same SMTP
server over the same number of connections. The raw side only sends pre-built messages. The
notifier's side is the real thing, timed from the moment ``PolicyChanged`` is on Kafka until
the job is done: consume, record the job, enumerate the audience into the ledger, and per
message read the address book, open the email through the key store, render, write
``sending``, send, write ``sent``. The token bucket is set far above both rates so that it
measures the machinery, not the configured pace (``send_rate_per_s`` in production).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

import aiosmtplib
from allwan_contracts import PolicyChanged, PolicyContact, PolicyDocumentPublished, new_envelope
from allwan_devstack import Endpoints
from allwan_notifier.adapters.address_book import MongoAddressBook
from allwan_notifier.adapters.mime import to_bytes
from allwan_notifier.adapters.templates import Templates
from allwan_notifier.domain.deliveries import Kind, delivery_id, message_id
from allwan_notifier.domain.mail import Mail
from allwan_notifier.domain.messages import PolicyNotice, Withdrawal
from allwan_notifier.domain.recipients import Address, Locale
from allwan_notifier.entrypoints.app import build
from allwan_notifier.settings import NotifierSettings
from allwan_runtime.kafka import idempotent_producer
from allwan_runtime.keystore import KeyStore, MasterKeyring, generate_master_key
from allwan_runtime.logs import setup_logging
from allwan_runtime.service import topic_for
from allwan_runtime.wire import message_headers, message_value
from pydantic import SecretStr
from pymongo import AsyncMongoClient

UNTHROTTLED = 1_000_000.0


def settings_for(servers: Endpoints, run: str, connections: int) -> NotifierSettings:
    return NotifierSettings(
        service_name=f"bench-notifier-{run}",
        kafka_topic_prefix=f"b{run}.",
        kafka_bootstrap=servers.kafka_bootstrap,
        mongo_url=SecretStr(servers.mongo_url),
        keys_db=f"bench_keys_{run}",
        master_keys=SecretStr(f"k1:{generate_master_key()}"),
        blind_index_key=SecretStr(generate_master_key()),
        orders_producer=f"bench-orders-{run}",
        consent_producer=f"bench-consent-{run}",
        smtp_host=servers.smtp_host,
        smtp_port=servers.smtp_port,
        smtp_tls="none",
        smtp_connections=connections,
        send_rate_per_s=UNTHROTTLED,
        send_burst=1000,
        fanout_poll_interval_s=0.1,
        fanout_progress_interval_s=1.0,
    )


def address(run: str, n: int) -> str:
    return f"b{n:06d}@{run}.bench.example.com"


def policy_events(version: int) -> tuple[PolicyDocumentPublished, PolicyChanged]:
    contact = PolicyContact(
        phone="0563120415", whatsapp="0563120415", email="privacy@allwanstores.com"
    )
    document = PolicyDocumentPublished(
        version=version,
        text_ar="سياسة الخصوصية",
        text_en="Privacy policy",
        contact=contact,
        published_by="staff:bench",
    )
    changed = PolicyChanged(
        version=version,
        effective_at=datetime.now(UTC),
        material=True,
        summary_ar="نحتفظ ببيانات الطلبات خمس سنوات بدلًا من ثلاث.",
        summary_en="We keep order data for five years instead of three.",
        url=f"https://allwanstores.com/privacy/v{version}",
    )
    return document, changed


def raw_messages(
    run: str, customers: int, settings: NotifierSettings, changed: PolicyChanged
) -> list[tuple[str, bytes]]:
    """The notices the notifier will send, built once, for the raw side."""
    contact = PolicyContact(
        phone="0563120415", whatsapp="0563120415", email="privacy@allwanstores.com"
    )
    notice = PolicyNotice.of(changed, contact, Withdrawal.of(contact, settings.withdraw_url))
    locales: tuple[Locale, ...] = ("ar", "en")
    rendered = {
        locale: Templates().render(notice.template, locale, notice.context(locale))
        for locale in locales
    }
    built = []
    for n in range(customers):
        locale: Locale = "ar" if n % 2 == 0 else "en"
        text = rendered[locale]
        mail = Mail(
            to=address(f"raw{run}", n),
            subject=text.subject,
            text=text.text,
            html=text.html,
            message_id=message_id(delivery_id(Kind.POLICY, 1, f"raw-{n}"), "allwanstores.com"),
            locale=locale,
            reply_to=contact.email,
        )
        built.append((mail.to, to_bytes(mail, settings.mail_from)))
    return built


async def raw(servers: Endpoints, messages: list[tuple[str, bytes]], connections: int) -> float:
    """Seconds for plain aiosmtplib to send every message over ``connections`` connections."""
    envelope_from = parseaddr(NotifierSettings().mail_from)[1]
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)

    async def lane() -> None:
        client = aiosmtplib.SMTP(
            hostname=servers.smtp_host, port=servers.smtp_port, start_tls=False
        )
        await client.connect()
        while not queue.empty():
            to, raw_bytes = queue.get_nowait()
            await client.sendmail(envelope_from, [to], raw_bytes)
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(connections)))
    return time.perf_counter() - started


async def fill_address_book(
    settings: NotifierSettings, book: MongoAddressBook, customers: int, run: str
) -> None:
    """Customers as orders would leave them: a sealed email, half Arabic, half English."""
    assert settings.master_keys is not None
    assert settings.blind_index_key is not None
    ring = MasterKeyring.parse(
        settings.master_keys.get_secret_value(), settings.blind_index_key.get_secret_value()
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url.get_secret_value(), tz_aware=True
    )
    keys = KeyStore(client[settings.keys_db], ring, service="bench-orders", purposes=())
    now = datetime.now(UTC)

    async def one(n: int) -> None:
        customer = f"b{n:06d}"
        sealed = await keys.seal(customer, "email", address(run, n))
        await book.remember(customer, Address(sealed, "ar" if n % 2 == 0 else "en"), now)

    for start in range(0, customers, 200):
        await asyncio.gather(*(one(n) for n in range(start, min(customers, start + 200))))
    await client.close()


async def allwan(
    servers: Endpoints, settings: NotifierSettings, customers: int, run: str
) -> dict[str, float]:
    """Seconds from ``PolicyChanged`` on Kafka to the job done, and when enumeration ended."""
    runtime, service = build(settings)
    setup_logging(settings.service_name, level="WARNING")  # stdout is for the result...
    for handler in logging.getLogger().handlers:  # ...Kafka clients' complaints included
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    producer = idempotent_producer(servers.kafka_bootstrap, f"bench-{run}")
    async with runtime.running():
        await service.start()
        await producer.start()
        try:
            await fill_address_book(settings, service.book, customers, run)
            document, changed = policy_events(2)
            started = time.perf_counter()
            for version, event in ((3, document), (4, changed)):
                envelope = new_envelope(
                    event,
                    aggregate_version=version,
                    producer=settings.consent_producer,
                    correlation_id=uuid.uuid4(),
                )
                await producer.send_and_wait(
                    runtime.topic(topic_for(envelope)),
                    value=message_value(envelope),
                    key=envelope.aggregate_id.encode(),
                    headers=message_headers(envelope),
                )
            enumerated = None
            while True:
                job = await service.jobs.get("policy:2")
                if job is not None and enumerated is None and job.phase.value != "enumerating":
                    enumerated = time.perf_counter() - started
                if job is not None and job.phase.value == "done":
                    break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            if job.sent != customers:
                raise RuntimeError(f"sent {job.sent} of {customers}")
        finally:
            await producer.stop()
            await service.stop()
            await service.close()
            await runtime.mongo.drop_database(settings.database_name)
            await runtime.mongo.drop_database(settings.keys_db)
    return {"elapsed_s": elapsed, "enumerated_s": enumerated or elapsed}


async def run(servers: Endpoints, customers: int = 10_000, connections: int = 4) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    settings = settings_for(servers, run_id, connections)
    _, changed = policy_events(2)
    raw_s = await raw(servers, raw_messages(run_id, customers, settings, changed), connections)
    measured = await allwan(servers, settings, customers, run_id)
    allwan_s = measured["elapsed_s"]
    return {
        "benchmark": "notifier",
        "customers": customers,
        "smtp_connections": connections,
        "smtp_server": f"{servers.smtp_host}:{servers.smtp_port}",
        "raw_aiosmtplib_emails_per_s": round(customers / raw_s, 1),
        "allwan_emails_per_s": round(customers / allwan_s, 1),
        "ratio_allwan_to_raw": round(raw_s / allwan_s, 4),
        "allwan_enumeration_s": round(measured["enumerated_s"], 2),
        "allwan_total_s": round(allwan_s, 2),
    }


def summary(result: dict[str, Any]) -> str:
    """The result in one line."""
    return (
        f"notifier: allwan {result['allwan_emails_per_s']:,.0f} emails/s, raw aiosmtplib "
        f"{result['raw_aiosmtplib_emails_per_s']:,.0f}/s over the same "
        f"{result['smtp_connections']} connections: ratio {result['ratio_allwan_to_raw']} "
        f"({result['customers']:,} customers, enumeration {result['allwan_enumeration_s']} s "
        f"of {result['allwan_total_s']} s)"
    )
