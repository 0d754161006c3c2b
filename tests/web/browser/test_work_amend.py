"""Issue 17 part 3 in Chromium, at desktop and 390 px, in English and Russian: the author amends an incident in
the form filled in with it, then retracts it; a verifier marks a likely duplicate as such."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from support import loopback
from web.browser.driving import PASSWORD, Server, wait_for_map
from web.browser.work import Look, enter, shot

DAYS = {(1280, "en"): "2020-12-06", (1280, "ru"): "2020-12-07", (390, "en"): "2020-12-08", (390, "ru"): "2020-12-09"}


def file_by_api(server: Server, account: str, lon: float, day: str) -> int:
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": account, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, 39.75]},
        "properties": {"type": "air", "subtype": "drone_overflight", "start": f"{day}T10:00:00+04:00",
                       "source": "post", "narrative": "Drone over the post (amend test)."},
    }  # fmt: skip
    answer = loopback.post(f"{server.url}/api/v1/missions/nk-2020/incidents", json=feature, headers=headers, timeout=30)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_the_author_amends_then_retracts(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    incident_id = file_by_api(server, "monitor-ru", 46.75, "2020-12-05")
    enter(page, server, "monitor-ru", f"/m/nk-2020/incidents/{incident_id}")
    page.locator("#author-actions a.button").click()
    wait_for_map(page)
    expect(page.locator("#f-narrative")).to_have_value("Drone over the post (amend test).")
    page.locator("#f-narrative").fill("Drone over the post, circling twice (amended).")
    page.locator("#incident-form button[type=submit]").click()
    expect(page.locator("#changed-notice")).to_be_visible()
    expect(page.locator(".narrative")).to_contain_text("circling twice")
    shot(page, shots, "amended", look)
    # Retracting asks first, and works from the keyboard: the question opens, then the answer is given.
    confirm = page.locator("#retract-confirm button[type=submit]")
    expect(confirm).to_be_hidden()
    page.locator("#retract-confirm summary").focus()
    page.keyboard.press("Enter")
    expect(confirm).to_be_visible()
    expect(page.locator("#retract-question")).to_be_visible()
    shot(page, shots, "retract-question", look)
    confirm.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#changed-notice")).to_be_visible()
    expect(page.locator("[data-status=retracted]").first).to_be_visible()
    expect(page.locator("#author-actions")).to_have_count(0)


def test_a_verifier_marks_a_duplicate(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    # A day of its own for each look, so that no earlier look's pair is among the duplicates.
    day = DAYS[(look.width, look.lang)]
    first = file_by_api(server, "monitor-ru", 46.9, day)
    second = file_by_api(server, "verifier-tr", 46.9015, day)
    enter(page, server, "verifier-ru", f"/m/nk-2020/incidents/{second}")
    row = page.locator(f"[data-duplicate='{first}']")
    expect(row).to_be_visible()
    shot(page, shots, "duplicates", look)
    row.locator("button[type=submit]").click()
    expect(page.locator("#changed-notice")).to_be_visible()
    expect(page.locator("#merged-into a")).to_have_attribute("href", f"/m/nk-2020/incidents/{first}")
