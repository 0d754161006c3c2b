"""The mission's PMTiles basemap drawn on the map offline, in Debian's Chromium (issue 21).

The archive is written in the test (tests/web/basemap_support.py); the server serves it by ranges, the service
worker keeps it whole at the online visit, and with the server stopped the map draws its tiles from that copy.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, Playwright

from support import copy_data_dir
from web.basemap_support import COLOUR, write_pmtiles
from web.browser.offline_support import LiveServer, log_in, outbox_ready, wait_until
from web.browser.test_offline import first_page, go_offline, open_browser

MAP = "/m/nk-2020/map"

# The tiles Leaflet shows, each with the colour of its centre pixel (read through a canvas: blob: is this origin's).
DRAWN = """() => Array.from(document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile-loaded'))
  .filter((img) => img.naturalWidth === 256)
  .map((img) => {
    const canvas = document.createElement('canvas'); canvas.width = 256; canvas.height = 256;
    const context = canvas.getContext('2d'); context.drawImage(img, 0, 0);
    return Array.from(context.getImageData(128, 128, 1, 1).data.slice(0, 3));
  })"""


def drawn(page: Page) -> list[list[int]]:
    found: list[list[int]] = page.evaluate(DRAWN)
    return found


def from_the_archive(page: Page) -> bool:
    tiles = drawn(page)
    return bool(tiles) and all(t[0] == COLOUR[0] and t[1] == COLOUR[1] for t in tiles)


def test_the_basemap_s_tiles_are_drawn_with_the_network_off(
    playwright: Playwright, demo_data_dir: Path, tmp_path: Path
) -> None:
    archive = write_pmtiles(tmp_path / "region.pmtiles")
    live = LiveServer(copy_data_dir(demo_data_dir, tmp_path / "data"))
    live.start(basemap_pmtiles=str(archive))
    try:
        context = open_browser(playwright, tmp_path / "profile")
        page = first_page(context)
        log_in(page, live.url, next_path=MAP)  # the one online visit
        page.locator("#outbox[data-kept]").wait_for(state="attached", timeout=60_000)
        wait_until(page, lambda: from_the_archive(page), seconds=60)
        kept = page.evaluate("caches.keys()")
        assert [name for name in kept if name.startswith("truce-basemap-")], kept
        go_offline(context, live)
        page.reload()
        outbox_ready(page)
        # Leaflet loads the tiles one by one: the first drawn from the archive is not yet the map drawn (under
        # load the check once ran between the first tile and the second).
        wait_until(page, lambda: from_the_archive(page) and len(drawn(page)) >= 2, seconds=60)
        assert from_the_archive(page)
        assert len(drawn(page)) >= 2
        context.close()
    finally:
        live.stop()
