"""Browser tests: Debian's Chromium driven by Playwright against a real `truce serve` with the demo loaded.

One server per test module; Chromium is required (the test fails, never skips, when it is missing).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from forkserver import popen
from support import clean_env, free_port, wait_for_health
from web.browser.driving import Server
from web.browser.work import LOOKS, Look

CHROMIUM = os.environ.get("TRUCE_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# A check waits this long for the page to agree, not Playwright's five seconds: with both workers, their servers
# and browsers on two cores, a page can take longer to settle. A passing check returns as soon as it holds.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def server(module_demo_dir: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """A live server on a free port over a fresh copy of the demo (SQLite), for one test module.

    A module may set `SERVER_ENV` (settings such as TRUCE_MAX_UPLOAD_MB) for its server.
    """
    data_dir = module_demo_dir
    port = free_port()
    process = popen(
        [sys.executable, "-m", "truce", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env=clean_env(getattr(request.module, "SERVER_ENV", None)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_health(process, port)
        yield Server(url=f"http://127.0.0.1:{port}", data_dir=data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium), or TRUCE_CHROMIUM")
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    yield instance
    instance.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where this test's screenshots go (pytest's temporary directory, never the repository)."""
    directory = tmp_path / "screenshots"
    directory.mkdir()
    return directory


@pytest.fixture
def page(browser: Browser, shots: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies) sized like a laptop; saves a screenshot when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    if getattr(request.node, "rep_call_failed", False):
        tab.screenshot(path=str(shots / "failure.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(params=list(LOOKS))
def look(request: pytest.FixtureRequest) -> Look:
    return LOOKS[str(request.param)]


@pytest.fixture
def tab(browser: Browser, look: Look, shots: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A context at the look's size and language (issue 17's pages); a screenshot on failure; no JS errors."""
    context = browser.new_context(
        viewport={"width": look.width, "height": look.height},
        locale=look.locale,
        is_mobile=look.phone,
        has_touch=look.phone,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    if getattr(request.node, "rep_call_failed", False):
        page.screenshot(path=str(shots / "failure.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call" and report.failed:
        item.rep_call_failed = True  # type: ignore[attr-defined]
