"""A browser named as coarsely as a person can be told apart by it: family and device class.

A raw ``User-Agent`` header is browsing data (C2): with its versions, operating-system build
and device model it helps single a person out. Where a record needs to say which kind of
browser was used, it keeps one of a few families and whether the device is a phone or tablet,
and nothing else.
"""

from __future__ import annotations

from enum import StrEnum


class BrowserFamily(StrEnum):
    CHROME = "chrome"
    FIREFOX = "firefox"
    SAFARI = "safari"
    EDGE = "edge"
    SAMSUNG_INTERNET = "samsung_internet"
    OTHER = "other"


class DeviceClass(StrEnum):
    MOBILE = "mobile"
    """A phone or a tablet."""
    DESKTOP = "desktop"


# First match wins: Chromium-based browsers also say "Chrome/" and "Safari/", so the ones that
# name themselves come before Chrome, and Chrome before Safari.
_FAMILY_TOKENS: tuple[tuple[tuple[str, ...], BrowserFamily], ...] = (
    (("samsungbrowser/",), BrowserFamily.SAMSUNG_INTERNET),
    (("edg/", "edge/", "edga/", "edgios/"), BrowserFamily.EDGE),
    (("opr/", "opera", "yabrowser/", "ucbrowser/", "vivaldi/"), BrowserFamily.OTHER),
    (("firefox/", "fxios/"), BrowserFamily.FIREFOX),
    (("chrome/", "crios/", "chromium/"), BrowserFamily.CHROME),
    (("safari/",), BrowserFamily.SAFARI),
)
_MOBILE_TOKENS = ("mobi", "android", "iphone", "ipad", "ipod", "tablet")


def browser_of(user_agent: str) -> tuple[BrowserFamily, DeviceClass]:
    """The family and device class a ``User-Agent`` header names; ``OTHER`` when unsure.

    Always one of the fixed values above, whatever the header holds, so nothing of the
    header itself (versions, OS build, device model) can pass through.
    """
    agent = user_agent.casefold()
    family = next(
        (found for tokens, found in _FAMILY_TOKENS if any(token in agent for token in tokens)),
        BrowserFamily.OTHER,
    )
    mobile = any(token in agent for token in _MOBILE_TOKENS)
    return family, DeviceClass.MOBILE if mobile else DeviceClass.DESKTOP
