"""The mission-provided PMTiles basemap (issue 21): served by ranges to whoever may open the map, shown by the map
page, kept by the outbox's service worker. Its browser side (tiles drawn offline):
tests/web/browser/test_offline_basemap.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mission_examples import Scene
from support import ACCOUNTS, TEST_SECRET
from truce.app import create_app
from truce.config import Settings
from truce.db import Database
from web.basemap_support import write_pmtiles
from web.conftest import WebClient


def basemap(scene: Scene) -> str:
    return f"{scene.pages}/basemap.pmtiles"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return write_pmtiles(tmp_path / "tiles" / "region.pmtiles")


@pytest.fixture
def settings(tmp_path: Path, archive: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET, basemap_pmtiles=archive)


def test_the_basemap_is_served_whole_and_by_ranges(web: WebClient, archive: Path, scene: Scene) -> None:
    address = basemap(scene)
    web.login("monitor-ru")  # the example mission is not public
    data = archive.read_bytes()
    whole = web.get(address)
    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "application/vnd.pmtiles"
    header = web.get(address, headers={"Range": "bytes=0-126"})
    assert header.status_code == 206
    assert header.headers["content-range"] == f"bytes 0-126/{len(data)}"
    assert header.content == data[:127]
    assert header.content[:7] == b"PMTiles"
    assert header.content[7] == 3  # the v3 format
    tail = web.get(address, headers={"Range": "bytes=-10"})
    assert (tail.status_code, tail.content) == (206, data[-10:])
    beyond = web.get(address, headers={"Range": f"bytes={len(data)}-{len(data) + 10}"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert web.get(address, headers={"Range": "bytes=oops"}).status_code in (400, 416)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_the_basemap_opens_for_exactly_those_who_open_the_map(web: WebClient, scene: Scene, account: str) -> None:
    web.login(account)
    assert web.get(basemap(scene)).status_code == web.get(f"{scene.pages}/map").status_code
    for slug in ("no-such-mission",):
        assert web.get(f"/m/{slug}/basemap.pmtiles").status_code == (303 if account == "public" else 404)


def test_the_map_page_shows_it_and_the_outbox_keeps_it(web: WebClient, scene: Scene) -> None:
    page = web.login("monitor-ru").get(f"{scene.pages}/map")
    assert f'data-pmtiles="{basemap(scene)}?v=' in page.text
    assert "/static/vendor/pmtiles/pmtiles.js" in page.text
    assert f"{basemap(scene)}?v=" in page.text.split('id="outbox"')[1].split(">")[0]
    # Its tiles are drawn from blob: URLs the page's script makes; nothing else is let in.
    assert "img-src 'self' data: blob:" in page.headers["content-security-policy"]


def test_without_a_basemap_there_is_no_file_and_no_attribute(tmp_path: Path, db: Database, scene: Scene) -> None:
    app: FastAPI = create_app(Settings(data_dir=tmp_path / "plain", secret_key=TEST_SECRET), db)
    with TestClient(app) as client:
        web = WebClient(client, db, scene).login("monitor-ru")
        assert web.get(basemap(scene)).status_code == 404
        assert "data-pmtiles" not in web.get(f"{scene.pages}/map").text
