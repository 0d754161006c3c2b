"""A phone-sized screen, the keyboard alone, and the language switch, in a real Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from web.browser.driving import PASSWORD, Server, log_in, shot, wait_for_map

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0: nothing to scroll sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("path", ["/m/nk-2020/", "/m/nk-2020/map", "/m/nk-2020/incidents", "/m/nk-2020/incidents/new"])
def test_pages_fit_a_390_pixel_screen(phone: Page, server: Server, shots: Path, path: str) -> None:
    log_in(phone, server, "monitor-ru", path)
    if path.endswith("/map"):
        wait_for_map(phone)
    assert overflow(phone) == 0
    expect(phone.locator("h1").first).to_be_attached()
    shot(phone, shots, "phone" + path.replace("/", "-"), full_page=True)


def test_the_keyboard_alone_logs_in_and_reaches_the_content(page: Page, server: Server, shots: Path) -> None:
    page.goto(f"{server.url}/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.get_by_label("User name").focus()
    page.keyboard.type("verifier-ru")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # Every navigation entry is reachable with Tab, and the current page is marked for screen readers.
    page.get_by_role("link", name="Incidents").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Incidents")).to_have_attribute("aria-current", "page")
    shot(page, shots, "keyboard")


def test_status_is_never_told_by_colour_alone(page: Page, server: Server) -> None:
    log_in(page, server, "analyst-ru", "/m/nk-2020/incidents")
    statuses = page.locator("#incident-table [data-status]")
    expect(statuses.first).to_be_visible()
    for text in statuses.all_inner_texts()[:20]:
        assert re.match(r"^\W\s+\w", text), text  # a symbol, then the word


def test_the_user_picks_russian(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "liaison-am", "/m/nk-2020/")
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    expect(page.get_by_role("link", name="Карта")).to_be_visible()
    page.get_by_role("link", name="Карта").click()
    wait_for_map(page)
    expect(page.locator(".legend")).to_contain_text("Линия соприкосновения")
    shot(page, shots, "map-ru")


def test_the_list_filters_and_pages_in_place(page: Page, server: Server) -> None:
    log_in(page, server, "analyst-ru", "/m/nk-2020/incidents")
    page.evaluate("window.sameDocument = true")
    page.get_by_role("combobox", name="Status", exact=True).select_option("confirmed")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"status=confirmed"))
    expect(page.locator("#incident-table [data-status]").first).to_have_attribute("data-status", "confirmed")
    statuses = page.locator("#incident-table [data-status]").evaluate_all("els => els.map(e => e.dataset.status)")
    assert set(statuses) == {"confirmed"}
    page.get_by_role("link", name=re.compile("Next")).click()
    expect(page).to_have_url(re.compile(r"after="))
    expect(page.get_by_text("Page 2")).to_be_visible()
    # htmx swapped the region: the page itself was never reloaded.
    assert page.evaluate("window.sameDocument") is True


def test_pages_opened_one_after_another_fetch_the_offline_forms_once_per_reader(page: Page, server: Server) -> None:
    """Each page a member opens asks the service worker to keep the forms and map layers for offline use. Pages
    opened within a minute of each other do not fetch them again; a change of language (another reader) does."""
    fetched: list[str] = []
    page.context.on("request", lambda request: fetched.append(request.url) if request.service_worker else None)
    log_in(page, server, "monitor-ru", "/m/nk-2020/incidents")
    page.locator("#outbox[data-kept]").wait_for(state="attached")
    keep = json.loads(page.locator("#outbox").get_attribute("data-keep") or "[]")
    pages = {server.url + path for path in keep if "basemap" not in path}
    assert len(pages) >= 5, keep

    def kept() -> dict[str, int]:
        return {url: fetched.count(url) for url in sorted(pages)}

    assert kept() == dict.fromkeys(sorted(pages), 1)
    for path in ("/m/nk-2020/provisions", "/m/nk-2020/incidents?type=explosion"):
        page.goto(server.url + path)
        page.locator("#outbox[data-kept]").wait_for(state="attached")
    assert kept() == dict.fromkeys(sorted(pages), 1)  # the same reader: kept a moment ago, not fetched again
    page.context.add_cookies([{"name": "truce_lang", "value": "ru", "url": server.url}])
    page.goto(server.url + "/m/nk-2020/provisions")
    page.locator("#outbox[data-kept]").wait_for(state="attached")
    ru = {url.replace("lang=en", "lang=ru") for url in pages}
    assert {url: fetched.count(url) for url in sorted(ru - pages)} == dict.fromkeys(sorted(ru - pages), 1)
    assert {url: fetched.count(url) for url in sorted(pages & ru)} == dict.fromkeys(sorted(pages & ru), 2)
