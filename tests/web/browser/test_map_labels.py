"""The map's place labels in Chromium read in the page's language: Cyrillic on a Russian map, with the place's
other names (Степанакерт / Ханкенди), and the same on the overview's small map."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from web.browser.driving import Server, wait_for_map
from web.browser.work import LOOKS, Look, enter, shot

STEPANAKERT = {"en": "Stepanakert / Khankendi", "ru": "Степанакерт / Ханкенди"}
DESKTOPS = [LOOKS["desktop-en"], LOOKS["desktop-ru"]]


def labels(page: Page) -> list[str]:
    return page.locator(".leaflet-tooltip.place-label").all_text_contents()


@pytest.mark.parametrize("look", DESKTOPS, ids=["en", "ru"])
def test_the_maps_place_labels_are_in_the_pages_language(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    enter(page, server, "monitor-ru", "/m/nk-2020/map")
    wait_for_map(page)
    expect(page.locator(".leaflet-tooltip.place-label").first).to_be_attached()
    shown = labels(page)
    assert STEPANAKERT[look.lang] in shown, shown
    if look.lang == "ru":
        # Every settlement's label is in Cyrillic: none falls back to the stored Latin name.
        assert all(any("А" <= c <= "я" for c in label) for label in shown), shown
        assert not any("Khankendi" in label for label in shown), shown
    shot(page, shots, "place-labels", look)


@pytest.mark.parametrize("look", [LOOKS["desktop-ru"]], ids=["ru"])
def test_the_overviews_small_map_is_in_russian_too(tab: Page, server: Server, look: Look) -> None:
    page = tab
    enter(page, server, "analyst-ru", "/m/nk-2020/")
    expect(page.locator("#overview-map .leaflet-tooltip.place-label").first).to_be_attached(timeout=30_000)
    shown = page.locator("#overview-map .leaflet-tooltip.place-label").all_text_contents()
    assert STEPANAKERT["ru"] in shown, shown
