"""Issue 17 parts 5 and 7 in Chromium, at desktop and 390 px, in English and Russian: the history in sentences
with a link to each log entry and its proof; the overview as of the demo's last day, with what needs doing."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from support import loopback
from web.browser.driving import PASSWORD, Server
from web.browser.work import Look, enter, fits, shot

TEXT = {
    "en": {"verdict": "Verdict", "proof": "Inclusion proof", "owed": "owes"},
    "ru": {"verdict": "Решение", "proof": "Доказательство включения",
           "owed": "должна вынести"},
}  # fmt: skip


def test_history_in_sentences_links_to_the_entry(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": "verifier-ru", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    listed = loopback.get(f"{server.url}/api/v1/missions/nk-2020/incidents", params={"status": "confirmed", "limit": 1},
                       headers=headers, timeout=30)  # fmt: skip
    incident_id = listed.json()["features"][0]["id"]
    enter(page, server, "verifier-ru", f"/m/nk-2020/incidents/{incident_id}")
    history = page.locator("ol.history li")
    # Filed by a monitor or alleged by a side, on the record's own day in 2020 (not the day the log wrote it).
    expect(history.first).to_contain_text(re.compile(r"^2020-1[12]-\d\d .*(monitor-ru|liaison-a[mz])"))
    expect(page.locator("ol.history")).to_contain_text(TEXT[look.lang]["verdict"])
    if look.phone:
        fits(page, "ol.history", look.width)
    shot(page, shots, "history", look)
    history.last.locator("a").click()
    expect(page.locator("h2").filter(has_text=TEXT[look.lang]["proof"])).to_be_visible()
    expect(page.locator("#leaf-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(page.locator("#root")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))


def test_the_overview_as_of_the_last_day_with_what_needs_doing(
    tab: Page, server: Server, shots: Path, look: Look
) -> None:
    page = tab
    enter(page, server, "verifier-tr", "/m/nk-2020/")
    day = page.locator("#f-as_of").input_value()
    assert "2020-12-01" <= day <= "2020-12-31"  # the demo's own days, not today's empty one
    assert int(page.locator("[data-stat=today]").inner_text().replace(",", "").replace("\xa0", "")) > 0
    owed = page.locator("[data-action=owed]")
    expect(owed).to_contain_text(TEXT[look.lang]["owed"])
    shot(page, shots, "overview", look)
    page.locator("#f-as_of").fill("2020-11-15")
    page.locator("#as-of-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"as_of=2020-11-15"))
    expect(page.locator("#f-as_of")).to_have_value("2020-11-15")
    owed.locator("a").click()
    expect(page.locator("#queue-mine")).to_be_visible()


SILENT = {"en": "Phones that have not reported", "ru": "Телефоны, не передававшие данных"}
NEVER = {"en": "never sent anything", "ru": "ещё ничего не отправлял"}


def test_the_overview_maps_the_week_and_names_quiet_phones(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    name = f"tr-phone-{look.width}-{look.lang}"
    made = loopback.post(f"{server.url}/api/v1/missions/nk-2020/devices", json={"name": name, "delegation": "tr"},
                      headers=headers, timeout=30)  # fmt: skip
    assert made.status_code == 201, made.text
    enter(page, server, "verifier-tr", "/m/nk-2020/")
    phones = page.locator("#silent-phones")
    expect(phones.locator("h2")).to_have_text(SILENT[look.lang])
    expect(phones.locator(f"[data-phone='{name}']")).to_contain_text(NEVER[look.lang])
    # The small map draws the week's incidents over the mission's places, within the window's width.
    small = page.locator("#overview-map")
    small.scroll_into_view_if_needed()
    expect(small).to_have_attribute("data-drawn", re.compile(r"^[1-9]\d*$"), timeout=20_000)
    expect(small.locator(".incident-icon").first).to_be_attached()
    fits(page, "#overview-map", look.width)
    shot(page, shots, "overview-map", look)
