"""Real SMTP with aiosmtplib: a small pool of open connections, paced by a token bucket.

Errors are sorted by what they say about the message, never by their text (it may quote the
recipient): a 5xx answer to the recipient or the data refuses this message for good
(``SendRefused``); anything else — refused connection, timeout, disconnect, 4xx, and 5xx
answers about the session (authentication, sender, TLS), which are configuration faults, not
the message's — defers it (``SendDeferred``) so it is sent again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from email.utils import parseaddr

import aiosmtplib
import structlog
from pydantic import SecretStr

from allwan_notifier.adapters.mime import to_bytes
from allwan_notifier.domain.mail import Mail
from allwan_notifier.domain.ratelimit import TokenBucket
from allwan_notifier.handlers.ports import SendDeferred, SendRefused

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str  # none | starttls | tls
    username: str | None
    password: SecretStr | None
    timeout_s: float
    mail_from: str
    connections: int


class Pacer:
    """Waits for the token bucket before each message (``send_rate_per_s``, ``send_burst``)."""

    def __init__(self, bucket: TokenBucket) -> None:
        self._bucket = bucket

    async def wait(self) -> None:
        delay = self._bucket.reserve(time.monotonic())
        if delay > 0:
            await asyncio.sleep(delay)


class SmtpSender:
    def __init__(self, config: SmtpConfig, pacer: Pacer) -> None:
        self._config = config
        self._pacer = pacer
        self._envelope_from = parseaddr(config.mail_from)[1]
        self._slots = asyncio.Semaphore(config.connections)
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, mail: Mail) -> str:
        raw = to_bytes(mail, self._config.mail_from)
        await self._pacer.wait()
        async with self._slots:
            client = self._idle.pop() if self._idle else None
            try:
                if client is None:
                    client = await self._connect()
                _, reply = await client.sendmail(self._envelope_from, [mail.to], raw)
            except (aiosmtplib.SMTPException, OSError) as error:
                if client is not None:
                    await _close(client)
                raise classify(error) from None
            except BaseException:
                if client is not None:
                    await _close(client)
                raise
            self._idle.append(client)
            return reply

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                await _close(client)

    async def _connect(self) -> aiosmtplib.SMTP:
        config = self._config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=None if config.password is None else config.password.get_secret_value(),
            use_tls=config.tls == "tls",
            start_tls=config.tls == "starttls",
            timeout=config.timeout_s,
        )
        await client.connect()
        return client


def classify(error: BaseException) -> SendDeferred | SendRefused:
    """What an SMTP failure means for the message (see the module docstring)."""
    code = 0
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        code = max((refused.code for refused in error.recipients), default=0)
    elif isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        code = error.code
    elif isinstance(error, aiosmtplib.SMTPResponseException):
        log.warning("notifier.smtp_session_refused", code=error.code)
        return SendDeferred(f"smtp_session_{error.code}")
    else:
        return SendDeferred(type(error).__name__)
    if 500 <= code < 600:
        return SendRefused(code)
    return SendDeferred(f"smtp_{code}")


async def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, RuntimeError):
        client.close()
