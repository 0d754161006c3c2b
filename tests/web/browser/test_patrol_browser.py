"""Patrols in a real Chromium: the planning form drawn on a 390-pixel phone, and the map's movement layers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from web.browser.driving import Server, log_in, shot, wait_for_map

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
