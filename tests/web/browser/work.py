"""Helpers of the working pages' browser tests: a tab at desktop or phone width in English or Russian, logging
in without relying on the labels' language, and a screenshot saved when the test fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from web.browser.driving import PASSWORD, Server


@dataclass(frozen=True)
class Look:
    """How a person sees the pages: the window's width and the language."""

    width: int
    height: int
    locale: str

    @property
    def lang(self) -> str:
        return self.locale[:2]

    @property
    def phone(self) -> bool:
        return self.width <= 400


LOOKS = {
    "desktop-en": Look(1280, 860, "en-GB"),
    "desktop-ru": Look(1280, 860, "ru-RU"),
    "phone-en": Look(390, 844, "en-GB"),
    "phone-ru": Look(390, 844, "ru-RU"),
}


@pytest.fixture(params=list(LOOKS))
def look(request: pytest.FixtureRequest) -> Look:
    return LOOKS[str(request.param)]


@pytest.fixture
def tab(browser: Browser, look: Look, shots: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context at the look's size and language; a screenshot on failure; no JavaScript errors allowed."""
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


def enter(page: Page, server: Server, username: str, path: str) -> None:
    """Log in through the form (by field names, so in any language) and land on `path`."""
    page.goto(f"{server.url}/login?next={path}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()


def fits(page: Page, selector: str, width: int) -> None:
    """The element is no wider than the window (nothing of it is cut off at the right on a phone)."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (selector, box)


def shot(page: Page, directory: Path, name: str, look: Look) -> None:
    page.screenshot(path=str(directory / f"{name}-{look.width}-{look.lang}.png"), full_page=True)
