"""Every page on a 390-pixel phone, in both languages: nothing wider than the screen, a folding menu, lists as
cards, the map above its filter drawer, and tap targets of at least 44 by 44 pixels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from mission_examples import DEMO_SLUG
from web.browser.driving import PASSWORD, Server, shot, wait_for_map
from web.crawling import crawl

PHONE = {"width": 390, "height": 844}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# Controls a finger must hit: buttons, fields, menus of choices, the menu's links, links styled as buttons.
TARGETS = (
    "button, .button, .button-link, select, .nav a, "
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file])"
)
SMALL_TARGETS = """(selector) => Array.from(document.querySelectorAll(selector)).filter((el) => {
  const box = el.getBoundingClientRect();
  const shown = box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden";
  return shown && (box.height < 43.5 || box.width < 43.5);
}).map((el) => el.outerHTML.slice(0, 120))"""
WIDE = """() => Array.from(document.querySelectorAll("body *")).filter((el) => {
  const box = el.getBoundingClientRect();
  return box.right > window.innerWidth + 1 && getComputedStyle(el).position !== "fixed"
    && !el.closest(".leaflet-container");
}).slice(0, 5).map((el) => el.tagName + "." + el.className + " " + (el.textContent || "").trim().slice(0, 60))"""


@contextmanager
def _session(server: Server, username: str) -> Iterator[httpx.Client]:
    """An HTTP session logged in through the login form, to list the pages the account reaches."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        token = TOKEN.search(client.get("/login").text)
        assert token
        form = {"csrf_token": token.group(1), "username": username, "password": PASSWORD}
        answer = client.post("/login", data=form)
        assert answer.status_code == 303, answer.text[:300]
        yield client


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    # No service worker: a page's layout does not depend on one (the offline modules test it), and it kept a copy
    # of every page the crawl opened.
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, service_workers="block"
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _enter(phone: Page, client: httpx.Client, locale: str) -> None:
    """The browser takes over the HTTP session's cookie, and the language as the switch would set it."""
    for name, value in client.cookies.items():
        phone.context.add_cookies([{"name": name, "value": value, "url": str(client.base_url)}])
    phone.context.add_cookies([{"name": "truce_lang", "value": locale, "url": str(client.base_url)}])


@pytest.mark.parametrize("locale", ["en", "ru"])
@pytest.mark.parametrize("username", ["admin", "liaison-am", "humanitarian-unhcr"])
def test_every_page_fits_a_phone(phone: Page, server: Server, shots: Path, username: str, locale: str) -> None:
    with _session(server, username) as client:
        paths = [page.path for page in crawl(client, slug=DEMO_SLUG)]  # type: ignore[arg-type]
        _enter(phone, client, locale)
    assert len(paths) >= 5, paths
    problems: dict[str, object] = {}
    for path in paths:
        phone.goto(server.url + path)
        if path.endswith("/map"):
            wait_for_map(phone)
        wider = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if wider > 0:
            problems[path] = {"wider by": wider, "what": phone.evaluate(WIDE)}
            shot(phone, shots, "wide" + re.sub(r"\W", "-", path), full_page=True)
            continue
        small = phone.evaluate(SMALL_TARGETS, TARGETS)
        if small:
            problems[path] = {"small targets": small[:4]}
    assert not problems, problems


def test_the_menu_folds_and_opens(phone: Page, server: Server) -> None:
    with _session(server, "admin") as client:
        _enter(phone, client, "en")
    phone.goto(server.url + "/m/nk-2020/incidents")
    header = phone.locator("header.top").bounding_box()
    assert header is not None
    assert header["height"] <= 64, header  # a line, not a third of the screen
    toggle = phone.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(phone.get_by_role("link", name="Verification")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    places = phone.get_by_role("link", name="Places")
    expect(places).to_be_visible()
    assert not phone.evaluate(SMALL_TARGETS, TARGETS)
    places.click()
    expect(phone).to_have_url(re.compile(r"/admin/places$"))


def test_lists_become_cards_and_the_map_comes_before_its_filters(phone: Page, server: Server) -> None:
    with _session(server, "monitor-ru") as client:
        _enter(phone, client, "en")
    phone.goto(server.url + "/m/nk-2020/incidents")
    row = phone.locator("table.data.cards tbody tr").first
    expect(row).to_be_visible()
    assert row.evaluate("(tr) => getComputedStyle(tr).display") == "block"
    assert row.locator("td[data-label]").count() >= 2
    phone.goto(server.url + "/m/nk-2020/map")
    wait_for_map(phone)
    drawer = phone.locator("details.drawer")
    assert drawer.get_attribute("open") is None, "the filters start folded on a phone"
    map_box, drawer_box = phone.locator("#map").bounding_box(), drawer.bounding_box()
    assert map_box is not None
    assert drawer_box is not None
    assert map_box["y"] < drawer_box["y"]
    phone.get_by_text("Filters", exact=True).click()
    expect(phone.get_by_label("From", exact=True)).to_be_visible()


def test_a_wide_screen_keeps_the_menu_and_filters_open(page: Page, server: Server) -> None:
    with _session(server, "monitor-ru") as client:
        _enter(page, client, "en")
    page.goto(server.url + "/m/nk-2020/incidents")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("link", name="Verification")).to_be_hidden()  # not a verifier's menu
    expect(page.get_by_role("link", name="Map")).to_be_visible()
    expect(page.get_by_label("From", exact=True)).to_be_visible()
    assert page.locator("table.data thead").first.is_visible()


def test_a_failed_submit_moves_focus_to_a_summary_naming_each_field(page: Page, server: Server) -> None:
    with _session(server, "monitor-ru") as client:
        _enter(page, client, "en")
    page.goto(server.url + "/account/password")
    page.get_by_role("button", name="Change the password").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Current password: This field is required.")).to_be_visible()
    summary.get_by_role("link", name="New password again: This field is required.").click()
    expect(page.get_by_label("New password again")).to_be_focused()
