"""C2: a consent given on the web is proven without keeping the browser's raw User-Agent.

The proof is that one browser made the choice: keyed hashes of its address and of its header.
Only the record that grants analytics cookies also names the browser's family and device
class (CK1); the raw header (versions, OS build, device model) is kept nowhere.
"""

from __future__ import annotations

from allwan_contracts import BrowserFamily, ConsentPurpose, DeviceClass, read_event
from allwan_contracts.intake import ConsentChangeRequested
from allwan_contracts.links import UNSUBSCRIBE_TOKEN_KIND

from tests.unit.gateway.fakes import Harness, harness

SAMSUNG_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# Parts of the header that would single out a person's device if they were kept anywhere.
REVEALING = ("SM-S918B", "Android 14", "SamsungBrowser/24.0", "Chrome/117")


def requests(gw: Harness) -> dict[ConsentPurpose, ConsentChangeRequested]:
    found: dict[ConsentPurpose, ConsentChangeRequested] = {}
    for envelope in gw.store.envelopes():
        if envelope.event_type == "ConsentChangeRequested":
            request = read_event(envelope)
            assert isinstance(request, ConsentChangeRequested)
            found[request.purpose] = request
    return found


def assert_no_raw_user_agent_stored(gw: Harness) -> None:
    stored = "".join(envelope.model_dump_json() for envelope in gw.store.envelopes())
    assert stored
    for part in REVEALING:
        assert part not in stored


async def put_cookie_preferences(gw: Harness, *, analytics: bool, agent: str) -> None:
    async with gw.client() as http:
        answer = await http.put(
            "/v1/customers/cust-1/cookie-preferences",
            json={"functional": True, "analytics": analytics},
            headers=gw.customer("cust-1") | {"User-Agent": agent},
        )
    assert answer.status_code == 202


async def test_c2_cookie_preferences_without_analytics_keep_a_keyed_hash_not_the_user_agent(
    gw: Harness,
) -> None:
    await put_cookie_preferences(gw, analytics=False, agent=SAMSUNG_PHONE)

    assert_no_raw_user_agent_stored(gw)
    for request in requests(gw).values():
        evidence = request.evidence
        assert evidence.user_agent_hmac is not None
        assert len(evidence.user_agent_hmac) == 64
        assert evidence.ip_hmac is not None
        assert (evidence.browser, evidence.device) == (None, None)


async def test_c2_a_consent_grant_keeps_no_user_agent_and_names_no_browser(gw: Harness) -> None:
    async with gw.client() as http:
        answer = await http.post(
            "/v1/customers/cust-1/consents",
            json={"purpose": "marketing", "action": "grant"},
            headers=gw.customer("cust-1") | {"User-Agent": SAMSUNG_PHONE},
        )

    assert answer.status_code == 202
    assert_no_raw_user_agent_stored(gw)
    evidence = requests(gw)[ConsentPurpose.MARKETING].evidence
    assert evidence.user_agent_hmac is not None
    assert (evidence.browser, evidence.device) == (None, None)


async def test_c2_granting_analytics_names_only_the_browser_family_and_device_class(
    gw: Harness,
) -> None:
    await put_cookie_preferences(gw, analytics=True, agent=SAMSUNG_PHONE)

    assert_no_raw_user_agent_stored(gw)
    found = requests(gw)
    analytics = found[ConsentPurpose.ANALYTICS_COOKIES].evidence
    assert (analytics.browser, analytics.device) == (
        BrowserFamily.SAMSUNG_INTERNET,
        DeviceClass.MOBILE,
    )
    functional = found[ConsentPurpose.FUNCTIONAL_COOKIES].evidence
    assert (functional.browser, functional.device) == (None, None)


async def test_c2_the_one_click_unsubscribe_keeps_no_user_agent() -> None:
    gw = harness()
    token = gw.keys.blind_index(UNSUBSCRIBE_TOKEN_KIND, "cust-1")
    async with gw.client() as http:
        answer = await http.post(
            "/v1/unsubscribe",
            params={"customer": "cust-1", "token": token},
            headers={"User-Agent": SAMSUNG_PHONE},
        )

    assert answer.status_code == 202, answer.text
    assert_no_raw_user_agent_stored(gw)
    evidence = requests(gw)[ConsentPurpose.MARKETING].evidence
    assert evidence.user_agent_hmac is not None
    assert evidence.message_reference == "list-unsubscribe"


async def test_c2_the_user_agent_hash_tells_the_same_browser_from_another_only_with_the_key() -> (
    None
):
    first, second = harness(), harness(ip_hash_key="another-key")
    hashes = []
    for gw, agent in ((first, SAMSUNG_PHONE), (first, SAMSUNG_PHONE), (first, FIREFOX_LINUX)):
        gw.store.streams.clear()
        await put_cookie_preferences(gw, analytics=False, agent=agent)
        hashes.append(requests(gw)[ConsentPurpose.FUNCTIONAL_COOKIES].evidence.user_agent_hmac)
    await put_cookie_preferences(second, analytics=False, agent=SAMSUNG_PHONE)
    other_key = requests(second)[ConsentPurpose.FUNCTIONAL_COOKIES].evidence.user_agent_hmac

    same, again, other_browser = hashes
    assert same is not None
    assert again == same
    assert other_browser != same
    assert other_key != same
    assert requests(first)[ConsentPurpose.FUNCTIONAL_COOKIES].evidence.ip_hmac != same
