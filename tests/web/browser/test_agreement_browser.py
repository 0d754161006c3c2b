"""The agreement pages in a real Chromium: the provisions tracker and the returns dashboard as an analyst, at
laptop and phone widths, and a crossing recorded through the form by the humanitarian officer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize, expect

from support import loopback
from web.browser.driving import PASSWORD, Server, log_in, shot

PROVISIONS = "/m/nk-2020/provisions"
RETURNS = "/m/nk-2020/returns"
PHONE: ViewportSize = {"width": 390, "height": 844}


def api(server: Server, username: str, path: str) -> Any:
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    answer = loopback.get(f"{server.url}/api/v1/missions/nk-2020{path}", headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def day(n: int) -> re.Pattern[str]:
    """A November 2020 day as the pages write it in English (Babel: "Nov 15, 2020")."""
    return re.compile(f"Nov {n}, 2020")


def no_sideways_scroll(page: Page) -> None:
    # The page itself never scrolls sideways at phone width; wide tables scroll inside their own box.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_the_tracker_shows_the_kalbajar_extension(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "analyst-ru", PROVISIONS)
    kalbajar = page.locator("article.provision", has_text="Kalbajar")
    expect(kalbajar).to_have_count(1)
    deadline = kalbajar.locator("dd .deadline")
    expect(deadline).to_have_attribute("data-deadline", "2020-11-25")
    expect(deadline.locator("del")).to_have_text(day(15))
    expect(deadline).to_contain_text(day(25))
    extension = kalbajar.locator('[data-extension="2020-11-15:2020-11-25"]')
    expect(extension).to_contain_text(re.compile(f"from {day(15).pattern} to {day(25).pattern}"))
    expect(kalbajar.locator(".level-timeline .step")).to_have_count(2)
    expect(kalbajar.locator(".level-timeline .step").last).to_contain_text("3 · full")
    kalbajar.locator("summary", has_text="Status history").click()
    expect(kalbajar.locator("table.history")).to_contain_text("District handed over on 25 November.")
    assert page.locator("article.provision").count() == len(api(server, "analyst-ru", "/provisions")) == 10
    kalbajar.scroll_into_view_if_needed()
    shot(page, shots, "provisions-1280")
    page.set_viewport_size(PHONE)
    kalbajar.scroll_into_view_if_needed()
    shot(page, shots, "provisions-390")
    no_sideways_scroll(page)


def test_the_returns_dashboard_shows_the_chart_and_the_counters(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "analyst-ru", RETURNS)
    counted = api(server, "analyst-ru", "/movements/returns")
    chart = page.locator("#returns-chart svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", "Cumulative returns")
    assert chart.bounding_box()["height"] > 150  # type: ignore[index]
    expect(page.locator("[data-total]")).to_have_attribute("data-total", str(counted["total"]))
    assert counted["days"][0]["date"] == "2020-11-14"
    expect(page.locator("#settlements tbody tr")).to_have_count(len(counted["settlements"]))
    expect(page.locator("#counters")).to_contain_text("incoming")
    expect(page.locator("#convoys")).to_contain_text("Russian peacekeeping contingent")
    shot(page, shots, "returns-1280", full_page=True)
    page.set_viewport_size(PHONE)
    shot(page, shots, "returns-390", full_page=True)
    no_sideways_scroll(page)


def test_the_humanitarian_officer_records_a_crossing(page: Page, server: Server, shots: Path) -> None:
    before = api(server, "analyst-ru", "/movements/returns")["total"]
    log_in(page, server, "humanitarian-unhcr", RETURNS)
    page.get_by_role("link", name="Record a crossing").click()
    page.get_by_label("Checkpoint").select_option(index=1)
    page.get_by_label("Date").fill("2020-12-02")
    page.get_by_label("Individuals").fill("-5")
    page.get_by_label("Escort").fill("UNHCR")
    page.get_by_role("button", name="Record the crossing").click()
    # A negative count is refused on its field, and what was typed stays.
    expect(page.locator("#e-individuals")).to_be_visible()
    expect(page.get_by_label("Escort")).to_have_value("UNHCR")
    shot(page, shots, "crossing-error", full_page=True)
    page.get_by_label("Individuals").fill("120")
    page.get_by_role("button", name="Record the crossing").click()
    expect(page).to_have_url(re.compile(r"/returns\?recorded=\d+"))
    expect(page.get_by_role("status")).to_contain_text("recorded")
    expect(page.locator("#recent-crossings tr.highlight")).to_contain_text("120")
    shot(page, shots, "crossing-recorded")
    assert api(server, "analyst-ru", "/movements/returns")["total"] == before + 120
