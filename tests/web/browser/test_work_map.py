"""Issue 17 part 6 in Chromium, at desktop and 390 px, in English and Russian: cluster icons show their mix of
statuses (a disputed incident cannot hide among confirmed ones), and "Show on the map" centres on the incident
and opens its popup with subtype, time, place and source."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2 as httpx
from playwright.sync_api import Page, expect

from web.browser.driving import PASSWORD, Server, wait_for_map
from web.browser.work import Look, enter, shot

DISPUTED = {"en": "Disputed", "ru": "Оспаривается"}


def first_disputed(server: Server) -> dict[str, object]:
    token = httpx.post(f"{server.url}/api/v1/auth/token", data={"username": "verifier-ru", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    listed = httpx.get(f"{server.url}/api/v1/missions/nk-2020/incidents", params={"status": "disputed", "limit": 1},
                       headers=headers, timeout=30)  # fmt: skip
    feature: dict[str, object] = listed.json()["features"][0]
    return feature


def test_clusters_show_their_mix_of_statuses(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    enter(page, server, "verifier-ru", "/m/nk-2020/map")
    assert wait_for_map(page) > 300
    clusters = page.locator(".status-cluster svg")
    expect(clusters.first).to_be_visible()
    labels = clusters.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    # Each says its count and the mix; the disputed ones show in some cluster's mix, with their own colour.
    assert all(re.match(r"^\d+: ", label) for label in labels)
    assert any(DISPUTED[look.lang] in label for label in labels)
    assert page.locator(".status-cluster.has-disputed").count() > 0
    shot(page, shots, "clusters", look)


def test_show_on_the_map_opens_the_popup(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    feature = first_disputed(server)
    enter(page, server, "verifier-ru", f"/m/nk-2020/incidents/{feature['id']}")
    page.locator("a[href*='/map#incident=']").click()
    wait_for_map(page)
    popup = page.locator(".leaflet-popup-content")
    # The map loads every marker, then zooms to the incident and opens its popup: slower on a busy machine.
    expect(popup).to_contain_text(f"#{feature['id']}", timeout=20_000)
    expect(popup).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"))
    expect(popup.locator("a")).to_have_attribute("href", re.compile(rf"/incidents/{feature['id']}$"))
    shot(page, shots, "show-on-map", look)
