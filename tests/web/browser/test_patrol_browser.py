"""Patrols in a real Chromium: the planning form drawn on a 390-pixel phone, and the map's movement layers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from patrol_support import patrol_body
from support import loopback
from truce.demo.loader import DEMO_PASSWORD
from web.browser.driving import Server, log_in, shot, wait_for_map
from web.browser.test_phone import SMALL_TARGETS, TARGETS

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def test_plan_a_patrol_by_drawing_its_route_on_a_phone(phone: Page, server: Server, shots: Path) -> None:
    log_in(phone, server, "monitor-ru", "/m/nk-2020/patrols/new")
    expect(phone.locator("body")).to_have_attribute("data-map-ready", "0")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    board = phone.locator("#patrol-map")
    box = board.bounding_box()
    assert box is not None
    for fx, fy in ((0.3, 0.6), (0.5, 0.5), (0.7, 0.4)):
        board.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
    expect(phone.locator("body")).to_have_attribute("data-route-points", "3")
    phone.get_by_role("button", name="Remove the last point").click()
    expect(phone.locator("body")).to_have_attribute("data-route-points", "2")
    assert phone.locator("#f-route").input_value().count(";") == 1
    phone.locator("#f-name").fill("Drawn on a phone")
    phone.locator("#f-date").fill("2020-11-24")
    shot(phone, shots, "patrol-new-390", full_page=True)
    phone.get_by_role("button", name="Plan the patrol").click()
    expect(phone.locator("#patrols")).to_contain_text("Drawn on a phone")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0


def test_the_map_draws_the_movement_layers(page: Page, server: Server, shots: Path) -> None:
    log_in(page, server, "analyst-ru", "/m/nk-2020/map")
    wait_for_map(page)
    # The demo's four restrictions, as diamonds; then only the denials.
    expect(page.locator("body")).to_have_attribute("data-restrictions-shown", "4")
    expect(page.locator(".restriction-icon")).to_have_count(4)
    page.locator("#restriction-category").select_option("denial")
    expect(page.locator("body")).to_have_attribute("data-restrictions-shown", "2")
    shot(page, shots, "map-movement")


def test_the_patrol_screen_records_the_phones_position_in_batches(
    browser: Browser, server: Server, shots: Path
) -> None:
    """A phone at 390 px with geolocation granted and emulated: positions recorded while it moves, sent in batches."""
    # No service worker: once one controls the page it fetches the screen's script itself, out of `page.route`'s
    # sight, and the script could not be held back below (a run met that race).
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  geolocation={"latitude": 39.556, "longitude": 46.41, "accuracy": 12},
                                  permissions=["geolocation"], service_workers="block")  # fmt: skip
    context.set_default_timeout(20_000)
    page = context.new_page()
    headers = bearer(server)
    planned = loopback.post(f"{server.url}/api/v1/missions/nk-2020/patrols", json=patrol_body(), headers=headers)
    assert planned.status_code == 201, planned.text
    try:
        log_in(page, server, "monitor-ru", "/m/nk-2020/patrols")
        held: list[Route] = []  # the screen's script, held back as a slow network would
        page.route("**/static/js/patrol-record.js", lambda route: held.append(route))
        page.locator(f"a[href='/m/nk-2020/patrols/{planned.json()['id']}/record']").click()
        expect(page.get_by_role("heading", name="Record the patrol")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
        # Until the script listens, a tap on Start would be lost: the button waits, disabled.
        start = page.get_by_role("button", name="Start recording")
        expect(start).to_be_disabled()
        assert start.evaluate("button => getComputedStyle(button).opacity") == "0.5"  # and looks it
        [script] = held
        script.continue_()
        start.click()
        expect(page.locator("#record-count")).to_have_text("1")
        for step in range(1, 7):  # the patrol moves east; each new position reaches the page
            context.set_geolocation({"latitude": 39.556 + step * 0.001, "longitude": 46.41 + step * 0.002,
                                     "accuracy": 10 + step})  # fmt: skip
            expect(page.locator("#record-count")).to_have_text(str(step + 1))
        # Five positions make a batch: sent while recording.
        expect(page.locator("body")).to_have_attribute("data-positions-sent", "5")
        expect(page.locator("#record-accuracy")).to_have_text("16 m")
        shot(page, shots, "patrol-record-390", full_page=True)
        page.get_by_role("button", name="Stop and send").click()
        expect(page.locator("body")).to_have_attribute("data-positions-sent", "7")
        expect(page.locator("#record-message")).to_have_text("Stopped; every position was sent.")
        track_id = page.locator("body").get_attribute("data-track-id")
        assert track_id
    finally:
        context.close()
    # The track, as the API shows it: the page's, timed, with the seven positions and their accuracy.
    tracks = loopback.get(f"{server.url}/api/v1/missions/nk-2020/patrols/{planned.json()['id']}/track", headers=headers)
    [track] = tracks.json()["features"]
    assert str(track["id"]) == track_id
    props = track["properties"]
    assert (props["source"], props["timed"], props["point_count"]) == ("page", True, 7)


def bearer(server: Server) -> dict[str, str]:
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": "monitor-ru", "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_the_patrol_screen_in_russian(phone: Page, server: Server) -> None:
    planned = loopback.post(f"{server.url}/api/v1/missions/nk-2020/patrols", json=patrol_body(), headers=bearer(server))
    log_in(phone, server, "monitor-ru", "/m/nk-2020/patrols")
    phone.context.add_cookies([{"name": "truce_lang", "value": "ru", "url": server.url}])
    phone.goto(f"{server.url}/m/nk-2020/patrols/{planned.json()['id']}/record")
    expect(phone.locator("#record-start")).to_have_text("Начать запись")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0


def test_the_restriction_form_fits_a_phone_and_files_one(phone: Page, server: Server, shots: Path) -> None:
    log_in(phone, server, "monitor-ru", "/m/nk-2020/patrols")
    phone.get_by_role("link", name="Record a restriction").click()
    expect(phone.get_by_role("heading", name="Record a restriction of movement")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0
    assert phone.evaluate(SMALL_TARGETS, TARGETS) == []
    phone.select_option("#f-category", "conditional_access")
    phone.select_option("#f-kind", "checkpoint")
    phone.fill("#f-start", "2020-11-23T14:00")
    phone.select_option("#f-site_id", index=1)
    phone.fill("#f-narrative", "Filed on a phone")
    shot(phone, shots, "restriction-new-390", full_page=True)
    phone.get_by_role("button", name="Record the restriction").click()
    expect(phone.locator("#recorded")).to_contain_text("recorded")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") == 0


def test_the_maps_restriction_filters_fold_on_a_phone(phone: Page, server: Server, shots: Path) -> None:
    log_in(phone, server, "monitor-ru", "/m/nk-2020/map")
    wait_for_map(phone)
    box = phone.locator(".movement-filters")
    expect(box).to_be_visible()
    # Folded, as the legend is: a line at the foot of the map, not its lower third.
    assert box.locator("details").get_attribute("open") is None
    expect(phone.locator("#restriction-category")).to_be_hidden()
    folded, board = box.bounding_box(), phone.locator("#map").bounding_box()
    assert folded is not None
    assert board is not None
    assert folded["height"] < board["height"] / 8, (folded, board)
    assert phone.evaluate(SMALL_TARGETS, ".movement-filters summary") == []
    box.locator("summary").click()
    expect(phone.locator("#restriction-category")).to_be_visible()
    phone.locator("#restriction-category").select_option("denial")
    expect(phone.locator("body")).to_have_attribute("data-restrictions-shown", "2")
    expect(box.get_by_role("link", name="Record a restriction")).to_have_attribute(
        "href", "/m/nk-2020/restrictions/new"
    )
    shot(phone, shots, "map-movement-filters-390")
