"""Issue 17 part 4 in Chromium, at desktop and 390 px, in English and Russian: the verification workspace's
queue in two parts with filters, the verify form with the whole incident and a small map, then the verdict's
confirmation and the next item."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from support import loopback
from web.browser.driving import PASSWORD, Server, wait_for_map
from web.browser.work import Look, enter, fits, shot

TEXT = {"en": {"recorded": "is recorded"}, "ru": {"recorded": "записано"}}


def file_by_api(server: Server, narrative: str) -> int:
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": "monitor-ru", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [46.79, 39.88]},
        "properties": {"type": "explosion", "subtype": "artillery", "start": "2020-12-02T08:00:00+04:00",
                       "source": "post", "narrative": narrative, "counts": {"impacts": 4}},
    }  # fmt: skip
    answer = loopback.post(f"{server.url}/api/v1/missions/nk-2020/incidents", json=feature, headers=headers, timeout=30)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_the_queue_and_a_verdict_then_the_next(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    incident_id = file_by_api(server, f"Artillery, verification test {look.width} {look.lang}.")
    enter(page, server, "verifier-tr", "/m/nk-2020/verification")
    expect(page.locator("#queue-mine h2")).to_be_visible()
    expect(page.locator("#queue-other h2")).to_be_visible()
    page.locator("#q-source").select_option("monitor")
    page.locator("#q-sort").select_option("event")
    page.locator(".queue-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"source=monitor.*sort=event"))
    assert int(page.locator("#queue-mine [data-total]").get_attribute("data-total") or "0") > 0
    if look.phone:
        fits(page, ".queue-filters", look.width)
    shot(page, shots, "queue", look)
    page.goto(f"{server.url}/m/nk-2020/incidents/{incident_id}/verify")
    assert wait_for_map(page) == 1
    expect(page.locator("#verify-map .incident-icon")).to_have_count(1)
    expect(page.locator(".verify-facts")).to_contain_text("verification test")
    expect(page.locator("#filer")).to_be_visible()
    page.locator("#v-confirm").check()
    page.locator("#f-note").fill("Crater and fragments seen by the patrol.")
    shot(page, shots, "verify", look)
    page.locator("#verdict-form button[type=submit]").click()
    expect(page.locator("#verdict-notice")).to_contain_text(TEXT[look.lang]["recorded"])
    expect(page.locator("#verdict-notice")).to_contain_text(str(incident_id))
    # The next item is another incident the delegation still owes a verdict on.
    expect(page).to_have_url(re.compile(r"/incidents/(\d+)/verify\?after=" + str(incident_id)))
    assert f"/incidents/{incident_id}/verify" not in page.url
    shot(page, shots, "next", look)
