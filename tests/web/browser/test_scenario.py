"""The issue's scenario in a real Chromium: log in, the map, a filter, filing by clicking the map,
joint verification by two delegations, a restricted incident kept from a liaison officer, log out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from support import loopback
from web.browser.driving import PASSWORD, Server, log_in, log_out, shot, wait_for_map

MAP = "/m/nk-2020/map"
FILED: dict[str, int] = {}


def api(server: Server, username: str, path: str, **params: Any) -> Any:
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    answer = loopback.get(f"{server.url}/api/v1/missions/nk-2020{path}", params=params, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_log_in_and_the_map_shows_the_posts_and_the_incidents(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "monitor-ru", MAP)
    expect(page).to_have_url(re.compile(MAP + "$"))
    drawn = wait_for_map(page)
    expected = len(api(server, "monitor-ru", "/incidents", limit=10000)["features"])
    assert drawn == expected > 300
    expect(page.locator("[data-site-kind=post]")).to_have_count(23)
    expect(page.locator(".place-label", has_text="Stepanakert / Khankendi")).to_be_visible()
    expect(page.locator(".legend")).to_contain_text("Line of contact")
    shot(page, shots, "map")
    # The map responds: zooming in breaks clusters into markers shaped by status; a click opens a summary.
    page.locator(".leaflet-control-zoom-in").click()
    page.locator(".leaflet-control-zoom-in").click()
    page.locator(".incident-icon").first.wait_for()
    # By keyboard, as a person without a mouse would: a marker takes the focus and Enter opens its summary.
    # (A pointer click raced the zoom animation and could land on the filters panel.)
    marker = page.locator(".incident-icon").first
    marker.focus()
    marker.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("#")
    expect(popup.get_by_role("link", name="Details")).to_have_attribute("href", re.compile(r"/incidents/\d+$"))
    shot(page, shots, "map-popup")


def test_filter_the_map_by_status(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "verifier-ru", MAP)
    wait_for_map(page)
    page.get_by_role("combobox", name="Status", exact=True).select_option("disputed")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"status=disputed"))
    drawn = wait_for_map(page)
    disputed = api(server, "verifier-ru", "/incidents", status="disputed", limit=10000)["features"]
    assert drawn == len(disputed) > 0
    # Only one shape is left on the map: every unclustered marker is a disputed one.
    page.mouse.wheel(0, 0)
    classes = page.locator(".incident-icon").evaluate_all("els => els.map(e => e.className)")
    assert all("status-disputed" in c for c in classes)
    shot(page, shots, "map-disputed")


def test_file_an_incident_by_clicking_the_map(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "monitor-ru", "/m/nk-2020/")
    page.get_by_role("link", name="Report an incident").click()
    page.get_by_role("combobox", name="Type", exact=True).select_option("explosion")
    page.get_by_role("combobox", name="Subtype", exact=True).select_option("mortar")
    page.get_by_role("textbox", name="Date", exact=True).fill("2020-12-02")
    page.get_by_label("Time", exact=True).fill("14:30")
    page.get_by_role("combobox", name="Source", exact=True).select_option("post")
    page.get_by_label("Narrative").fill("Three mortar impacts heard north-east of the post (browser test).")
    page.locator("#entry-map").wait_for()
    wait_for_map(page)
    entry_map = page.locator("#entry-map")
    box = entry_map.bounding_box()
    assert box is not None
    entry_map.click(position={"x": box["width"] * 0.45, "y": box["height"] * 0.3})
    expect(page.get_by_label("Latitude")).not_to_have_value("")
    shot(page, shots, "entry-filled", full_page=True)
    page.get_by_role("button", name="File the incident").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+\?filed=1$"))
    expect(page.locator("#filed-notice")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("mortar")
    expect(page.locator("[data-status=reported]").first).to_be_visible()
    FILED["id"] = int(page.url.split("?")[0].rsplit("/", 1)[1])
    shot(page, shots, "filed", full_page=True)


def test_a_form_with_mistakes_keeps_what_was_typed(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "monitor-ru", "/m/nk-2020/incidents/new")
    page.get_by_role("combobox", name="Type", exact=True).select_option("fire")
    page.get_by_label("Narrative").fill("Bursts of small-arms fire.")
    page.get_by_role("button", name="File the incident").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#e-date")).to_be_visible()
    expect(page.get_by_label("Narrative")).to_have_value("Bursts of small-arms fire.")
    expect(page.get_by_role("combobox", name="Type", exact=True)).to_have_value("fire")
    shot(page, shots, "entry-errors", full_page=True)


def _verify(page: Page, server: Server, username: str, incident_id: int) -> None:
    log_in(page, server, username, f"/m/nk-2020/incidents/{incident_id}")
    page.get_by_role("link", name="Give your verdict").click()
    page.get_by_label("Confirm").check()
    page.get_by_label("Note").fill(f"Confirmed by {username} from the post's log.")
    page.get_by_role("button", name="Record verdict").click()
    # The verdict is confirmed and the next item of the queue opens; the incident is then read on its page.
    expect(page.locator("#verdict-notice")).to_contain_text(f"incident {incident_id} is recorded")
    page.goto(f"{server.url}/m/nk-2020/incidents/{incident_id}")


def filed_incident(server: Server) -> int:
    """The incident the filing test made in this process; else one the monitor files now through the API.

    Under pytest-xdist the tests of this module may run in different processes, each with its own server.
    """
    if "id" in FILED:
        return FILED["id"]
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": "monitor-ru", "password": PASSWORD})
    answer = loopback.post(
        f"{server.url}/api/v1/missions/nk-2020/incidents",
        json={
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [46.78, 39.84]},
            "properties": {
                "type": "explosion",
                "subtype": "mortar",
                "start": "2020-12-02T14:30:00+04:00",
                "source": "post",
                "narrative": "Three mortar impacts heard north-east of the post (browser test).",
            },
        },
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    FILED["id"] = int(answer.json()["id"])
    return FILED["id"]


def test_two_delegations_confirm_it(page: Page, server: Server, shots: Path) -> None:
    incident_id = filed_incident(server)
    _verify(page, server, "verifier-ru", incident_id)
    expect(page.locator("#verdicts")).to_contain_text("Confirmed by verifier-ru")
    expect(page.locator("p [data-status]")).not_to_have_attribute("data-status", "confirmed")
    log_out(page)
    _verify(page, server, "verifier-tr", incident_id)
    expect(page.locator("p [data-status=confirmed]")).to_be_visible()
    expect(page.locator("#verdicts tbody tr")).to_have_count(2)
    shot(page, shots, "confirmed", full_page=True)


def test_a_liaison_officer_cannot_open_a_restricted_incident(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "monitor-ru", "/m/nk-2020/incidents/new")
    page.get_by_role("combobox", name="Type", exact=True).select_option("movement")
    page.get_by_role("combobox", name="Subtype", exact=True).select_option("fortification_works")
    page.get_by_role("textbox", name="Date", exact=True).fill("2020-12-03")
    page.get_by_role("combobox", name="Source", exact=True).select_option("patrol")
    page.get_by_label("Latitude").fill("39.90")
    page.get_by_label("Longitude").fill("46.85")
    page.get_by_role("combobox", name="Classification", exact=True).select_option("restricted")
    page.get_by_label("Russian peacekeeping contingent").check()
    page.get_by_role("button", name="File the incident").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+\?filed=1$"))
    secret_url = page.url
    log_out(page)
    log_in(page, server, "liaison-am", "/m/nk-2020/")
    response = page.goto(secret_url)
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    shot(page, shots, "liaison-404")


def test_log_out_leaves_only_the_public_view(page: Page, server: Server) -> None:
    log_in(page, server, "verifier-tr", "/m/nk-2020/verification")
    log_out(page)
    page.goto(f"{server.url}/m/nk-2020/verification")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fm%2Fnk-2020%2Fverification$"))
    # nk-2020 is a public mission: its public records stay readable without logging in.
    page.goto(f"{server.url}{MAP}")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="Report an incident")).to_have_count(0)
