"""The checkout: no card field (C3), no attestation chosen for the visitor (A1), marketing
unticked (K2), the policy version accepted; one order per form however often it is sent;
mistakes shown beside their fields in the visitor's language; the first order makes the
visitor a remembered customer and records their cookie choice (CK1)."""

from __future__ import annotations

import re

from allwan_contracts import AgeAttestation
from allwan_contracts.intake import ConsentChangeRequested

from tests.unit.web.harness import csrf_of
from tests.unit.web.storefront_seed import (
    PLAN,
    checkout,
    customer_of,
    main_of,
    order,
    requested,
    show_checkout,
    store,
    submit,
)

CUSTOMER_COOKIE = "__Host-allwan_customer"
CARD = "4111 1111 1111 1111"


def inputs(html: str) -> list[str]:
    return re.findall(r"<input[^>]*>", html)


async def test_c3_a1_k2_the_form_has_no_card_field_no_chosen_attestation_and_no_tick() -> None:
    h = await store()
    async with h.browser() as browser:
        form = main_of((await browser.get(f"/checkout/{PLAN}")).text)

    names = set(re.findall(r'name="([^"]+)"', form))
    assert names == {
        "csrf", "form_key", "name", "email", "phone", "billing_address", "quantity",
        "age_attestation", "marketing_opt_in",
    }  # fmt: skip
    radios = [tag for tag in inputs(form) if 'type="radio"' in tag]
    assert {re.search(r'value="([^"]+)"', tag).group(1) for tag in radios} == {  # type: ignore[union-attr]
        attestation.value for attestation in AgeAttestation
    }
    assert not any("checked" in tag for tag in radios)
    [marketing] = [tag for tag in inputs(form) if 'name="marketing_opt_in"' in tag]
    assert "checked" not in marketing
    assert 'href="/privacy/policy/versions/1"' in form
    assert "الإصدار ١" in form


async def test_every_field_has_a_label_and_the_form_key_is_new_each_time() -> None:
    h = await store()
    async with h.browser() as browser:
        first = (await browser.get(f"/checkout/{PLAN}")).text
        second = await show_checkout(browser)

    for field_id in re.findall(r'<(?:input|textarea)[^>]*\bid="([^"]+)"', main_of(first)):
        assert f'<label for="{field_id}">' in first, field_id
    assert re.search(r'name="form_key" value="([^"]+)"', first).group(1) != second.key  # type: ignore[union-attr]


async def test_an_order_goes_out_with_a_provider_token_the_attestation_and_the_page_language() -> (
    None
):
    h = await store()
    async with h.browser() as browser:
        await h.post_form(browser, "/language", {"lang": "en", "next": "/"}, page="/")
        order_id = await order(
            browser, quantity="2", age_attestation="guardian_consent", marketing_opt_in="yes",
            billing_address="  Prince Sultan St 12, Jeddah ",
        )  # fmt: skip

    [request] = requested(h)
    assert request.order_id == order_id
    assert request.plan_id == PLAN
    assert request.quantity == 2
    assert request.age_attestation is AgeAttestation.GUARDIAN_CONSENT
    assert request.marketing_opt_in is True
    assert request.locale == "en"
    assert re.fullmatch(r"tok_[A-Za-z0-9_-]{20,}", request.payment_token)
    address = request.contact.billing_address
    assert address is not None
    assert await h.gateway.opened(address, "billing_address") == "Prince Sultan St 12, Jeddah"


async def test_k2_marketing_is_off_unless_the_box_was_ticked() -> None:
    h = await store()
    async with h.browser() as browser:
        await order(browser)
        await order(browser, marketing_opt_in="on")  # not the box's value: no consent

    assert [r.marketing_opt_in for r in requested(h)] == [False, False]
    assert requested(h)[0].locale == "ar"


async def test_a_form_sent_twice_places_one_order() -> None:
    h = await store()
    async with h.browser() as browser:
        form = await show_checkout(browser)
        first = await submit(browser, form)
        again = await submit(browser, form)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert len(requested(h)) == 1


async def test_two_forms_place_two_orders() -> None:
    h = await store()
    async with h.browser() as browser:
        one = await order(browser)
        two = await order(browser)

    assert one != two
    assert len({r.customer_id for r in requested(h)}) == 1


async def test_each_mistake_is_shown_beside_its_field_in_arabic_and_nothing_is_ordered() -> None:
    h = await store()
    async with h.browser() as browser:
        answer = await checkout(
            browser, name="  ", email="not-an-email", phone="12", quantity="9",
            age_attestation=None,
        )  # fmt: skip

    assert answer.status_code == 422
    page = main_of(answer.text)
    for field, words in (
        ("name", "اكتب اسمك"),
        ("email", "اكتب بريدًا إلكترونيًا صحيحًا"),
        ("phone", "اكتب رقم جوال صحيحًا"),
        ("quantity", "اختر كمية من ١ إلى ٥"),
    ):
        error = re.search(rf'<p class="error" id="f-{field}-error">([^<]*)</p>', page)
        assert error, field
        assert words in error.group(1), field
        [tag] = [t for t in inputs(page) if f'id="f-{field}"' in t]
        assert 'aria-invalid="true"' in tag
        assert f"f-{field}-error" in tag  # aria-describedby names the error
    assert 'id="f-age-error"' in page
    assert "الإقرارين" in page
    assert 'value="not-an-email"' in page  # shown again, to correct
    assert requested(h) == []


async def test_mistakes_are_in_english_on_english_pages() -> None:
    h = await store()
    async with h.browser() as browser:
        await h.post_form(browser, "/language", {"lang": "en", "next": "/"}, page="/")
        answer = await checkout(browser, email="", age_attestation="adult")

    assert answer.status_code == 422
    assert "Enter your email address." in answer.text
    assert "Choose one: you are of legal age" in answer.text
    assert requested(h) == []


async def test_arabic_digits_in_the_phone_and_quantity_are_read_as_digits() -> None:
    h = await store()
    async with h.browser() as browser:
        await order(browser, phone="٠٥١٢٣٤٥٦٧٨", quantity="٣")

    [request] = requested(h)
    assert request.quantity == 3
    assert await h.gateway.opened(request.contact.phone, "phone") == "0512345678"


async def test_c3_a_card_number_in_any_field_is_refused_and_never_shown_back() -> None:
    h = await store()
    async with h.browser() as browser:
        for field in ("name", "billing_address", "phone"):
            answer = await checkout(browser, **{field: CARD})
            assert answer.status_code == 422, field
            assert CARD not in answer.text
            assert "لا تكتب رقم بطاقة هنا" in answer.text

    assert requested(h) == []


async def test_a_forged_or_missing_form_key_is_a_new_form_not_an_order() -> None:
    h = await store()
    async with h.browser() as browser:
        form = await show_checkout(browser)
        form.key = "short"
        answer = await submit(browser, form)

    assert answer.status_code == 422
    assert "انتهت صلاحية النموذج" in answer.text
    assert re.search(r'name="form_key" value="[A-Za-z0-9_-]{16,64}"', answer.text)
    assert 'value="Noura Alqahtani"' in answer.text
    assert requested(h) == []


async def test_a_form_sent_again_with_other_details_asks_to_send_a_new_form() -> None:
    h = await store()
    async with h.browser() as browser:
        form = await show_checkout(browser)
        await submit(browser, form)
        changed = await submit(browser, form, quantity="2")

    assert changed.status_code == 409
    assert "أُرسل هذا النموذج من قبل" in changed.text
    assert f'value="{form.key}"' not in changed.text
    assert len(requested(h)) == 1


async def test_the_gateways_refusal_of_a_field_is_shown_beside_that_field() -> None:
    h = await store()
    # A plan allowing more per order than the API takes (100): the gateway refuses it.
    [catalogue] = h.gateway.documents.collections["catalogue"].values()
    catalogue["products"][0]["plans"][0]["max_quantity"] = 150
    async with h.browser() as browser:
        answer = await checkout(browser, quantity="120")

    assert answer.status_code == 422
    error = re.search(r'<p class="error" id="f-quantity-error">([^<]*)</p>', answer.text)
    assert error
    assert "اختر كمية" in error.group(1)
    assert requested(h) == []


async def test_the_first_order_makes_a_remembered_customer_and_records_the_cookie_choice() -> None:
    h = await store()
    async with h.browser() as browser:
        await h.post_form(browser, "/cookies", {"choice": "reject", "next": "/"})
        order_id = await order(browser)
        remembered = browser.cookies.get(CUSTOMER_COOKIE)

    assert remembered
    customer = requested(h)[0].customer_id
    assert customer not in remembered  # sealed: the browser cannot read it
    changes = [c for c in h.gateway.intake("ConsentChangeRequested") if c.customer_id == customer]
    assert all(isinstance(c, ConsentChangeRequested) for c in changes)
    assert {(c.purpose.value, c.action.value) for c in changes} == {
        ("functional_cookies", "withdraw"),
        ("analytics_cookies", "withdraw"),
    }
    # Another visit from this browser, in a session of its own, is the same customer.
    async with h.browser() as later:
        later.cookies.set(CUSTOMER_COOKIE, remembered, domain="web.test")
        mine = await later.get("/account/orders")
    assert order_id in mine.text


async def test_without_a_cookie_choice_nothing_is_recorded_for_the_new_customer() -> None:
    h = await store()
    async with h.browser() as browser:
        await order(browser)

    assert h.gateway.intake("ConsentChangeRequested") == []


async def test_a_later_order_keeps_the_customer_and_sets_no_new_customer_cookie() -> None:
    h = await store()
    async with h.browser() as browser:
        await order(browser)
        form = await show_checkout(browser)
        second = await submit(browser, form)

    assert CUSTOMER_COOKIE not in second.headers.get("set-cookie", "")
    assert len({r.customer_id for r in requested(h)}) == 1


async def test_an_erased_customer_orders_again_as_a_new_customer() -> None:
    h = await store()
    async with h.browser() as browser:
        await order(browser)
        erased = requested(h)[0].customer_id
        await h.gateway.keys.shred(erased)
        second = await checkout(browser)

    assert second.status_code == 303
    assert CUSTOMER_COOKIE in second.headers.get("set-cookie", "")
    again = customer_of(h, second.headers["location"].removeprefix("/orders/"))
    assert again != erased
    assert {r.customer_id for r in requested(h)} == {erased, again}


async def test_a_form_from_another_site_places_no_order() -> None:
    h = await store()
    async with h.browser() as browser:
        form = await show_checkout(browser)
        answer = await browser.post(
            f"/checkout/{PLAN}",
            data={"csrf": form.csrf, "form_key": form.key, "name": "x"},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        forged = await browser.post(
            f"/checkout/{PLAN}", data={"csrf": "forged", "form_key": form.key}
        )

    assert answer.status_code == forged.status_code == 403
    assert requested(h) == []


async def test_no_customer_id_name_or_email_ever_reaches_a_url() -> None:
    h = await store()
    async with h.browser() as browser:
        token = csrf_of((await browser.get("/")).text)
        assert token
        sent = await checkout(browser)
        followed = await browser.get(sent.headers["location"])

    customer = requested(h)[0].customer_id
    for url in (sent.headers["location"], str(followed.url)):
        for secret in (customer, "Noura", "noura@example.com", "966512345678"):
            assert secret not in url
