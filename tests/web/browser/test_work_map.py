"""Issue 17 part 6 in Chromium, at desktop and 390 px, in English and Russian: cluster icons show their mix of
statuses (a disputed incident cannot hide among confirmed ones), and "Show on the map" centres on the incident
and opens its popup with subtype, time, place and source."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from support import loopback
from web.browser.driving import PASSWORD, Server, wait_for_map
from web.browser.work import Look, enter, shot

DISPUTED = {"en": "Disputed", "ru": "Оспаривается"}


def first_disputed(server: Server) -> dict[str, object]:
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": "verifier-ru", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    listed = loopback.get(f"{server.url}/api/v1/missions/nk-2020/incidents", params={"status": "disputed", "limit": 1},
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
    # The map loads every marker, then zooms to the incident and opens its popup: slower on a busy machine, and
    # slowest as the module's first test (a cold server and browser; CI saw 20 s run out once).
    expect(popup).to_contain_text(f"#{feature['id']}", timeout=60_000)
    expect(popup).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"))
    expect(popup.locator("a")).to_have_attribute("href", re.compile(rf"/incidents/{feature['id']}$"))
    shot(page, shots, "show-on-map", look)


ALLEGATIONS = {"en": "Allegations of a party", "ru": "Заявления сторон"}
UP_TO = {"en": "Up to ", "ru": "по "}


def open_filters(page: Page) -> None:
    """On a phone the filters' drawer starts closed; open it as a person would."""
    drawer = page.locator("details[data-drawer]")
    if drawer.get_attribute("open") is None:
        drawer.locator("summary").click()


def drawn(page: Page) -> int:
    return int(page.locator("#map").get_attribute("data-drawn") or "-1")


def test_filters_slider_presets_labels_and_legend(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    enter(page, server, "verifier-ru", "/m/nk-2020/map")
    everything = wait_for_map(page)
    # Labels never overlap: a settlement's label that would cover another is hidden until a zoom makes room.
    boxes = page.locator(".leaflet-tooltip.place-label:not(.label-hidden)").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]), (a, b)
    # The legend folds away on a phone and stands open on a desk.
    legend = page.locator(".legend details")
    assert (legend.get_attribute("open") is None) == look.phone
    # Source: the allegations only, drawn without leaving the page; the address says what is shown.
    open_filters(page)
    page.locator("#f-source").select_option(label=ALLEGATIONS[look.lang])
    page.locator("#map-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"source=party"))
    page.locator("body[data-map-ready]").wait_for(state="attached")
    allegations = drawn(page)
    assert 0 < allegations < everything
    # The time slider, with the keyboard: back to the first day, fewer incidents, the day written as pages do.
    slider = page.locator("#time-slider-day")
    expect(slider).to_be_visible()
    slider.focus()
    page.keyboard.press("Home")
    expect(page.locator("#time-slider-shown")).to_contain_text(re.compile(UP_TO[look.lang] + r"\d{4}-\d\d-\d\d"))
    assert drawn(page) < allegations
    page.keyboard.press("End")
    expect(page.locator("#map")).to_have_attribute("data-drawn", str(allegations))
    shot(page, shots, "map-filters", look)
    # A date preset: seven days ending on the latest day with incidents, said back in the page's own words.
    open_filters(page)
    preset = page.locator(".date-presets a").nth(1)
    first, last = preset.get_attribute("data-since"), preset.get_attribute("data-until")
    preset.click()
    wait_for_map(page)
    period = {"en": f"from {first} to {last}", "ru": f"с {first} по {last}"}[look.lang]
    open_filters(page)
    expect(page.locator(".filter-period")).to_contain_text(period)
    expect(page.locator("#f-since")).to_have_value(str(first))
    assert 0 < drawn(page) < everything
