"""A ``Mail`` as the bytes an SMTP server receives: text and HTML alternatives, UTF-8.

A fan-out sends one text to many people: the part every copy shares (sender, subject,
bodies, MIME structure) is built once and cached; each copy only adds its own ``To``,
``Date``, ``Message-ID`` and, for marketing, its refusal headers. Building a multipart
message with the standard library costs milliseconds, more than the rest of a send.

Headers are folded by the standard library, except the RFC 2369/8058 ones: a long URL would
be turned into an RFC 2047 encoded word that no mail client reads as a link, so they are
written verbatim, one URI per line.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from functools import lru_cache

from allwan_notifier.domain.mail import Mail

POLICY = email.policy.SMTP
VERBATIM = ("List-Unsubscribe", "List-Unsubscribe-Post")
_HEADER_END = b"\r\n\r\n"


def to_bytes(mail: Mail, mail_from: str) -> bytes:
    others = tuple((k, v) for k, v in mail.headers.items() if k not in VERBATIM)
    shared = _Shared(
        mail_from, mail.subject, mail.text, mail.html, mail.locale, mail.reply_to, others
    )
    return _own_headers(mail) + _shared(shared)


def _own_headers(mail: Mail) -> bytes:
    own = [
        POLICY.fold_binary("To", POLICY.header_factory("To", mail.to)),
        POLICY.fold_binary("Date", formatdate(usegmt=True)),
        POLICY.fold_binary("Message-ID", mail.message_id),
    ]
    own += [_verbatim(name, mail.headers[name]) for name in VERBATIM if name in mail.headers]
    return b"".join(own)


@dataclass(frozen=True)
class _Shared:
    mail_from: str
    subject: str
    text: str
    html: str
    locale: str
    reply_to: str | None
    headers: tuple[tuple[str, str], ...]


@lru_cache(maxsize=64)
def _shared(part: _Shared) -> bytes:
    message = EmailMessage(policy=POLICY)
    message["From"] = part.mail_from
    message["Subject"] = part.subject
    message["Auto-Submitted"] = "auto-generated"  # no auto-replies (RFC 3834)
    if part.reply_to:
        message["Reply-To"] = part.reply_to
    for name, value in part.headers:
        message[name] = value
    message.set_content(part.text)
    message.add_alternative(part.html, subtype="html")
    message["Content-Language"] = part.locale  # after the content: set_content drops Content-*
    return message.as_bytes(policy=POLICY)


def _verbatim(name: str, value: str) -> bytes:
    if any(char in value for char in "\r\n") or not value.isascii():
        raise ValueError(f"{name} must be one line of ASCII")
    folded = value.replace(">, <", ">,\r\n <")
    return f"{name}: {folded}\r\n".encode("ascii")
