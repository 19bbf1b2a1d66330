"""C2: a browser is named only by a fixed family and device class, never by its header."""

from __future__ import annotations

import pytest
from allwan_contracts import BrowserFamily, DeviceClass, browser_of
from hypothesis import given
from hypothesis import strategies as st

TOKENS = st.sampled_from(
    [
        "Mozilla/5.0",
        "(Linux; Android 14; SM-S918B)",
        "(iPhone; CPU iPhone OS 17_5 like Mac OS X)",
        "(Windows NT 10.0; Win64; x64)",
        "AppleWebKit/537.36 (KHTML, like Gecko)",
        "Chrome/126.0.0.0",
        "CriOS/126.0",
        "Safari/537.36",
        "Version/17.5",
        "Mobile",
        "Firefox/128.0",
        "Edg/126.0",
        "SamsungBrowser/24.0",
        "OPR/110.0",
    ]
)
HEADERS = st.one_of(st.text(max_size=600), st.lists(TOKENS | st.text(max_size=20)).map(" ".join))


@given(HEADERS)
def test_c2_a_header_only_ever_becomes_one_of_the_fixed_families_and_device_classes(
    header: str,
) -> None:
    family, device = browser_of(header)
    assert type(family) is BrowserFamily
    assert type(device) is DeviceClass
    assert family.value in {"chrome", "firefox", "safari", "edge", "samsung_internet", "other"}
    assert device.value in {"mobile", "desktop"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36",
            (BrowserFamily.CHROME, DeviceClass.DESKTOP),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
            (BrowserFamily.EDGE, DeviceClass.DESKTOP),
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
            (BrowserFamily.SAMSUNG_INTERNET, DeviceClass.MOBILE),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            (BrowserFamily.SAFARI, DeviceClass.MOBILE),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            (BrowserFamily.CHROME, DeviceClass.MOBILE),
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            (BrowserFamily.FIREFOX, DeviceClass.DESKTOP),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
            (BrowserFamily.OTHER, DeviceClass.DESKTOP),
        ),
        ("curl/8.5.0", (BrowserFamily.OTHER, DeviceClass.DESKTOP)),
    ],
    ids=["chrome", "edge", "samsung", "safari-iphone", "chrome-ios", "firefox", "opera", "curl"],
)
def test_c2_common_browsers_are_named_by_family_and_device_class(
    header: str, expected: tuple[BrowserFamily, DeviceClass]
) -> None:
    assert browser_of(header) == expected
