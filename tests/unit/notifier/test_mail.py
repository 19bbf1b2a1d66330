"""The message on the wire (MIME, headers, K2's one-click refusal) and what SMTP errors mean."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

import aiosmtplib
import pytest
from allwan_contracts.links import UNSUBSCRIBE_TOKEN_KIND
from allwan_notifier.adapters.mime import to_bytes
from allwan_notifier.adapters.smtp import classify
from allwan_notifier.domain.mail import Mail
from allwan_notifier.domain.marketing import Unsubscribe
from allwan_notifier.handlers.ports import SendDeferred, SendRefused
from allwan_runtime.keystore import InMemoryKeyStore

from tests.unit.notifier.conftest import REFUSAL

FROM = "ALLWANSTORES <no-reply@allwanstores.com>"


def mail(headers: dict[str, str] | None = None) -> Mail:
    return Mail(
        to="sara@example.com",
        subject="تحديث جوهري لسياسة الخصوصية (الإصدار 3)",
        text="نص الرسالة",
        html='<html dir="rtl" lang="ar"><body>نص</body></html>',
        message_id="<policy.3.c-1@allwanstores.com>",
        locale="ar",
        reply_to="privacy@allwanstores.com",
        headers=headers or {},
    )


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_message_is_text_and_html_alternatives_with_its_message_id() -> None:
    message = parsed(to_bytes(mail(), FROM))

    assert message["Message-ID"] == "<policy.3.c-1@allwanstores.com>"
    assert message["Subject"] == "تحديث جوهري لسياسة الخصوصية (الإصدار 3)"
    assert message["Reply-To"] == "privacy@allwanstores.com"
    assert message["Content-Language"] == "ar"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = (part.get_content() for part in message.iter_parts())
    assert plain.strip() == "نص الرسالة"
    assert 'dir="rtl"' in html


def test_k2_a_refusal_link_is_https_to_the_gateway_and_a_mailto() -> None:
    refusal = REFUSAL.for_customer("c-42", InMemoryKeyStore())

    link, mailto = refusal.headers()["List-Unsubscribe"].split(", ")
    assert link.startswith("<https://allwanstores.com/api/v1/unsubscribe?customer=c-42&token=")
    assert mailto.startswith("<mailto:unsubscribe@allwanstores.com?subject=unsubscribe%20c-42%20")
    assert refusal.headers()["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_k2_the_refusal_token_is_the_keyed_hash_the_gateway_can_check() -> None:
    secrets = InMemoryKeyStore()

    refusal = REFUSAL.for_customer("c-42", secrets)

    assert f"token={secrets.blind_index(UNSUBSCRIBE_TOKEN_KIND, 'c-42')}" in refusal.url
    assert REFUSAL.for_customer("c-43", secrets).url != refusal.url


def test_k2_the_refusal_headers_reach_the_wire_unmangled() -> None:
    refusal = REFUSAL.for_customer("c-42", InMemoryKeyStore())

    raw = to_bytes(mail(refusal.headers()), FROM)

    header = re.search(rb"\r\nList-Unsubscribe: (.*?)\r\n(?! )", raw, re.DOTALL)
    assert header is not None
    assert header.group(1).startswith(b"<https://allwanstores.com/api/v1/unsubscribe?")
    message = parsed(raw)
    assert message["List-Unsubscribe"] == refusal.headers()["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"  # the body survived


def test_a_refusal_url_outside_https_is_refused() -> None:
    with pytest.raises(ValueError, match="url"):
        Unsubscribe(url="http://allwanstores.com/u", mailto="mailto:u@allwanstores.com")


def response_error(kind: type[aiosmtplib.SMTPResponseException], code: int) -> Exception:
    return kind(code, "text that may quote sara@example.com")


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "no such user", "sara@example.com")]
            ),
            True,
        ),
        (response_error(aiosmtplib.SMTPDataError, 554), True),
        (response_error(aiosmtplib.SMTPDataError, 451), False),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(450, "mailbox busy", "sara@example.com")]
            ),
            False,
        ),
        (response_error(aiosmtplib.SMTPAuthenticationError, 535), False),  # our configuration
        (aiosmtplib.SMTPSenderRefused(553, "bad sender", "no-reply@x.com"), False),  # ours
        (aiosmtplib.SMTPConnectError("refused"), False),
        (aiosmtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(), False),
        (TimeoutError(), False),
    ],
)
def test_a_5xx_about_the_message_fails_it_anything_else_defers_it(
    error: Exception, refused: bool
) -> None:
    outcome = classify(error)

    assert isinstance(outcome, SendRefused if refused else SendDeferred)
    assert "@" not in outcome.reason  # no address ever reaches the ledger or the logs
