"""What browser tests do besides clicking: check a page with axe-core, keep a screenshot."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from allwan_devstack.browser import fetch_axe
from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
"""Where ``screenshot`` writes (git-ignored): open the PNGs to see what a customer sees."""

BLOCKING = frozenset({"serious", "critical"})
"""The axe impacts a page must not have."""


@cache
def _axe_source() -> str:
    # The pinned axe-core, fetched into the cache by `devstack provision-browser`.
    return fetch_axe().read_text()


def axe(page: Page) -> list[dict[str, Any]]:
    """The serious and critical accessibility violations axe-core finds on ``page`` as it is.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not govern: the page keeps its strict CSP and whatever state the test brought it to.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in results["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as an assertion message: rule, impact, help and the elements concerned."""
    lines = []
    for violation in violations:
        targets = [json.dumps(node["target"]) for node in violation["nodes"][:5]]
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}\n  on {', '.join(targets)}"
        )
    return "\n".join(lines)


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of ``page`` as ``tests/browser/screenshots/<name>.png``."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise ValueError(f"screenshot name {name!r}: lower-case letters, digits, . _ -")
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(page: Page, name: str) -> None:
    """axe finds nothing serious or critical on ``page`` at desktop width nor at a 390 px
    phone's (a table scrolls, a menu wraps), and a screenshot of each is kept."""
    violations = axe(page)
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    violations += axe(page)
    screenshot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not violations, f"{name}:\n{describe(violations)}"
