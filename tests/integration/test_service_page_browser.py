"""The protocol-author page in a real browser: Debian's headless chromium driven by playwright (no browser download).

It pastes the bundled protocol, waits for the debounced /parse and /lint calls, checks the highlights, readings and
findings, and takes a screenshot. Every request other than to the service itself is blocked and must not happen.
Skipped when /usr/bin/chromium is missing, except in CI (CI=true), where it must run (.ci/install-browser.sh).
"""

from __future__ import annotations

import os
import shutil
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "corpora" / "trials" / "NCT03219801.txt").read_text(encoding="utf-8")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")  # playwright's sync API keeps an event loop running until it is closed
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI: run .ci/install-browser.sh")
        pytest.skip("/usr/bin/chromium is not installed (run .ci/install-browser.sh)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        yield browser
        browser.close()


def _wait_for_refresh(page: playwright_api.Page, previous: str | None) -> None:
    """The page's CSP forbids eval, so wait_for_function cannot be used: poll the ready marker instead."""
    deadline = time.monotonic() + 30
    while page.locator("body").get_attribute("data-ready") == previous:
        assert time.monotonic() < deadline, "the page did not refresh after typing"
        page.wait_for_timeout(100)


def test_author_page_reads_the_protocol(browser: playwright_api.Browser, service_url: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    outside: list[str] = []

    def only_the_service(route: playwright_api.Route) -> None:
        if route.request.url.startswith(service_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_service)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(service_url + "/")
    page.fill("#protocol", PROTOCOL)
    page.wait_for_selector("body[data-ready]", timeout=30_000)

    assert page.locator(".criterion").count() == 14
    assert page.locator("#highlight span.computable").count() >= 10
    assert page.locator("#highlight span.partial, #highlight span.not_computable").count() >= 1
    assert page.locator("#highlight span.unparsed").count() >= 1
    assert page.locator('.finding[data-rule="L001"]').count() >= 1
    assert page.locator(".suggestion").count() >= 1
    lvef = page.locator('.criterion[data-id="inc-4"]')
    assert lvef.get_attribute("data-status") == "computable" and "lvef >= 50 %" in lvef.inner_text()
    assert float(page.locator("#score").get_attribute("data-score") or "0") > 0

    ready = page.locator("body").get_attribute("data-ready")
    page.locator("#protocol").press("End")
    page.keyboard.type("\n  6. Pregnant or breastfeeding", delay=20)  # typed: one debounced refresh at the end
    _wait_for_refresh(page, ready)
    assert page.locator(".criterion").count() == 15

    shot = tmp_path / "author-page.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height >= 1400 and len(data) > 30_000
    keep = os.environ.get("CRITERIA_NLP_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    assert not outside, outside
    assert not errors, errors
    context.close()
