"""Helpers of the working pages' browser tests: a tab at desktop or phone width in English or Russian, logging
in without relying on the labels' language, and a screenshot saved when the test fails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

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
    assert box["x"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= width + 1, (selector, box)


def shot(page: Page, directory: Path, name: str, look: Look) -> None:
    page.screenshot(path=str(directory / f"{name}-{look.width}-{look.lang}.png"), full_page=True)
