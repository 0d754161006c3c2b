"""Issue 18 part 4 in Chromium: an administrator draws an area on the map (Leaflet.draw), names it, picks the
party that controls it, and adds it; the page says how many incidents it re-derived, and the area is stored as drawn."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from support import loopback
from web.browser.driving import PASSWORD, Server, shot, wait_for_map
from web.browser.work import enter


def areas(server: Server) -> list[dict[str, object]]:
    token = loopback.post(f"{server.url}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    answer = loopback.get(f"{server.url}/api/v1/missions/nk-2020/areas", headers=headers, timeout=30)
    features: list[dict[str, object]] = answer.json()["features"]
    return features


def test_an_administrator_draws_an_area(page: Page, server: Server, shots: Path) -> None:
    enter(page, server, "admin", "/m/nk-2020/admin/places")
    wait_for_map(page)
    editor = page.locator("#place-draw")
    editor.scroll_into_view_if_needed()
    page.locator(".leaflet-draw-draw-polygon").click()
    box = editor.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    corners = [(x + w * 0.40, y + h * 0.40), (x + w * 0.60, y + h * 0.40), (x + w * 0.55, y + h * 0.62)]
    for cx, cy in corners:
        page.mouse.click(cx, cy)
        page.wait_for_timeout(150)
    page.mouse.click(*corners[0])  # closing on the first vertex finishes the polygon
    expect(page.locator("#draw-status")).to_contain_text("Area drawn")
    form = page.locator("#shape-form")
    geometry = json.loads(form.locator("textarea[name=geometry]").input_value())
    assert geometry["type"] == "Polygon"
    assert len(geometry["coordinates"][0]) == 4  # three corners and the ring closed
    assert form.locator("select[name=kind]").input_value().startswith("area:")
    form.locator("input[name=name]").fill("Drawn buffer")
    form.locator("select[name=kind]").select_option("area:buffer_zone")
    form.locator("select[name=controlled_by]").select_option("az")
    shot(page, shots, "admin-draw-area")
    form.locator("button[type=submit]").click()
    notice = page.locator("#success")
    expect(notice).to_contain_text(re.compile(r"Drawn buffer is added\. \d+ incidents? (had|has)"))
    drawn = [f for f in areas(server) if f["properties"]["name"] == "Drawn buffer"]  # type: ignore[index]
    assert len(drawn) == 1
    assert drawn[0]["properties"]["controlled_by"] == "az"  # type: ignore[index]
    assert drawn[0]["geometry"] == geometry


def test_a_shape_refused_leads_from_the_summary_to_the_shape_form_s_own_field(page: Page, server: Server) -> None:
    """The site and shape forms share field names on one page; the summary names and focuses the shape's field."""
    enter(page, server, "admin", "/m/nk-2020/admin/places")
    form = page.locator("#shape-form")
    form.locator("details").evaluate("details => details.open = true")
    form.locator("select[name=kind]").select_option("area:buffer_zone")
    form.locator("textarea[name=geometry]").fill(
        '{"type": "Polygon", "coordinates": [[[46.6, 39.9], [46.7, 39.9], [46.7, 40.0], [46.6, 39.9]]]}'
    )
    form.locator("button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=re.compile(r"^Name: "))
    link.click()
    expect(form.locator("input[name=name]")).to_be_focused()
