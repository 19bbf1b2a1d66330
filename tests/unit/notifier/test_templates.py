"""Templates: one per message and language; Arabic is right-to-left HTML plus text (PC2),
HTML is autoescaped, every privacy email names the contact (CT1) and how to withdraw (K3)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allwan_notifier.adapters.templates import Templates
from allwan_notifier.domain.marketing import Campaign, MarketingMessage
from allwan_notifier.domain.messages import (
    Activation,
    Letter,
    PolicyNotice,
    Receipt,
    WithdrawalConfirmation,
)
from allwan_notifier.domain.notices import BreachLetter, RetentionLetter
from allwan_notifier.domain.privacy import (
    ErasureStarting,
    RequestCompleted,
    RequestDenied,
    RequestExtended,
    RequestReceived,
)
from allwan_notifier.domain.recipients import Locale
from allwan_runtime.keystore import InMemoryKeyStore

from tests.unit.notifier import privacy_events
from tests.unit.notifier.conftest import PRIVACY_URL, REFUSAL, WITHDRAWAL
from tests.unit.notifier.fakes import (
    CONTACT,
    WHEN,
    activated,
    order_placed,
    policy_changed,
    withdrawn,
)
from tests.unit.notifier.notice_events import breach_notice, retention_notice

TEMPLATES = Templates()
LOCALES: tuple[Locale, ...] = ("ar", "en")


def notice(summary_en: str = "We keep order data for five years.") -> PolicyNotice:
    return PolicyNotice.of(
        policy_changed(3, material=True, summary_en=summary_en), CONTACT, WITHDRAWAL
    )


def every_letter() -> list[Letter]:
    placed = order_placed(InMemoryKeyStore(), "c-1", "a@example.com", "ar")
    campaign = Campaign(
        campaign_id="ramadan",
        subject_ar="عروض رمضان",
        subject_en="Ramadan offers",
        body_ar="خصم ٢٠٪",
        body_en="20% off",
        url="https://allwanstores.com/offers",
    )
    return [
        notice(),
        Receipt.of(placed, WHEN, CONTACT),
        Activation.of(activated(placed), CONTACT),
        WithdrawalConfirmation.of(withdrawn("c-1"), WHEN, CONTACT, WITHDRAWAL),
        MarketingMessage(
            campaign=campaign,
            unsubscribe=REFUSAL.for_customer("c-1", InMemoryKeyStore()),
            contact=CONTACT,
        ),
        *privacy_letters(),
        BreachLetter.of(breach_notice("c-1"), CONTACT),
        RetentionLetter.of(retention_notice("c-1"), CONTACT, PRIVACY_URL),
    ]


def privacy_letters() -> list[Letter]:
    completed = RequestCompleted.of(privacy_events.completed("c-1"), CONTACT, PRIVACY_URL)
    assert completed is not None
    return [
        RequestReceived.of(privacy_events.received("c-1"), CONTACT, PRIVACY_URL),
        RequestExtended.of(privacy_events.extended("c-1"), CONTACT),
        ErasureStarting(request_id="req-1", contact=CONTACT),
        completed,
        RequestDenied.of(privacy_events.denied("c-1"), CONTACT),
    ]


@pytest.mark.parametrize("letter", every_letter(), ids=lambda letter: letter.template)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_has_a_subject_text_and_html_in_each_language(
    letter: Letter, locale: Locale
) -> None:
    rendered = TEMPLATES.render(letter.template, locale, letter.context(locale))

    assert rendered.subject
    assert "\n" not in rendered.subject
    assert rendered.text.strip()
    assert f'lang="{locale}"' in rendered.html
    assert CONTACT.phone in rendered.text
    assert CONTACT.email in rendered.html


def test_pc2_the_arabic_notice_is_right_to_left_html_with_a_text_twin() -> None:
    rendered = TEMPLATES.render("policy_notice", "ar", notice().context("ar"))

    assert '<html dir="rtl" lang="ar">' in rendered.html
    assert "سياسة الخصوصية" in rendered.subject
    assert "3" in rendered.subject
    assert "تغيير في طريقة حفظ البيانات" in rendered.text  # the Arabic summary
    assert "https://allwanstores.com/privacy/v3" in rendered.text
    assert "<" not in re.sub(r"<https?://", "", rendered.text)  # plain text, no markup


def test_pc2_the_english_notice_says_what_changed_and_links_the_version() -> None:
    rendered = TEMPLATES.render("policy_notice", "en", notice().context("en"))

    assert '<html dir="ltr" lang="en">' in rendered.html
    assert rendered.subject == "A material change to our privacy policy (version 3)"
    assert "We keep order data for five years." in rendered.text
    assert 'href="https://allwanstores.com/privacy/v3"' in rendered.html
    assert "تغيير" not in rendered.text


@pytest.mark.parametrize("locale", LOCALES)
def test_k3_ct1_the_notice_names_every_way_to_withdraw_and_whom_to_ask(locale: Locale) -> None:
    rendered = TEMPLATES.render("policy_notice", locale, notice().context(locale))

    for part in (rendered.text, rendered.html):
        assert "0563120415" in part  # WhatsApp (K3) and phone (CT1)
        assert "privacy@example.com" in part  # reply or write (K3), email (CT1)
        assert "https://allwanstores.com/account/privacy" in part  # the web (K3)


def test_html_is_autoescaped_so_a_script_in_a_summary_stays_text() -> None:
    hostile = notice(summary_en='<script>alert("x")</script> & <b>bold</b>')

    rendered = TEMPLATES.render("policy_notice", "en", hostile.context("en"))

    assert "<script>" not in rendered.html
    assert "<b>" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in (
        rendered.html
    )
    assert '<script>alert("x")</script>' in rendered.text  # plain text shows it as written


def test_a_missing_template_value_is_an_error_not_a_blank() -> None:
    context = notice().context("en")
    del context["url"]

    with pytest.raises(Exception, match="url"):
        TEMPLATES.render("policy_notice", "en", context)


def test_the_receipt_shows_the_amounts_in_riyals() -> None:
    placed = order_placed(InMemoryKeyStore(), "c-1", "a@example.com", "en")

    rendered = TEMPLATES.render("receipt", "en", Receipt.of(placed, WHEN, CONTACT).context("en"))

    assert "Total: SAR 228.85" in rendered.text
    assert "VAT (15%): SAR 29.85" in rendered.text


def test_the_activation_gives_the_period_as_dates() -> None:
    placed = order_placed(InMemoryKeyStore(), "c-1", "a@example.com", "ar")
    letter = Activation.of(activated(placed), CONTACT)

    rendered = TEMPLATES.render("activation", "ar", letter.context("ar"))

    assert WHEN.date().isoformat() in rendered.text
    assert (WHEN + timedelta(days=365)).date().isoformat() in rendered.text


def test_k3_the_confirmation_names_the_purpose_and_channel_in_the_customers_language() -> None:
    letter = WithdrawalConfirmation.of(withdrawn("c-1"), WHEN, CONTACT, WITHDRAWAL)

    arabic = TEMPLATES.render("withdrawal_confirmation", "ar", letter.context("ar"))
    english = TEMPLATES.render("withdrawal_confirmation", "en", letter.context("en"))

    assert "الرسائل التسويقية" in arabic.text
    assert "الموقع" in arabic.text
    assert "marketing messages" in english.text
    assert "the website" in english.text


@pytest.mark.parametrize("locale", LOCALES)
def test_k2_marketing_carries_a_visible_one_click_refusal(locale: Locale) -> None:
    [letter] = [letter for letter in every_letter() if isinstance(letter, MarketingMessage)]

    rendered = TEMPLATES.render("marketing", locale, letter.context(locale))

    link = letter.unsubscribe.url.replace("&", "&amp;")
    assert f'href="{link}"' in rendered.html
    assert letter.unsubscribe.url in rendered.text
