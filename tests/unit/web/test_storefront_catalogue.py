"""The catalogue and a plan's page: prices VAT included, in the visitor's language; the plans
viewed lately remembered only with functional cookies allowed (CK1)."""

from __future__ import annotations

from allwan_contracts import CataloguePlan, CatalogueProduct

from tests.unit.web.harness import csrf_of, web_harness
from tests.unit.web.storefront_seed import PLAN, main_of, store

RECENT = "allwan_recent"


def product(*plans: CataloguePlan, product_id: str = "shahid-vip") -> CatalogueProduct:
    return CatalogueProduct(
        product_id=product_id, name_ar="شاهد VIP", name_en="Shahid VIP", plans=plans
    )


def plan(plan_id: str, months: int = 1, *, retired: bool = False) -> CataloguePlan:
    return CataloguePlan(
        plan_id=plan_id, months=months, price_halalas=2990, max_quantity=5, retired=retired
    )


async def test_the_catalogue_shows_each_plan_with_its_price_and_the_vat_inside_it() -> None:
    h = await store()
    async with h.browser() as browser:
        arabic = main_of((await browser.get("/")).text)
        await h.post_form(browser, "/language", {"lang": "en", "next": "/"}, page="/")
        english = main_of((await browser.get("/")).text)

    assert "شاهد VIP" in arabic
    assert "٢٩٫٩٠ ر.س" in arabic
    assert "(١٥٪): ٣٫٩٠ ر.س" in arabic  # 2990 VAT-inclusive at 15%: 390 of it is VAT
    assert "Shahid VIP" in english
    assert "SAR 29.90" in english
    assert "Includes VAT (15%): SAR 3.90" in english
    assert 'href="/checkout/shahid-vip-1m"' in english


async def test_a_plan_length_reads_as_arabic_counts_it() -> None:
    h = await store(None, product(plan("p-1", 1), plan("p-2", 2), plan("p-3", 3), plan("p-12", 12)))
    async with h.browser() as browser:
        page = main_of((await browser.get("/")).text)

    for words in ("شهر واحد", "شهران", "٣ أشهر", "١٢ شهرًا"):
        assert words in page


async def test_retired_plans_are_not_on_sale_and_their_checkout_leads_back_to_the_plan() -> None:
    h = await store(None, product(plan("on-sale"), plan("retired", 3, retired=True)))
    async with h.browser() as browser:
        catalogue = main_of((await browser.get("/")).text)
        plan_page = await browser.get("/plans/retired")
        checkout = await browser.get("/checkout/retired")

    assert "/plans/on-sale" in catalogue
    assert "retired" not in catalogue
    assert plan_page.status_code == 200
    assert "لم تعد معروضة للبيع" in plan_page.text
    assert "/checkout/retired" not in main_of(plan_page.text)
    assert checkout.status_code == 303
    assert checkout.headers["location"] == "/plans/retired"


async def test_an_unknown_or_malformed_plan_is_a_not_found_page() -> None:
    h = await store()
    async with h.browser() as browser:
        for path in ("/plans/no-such-plan", "/plans/%3Cscript%3E", "/checkout/no-such-plan"):
            answer = await browser.get(path)
            assert answer.status_code == 404, path
            assert "الصفحة غير موجودة" in answer.text


async def test_the_catalogue_not_yet_at_the_gateway_is_a_page_saying_to_come_back() -> None:
    h = web_harness()  # no catalogue published yet
    async with h.browser() as browser:
        answer = await browser.get("/")

    assert answer.status_code == 503
    assert answer.headers["retry-after"]
    assert "غير متاحة مؤقتًا" in answer.text


async def test_ck1_viewed_plans_are_not_remembered_without_functional_cookies() -> None:
    h = await store()
    async with h.browser() as browser:
        undecided = await browser.get(f"/plans/{PLAN}")
        await h.post_form(browser, "/cookies", {"choice": "reject", "next": "/"})
        rejected = await browser.get(f"/plans/{PLAN}")
        catalogue = await browser.get("/")

        assert RECENT not in undecided.headers.get("set-cookie", "")
        assert RECENT not in rejected.headers.get("set-cookie", "")
        assert browser.cookies.get(RECENT) is None
        assert "شاهدتها مؤخرًا" not in catalogue.text


async def test_ck1_with_functional_cookies_the_catalogue_shows_the_last_three_plans_viewed() -> (
    None
):
    plans = [plan(f"p-{n}", n) for n in (1, 2, 3, 4)]
    h = await store(None, product(*plans))
    async with h.browser() as browser:
        await h.post_form(browser, "/cookies", {"choice": "accept", "next": "/"})
        for viewed in ("p-1", "p-2", "p-3", "p-4", "p-2"):
            await browser.get(f"/plans/{viewed}")
        catalogue = main_of((await browser.get("/")).text)
        cookie = browser.cookies.get(RECENT)

    assert cookie == "p-2.p-4.p-3"
    recent = catalogue[catalogue.index('class="recent"') : catalogue.index("</section>")]
    assert recent.index("/plans/p-2") < recent.index("/plans/p-4") < recent.index("/plans/p-3")
    assert "/plans/p-1" not in recent


async def test_ck1_withdrawing_functional_cookies_removes_the_recent_plans() -> None:
    h = await store()
    async with h.browser() as browser:
        await h.post_form(browser, "/cookies", {"choice": "accept", "next": "/"})
        await browser.get(f"/plans/{PLAN}")
        assert browser.cookies.get(RECENT) == PLAN
        await h.post_form(browser, "/cookies", {"choice": "reject", "next": "/"})
        catalogue = await browser.get("/")

        assert browser.cookies.get(RECENT) is None
        assert "شاهدتها مؤخرًا" not in catalogue.text


async def test_a_forged_recent_cookie_shows_only_plans_the_store_sells() -> None:
    h = await store()
    async with h.browser() as browser:
        await h.post_form(browser, "/cookies", {"choice": "accept", "next": "/"})
        browser.cookies.set(RECENT, "<b>x</b>.no-such-plan." + PLAN, domain="web.test")
        catalogue = main_of((await browser.get("/")).text)

    recent = catalogue[catalogue.index('class="recent"') : catalogue.index("</section>")]
    assert f"/plans/{PLAN}" in recent
    assert "no-such-plan" not in recent
    assert "<b>x</b>" not in catalogue


async def test_the_plan_page_shows_its_price_vat_limit_and_the_way_to_order() -> None:
    h = await store()
    async with h.browser() as browser:
        token = csrf_of((await browser.get("/")).text)
        await browser.post("/language", data={"csrf": token, "lang": "en", "next": "/"})
        page = main_of((await browser.get(f"/plans/{PLAN}")).text)

    assert "<h1>Shahid VIP – 1 month</h1>" in page
    assert "SAR 29.90" in page
    assert "SAR 3.90" in page
    assert "Up to 5 per order" in page
    assert f'href="/checkout/{PLAN}"' in page
