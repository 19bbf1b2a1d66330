"""An order's page and the customer's orders: the status in words, a page that follows the
orders service's decision for a while, the test payment (the storefront's payment call),
cancelling with a confirmation step, and nobody else's orders (S1)."""

from __future__ import annotations

import re
from datetime import timedelta

from allwan_contracts.intake import CancellationRequested, PaymentReported

from tests.unit.web.harness import WebHarness, csrf_of
from tests.unit.web.storefront_seed import Clock, customer_of, decide, main_of, order, store

REFRESH = '<meta name="allwan-follow" content="2">'


async def pay(h: WebHarness, browser: object, order_id: str) -> int:
    page = await browser.get(f"/orders/{order_id}")  # type: ignore[attr-defined]
    answer = await browser.post(  # type: ignore[attr-defined]
        f"/orders/{order_id}/payment", data={"csrf": csrf_of(page.text)}
    )
    return int(answer.status_code)


def payments(h: WebHarness) -> list[PaymentReported]:
    found = h.gateway.intake("PaymentReported")
    assert all(isinstance(event, PaymentReported) for event in found)
    return found


async def test_a_pending_order_page_follows_the_decision_then_stops() -> None:
    h = await store()
    async with h.browser() as browser:
        order_id = await order(browser)
        pending = await browser.get(f"/orders/{order_id}")
        await decide(h, order_id, "placed")
        placed = await browser.get(f"/orders/{order_id}")

    assert REFRESH in pending.text
    assert "قيد التأكيد" in main_of(pending.text)
    assert f'href="/orders/{order_id}?updates=off"' in pending.text
    assert REFRESH not in placed.text
    page = main_of(placed.text)
    assert "بانتظار الدفع" in page
    assert "٢٩٫٩٠ ر.س" in page
    assert "شاهد VIP – شهر واحد" in page
    assert f'<span class="ids">{order_id}</span>' in page


async def test_stopping_the_automatic_updates_leaves_a_way_to_check_again() -> None:
    h = await store()
    async with h.browser() as browser:
        order_id = await order(browser)
        paused = await browser.get(f"/orders/{order_id}", params={"updates": "off"})

    assert REFRESH not in paused.text
    assert f'href="/orders/{order_id}"' in main_of(paused.text)


async def test_a_decision_that_takes_long_stops_the_refresh_and_says_so() -> None:
    clock = Clock()
    h = await store(clock)
    async with h.browser() as browser:
        order_id = await order(browser)
        clock.now += timedelta(minutes=2, seconds=1)
        late = await browser.get(f"/orders/{order_id}")

    assert REFRESH not in late.text
    assert "يستغرق الرد وقتًا أطول من المعتاد" in late.text


async def test_the_test_payment_reports_the_total_and_the_page_follows_it_to_active() -> None:
    h = await store(test_payments=True)
    async with h.browser() as browser:
        order_id = await order(browser)
        await decide(h, order_id, "placed")
        shown = await browser.get(f"/orders/{order_id}")
        status = await pay(h, browser, order_id)
        following = await browser.get(f"/orders/{order_id}")
        await decide(h, order_id, "paid")
        paid = await browser.get(f"/orders/{order_id}")
        await decide(h, order_id, "active")
        active = await browser.get(f"/orders/{order_id}")

    assert "ادفع (تجريبي)" in shown.text
    assert status == 303
    [payment] = payments(h)
    assert payment.order_id == order_id
    assert payment.amount_halalas == 2990
    assert payment.requested_by == "service:storefront"
    assert re.fullmatch(r"pay_[0-9a-f]{24}", payment.payment_reference)
    assert REFRESH in following.text
    assert "ادفع (تجريبي)" not in following.text  # one payment on its way
    assert REFRESH in paid.text  # paid, the subscription is still to start
    assert REFRESH not in active.text
    assert "نشط" in main_of(active.text)
    assert "نهاية الاشتراك" in active.text


async def test_paying_twice_reports_the_same_payment() -> None:
    clock = Clock()
    h = await store(clock, test_payments=True)
    async with h.browser() as browser:
        order_id = await order(browser)
        await decide(h, order_id, "placed")
        await pay(h, browser, order_id)
        # Long after, the button is back (orders never answered): the same payment again.
        clock.now += timedelta(minutes=3)
        await pay(h, browser, order_id)

    first, second = payments(h)
    assert first.payment_reference == second.payment_reference


async def test_without_test_payments_there_is_no_pay_button_and_no_payment() -> None:
    h = await store()
    async with h.browser() as browser:
        order_id = await order(browser)
        await decide(h, order_id, "placed")
        page = await browser.get(f"/orders/{order_id}")
        status = await pay(h, browser, order_id)

    assert "ادفع (تجريبي)" not in page.text
    assert status == 404
    assert payments(h) == []


async def test_a_pending_order_cannot_be_paid_yet() -> None:
    h = await store(test_payments=True)
    async with h.browser() as browser:
        order_id = await order(browser)
        page = await browser.get(f"/orders/{order_id}")
        status = await pay(h, browser, order_id)

    assert "ادفع (تجريبي)" not in page.text
    assert status == 303
    assert payments(h) == []


async def test_cancelling_takes_a_confirmation_then_the_page_follows_the_answer() -> None:
    h = await store()
    async with h.browser() as browser:
        order_id = await order(browser)
        await decide(h, order_id, "placed")
        page = await browser.get(f"/orders/{order_id}")
        asked = await browser.get(f"/orders/{order_id}/cancel")
        sent = await browser.post(
            f"/orders/{order_id}/cancellation", data={"csrf": csrf_of(asked.text)}
        )
        following = await browser.get(f"/orders/{order_id}")
        await decide(h, order_id, "cancelled")
        cancelled = await browser.get(f"/orders/{order_id}")
        again = await browser.get(f"/orders/{order_id}/cancel")

    assert f'href="/orders/{order_id}/cancel"' in page.text
    confirm = main_of(asked.text)
    assert f'action="/orders/{order_id}/cancellation"' in confirm
    assert "نعم، ألغِ الطلب" in confirm
    assert sent.status_code == 303
    [request] = h.gateway.intake("CancellationRequested")
    assert isinstance(request, CancellationRequested)
    assert request.order_id == order_id
    assert REFRESH in following.text
    assert "أرسلنا طلب الإلغاء" in following.text
    assert f'href="/orders/{order_id}/cancel"' not in following.text
    assert REFRESH not in cancelled.text
    assert "ملغى" in main_of(cancelled.text)
    assert again.status_code == 303  # nothing left to cancel: back to the order


async def test_merely_opening_the_confirmation_cancels_nothing() -> None:
    h = await store()
    async with h.browser() as browser:
        order_id = await order(browser)
        await decide(h, order_id, "placed")
        await browser.get(f"/orders/{order_id}/cancel")

    assert h.gateway.intake("CancellationRequested") == []


async def test_a_refused_cancellation_is_told_and_the_page_stops_following() -> None:
    h = await store()
    async with h.browser() as browser:
        order_id = await order(browser)
        await decide(h, order_id, "placed")
        asked = await browser.get(f"/orders/{order_id}/cancel")
        await browser.post(f"/orders/{order_id}/cancellation", data={"csrf": csrf_of(asked.text)})
        await decide(h, order_id, "cancellation-refused")
        refused = await browser.get(f"/orders/{order_id}")

    assert REFRESH not in refused.text
    page = main_of(refused.text)
    assert "رُفض طلب الإلغاء" in page
    assert "لم يعد ذلك ممكنًا" in page


async def test_orders_that_cannot_be_cancelled_offer_no_cancel() -> None:
    h = await store()
    async with h.browser() as browser:
        pending = await order(browser)
        refused = await order(browser)
        await decide(h, refused, "rejected")
        pages = [await browser.get(f"/orders/{o}") for o in (pending, refused)]
        sent = await browser.post(
            f"/orders/{refused}/cancellation", data={"csrf": csrf_of(pages[1].text)}
        )

    for page, order_id in zip(pages, (pending, refused), strict=True):
        assert f"/orders/{order_id}/cancel" not in page.text
    assert sent.status_code == 303
    assert h.gateway.intake("CancellationRequested") == []


async def test_a_refused_order_says_why_in_the_visitors_language() -> None:
    h = await store()
    async with h.browser() as browser:
        order_id = await order(browser)
        await decide(h, order_id, "rejected")
        arabic = main_of((await browser.get(f"/orders/{order_id}")).text)
        await h.post_form(browser, "/language", {"lang": "en", "next": "/"}, page="/")
        english = main_of((await browser.get(f"/orders/{order_id}")).text)

    assert "مرفوض" in arabic
    assert "لم يُقدَّم إقرار بلوغ السن النظامية" in arabic
    assert "Refused" in english
    assert "No confirmation of legal age" in english


async def test_s1_another_customers_order_is_not_found() -> None:
    h = await store()
    async with h.browser() as owner:
        order_id = await order(owner)
    async with h.browser() as visitor:
        as_visitor = await visitor.get(f"/orders/{order_id}")
        await order(visitor)  # now a customer, of their own orders only
        as_customer = await visitor.get(f"/orders/{order_id}")
        cancel = await visitor.get(f"/orders/{order_id}/cancel")

    for answer in (as_visitor, as_customer, cancel):
        assert answer.status_code == 404
        assert order_id not in main_of(answer.text)


async def test_a_malformed_order_id_is_not_found_without_asking_the_gateway() -> None:
    h = await store()
    async with h.browser() as browser:
        await order(browser)
        answer = await browser.get("/orders/..%2F..%2Fv1%2Fcatalogue")

    assert answer.status_code == 404


async def test_my_orders_is_an_empty_page_for_a_visitor_without_orders() -> None:
    h = await store()
    async with h.browser() as browser:
        answer = await browser.get("/account/orders")

    assert answer.status_code == 200
    page = main_of(answer.text)
    assert "لا توجد طلبات بعد" in page
    assert "<table" not in page


async def test_my_orders_lists_the_customers_orders_newest_first_with_their_status() -> None:
    h = await store()
    async with h.browser() as browser:
        older = await order(browser)
        newer = await order(browser)
        await decide(h, older, "placed", "paid", "active")
        page = main_of((await browser.get("/account/orders")).text)

    assert page.index(f"/orders/{newer}") < page.index(f"/orders/{older}")
    assert "نشط" in page
    assert "قيد التأكيد" in page
    assert '<th scope="col">' in page
    assert customer_of(h, older) not in page
