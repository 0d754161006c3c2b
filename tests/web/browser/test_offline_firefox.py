"""Offline-first capture in Debian's Firefox ESR (issue 21), driven over WebDriver BiDi (bidi.py says why).

Firefox has no Background Sync: here the records arrive by the other ways the outbox sends, opening the app,
the `online` event and the timer. Offline is real: the server is stopped as well as the tab told so.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from support import copy_data_dir
from web.browser.bidi import Firefox
from web.browser.driving import PASSWORD
from web.browser.offline_support import FORM, LiveServer, arrived, photo, sha256, stored

RECORDS = 10


@pytest.fixture
def live(demo_data_dir: Path, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(copy_data_dir(demo_data_dir, tmp_path / "data"))
    server.start()
    yield server
    server.stop()


def log_in(firefox: Firefox, url: str) -> None:
    firefox.goto(f"{url}/login?next={FORM}")
    firefox.run(
        "document.getElementById('f-username').value = 'monitor-ru';"
        f"document.getElementById('f-password').value = {json.dumps(PASSWORD)};"
        "document.getElementById('f-password').form.requestSubmit()"
    )
    firefox.wait_for("document.body && document.body.dataset.outboxReady === '1'")


def fill_incident(firefox: Firefox, narrative: str, files: list[Path]) -> None:
    values = {"f-type": "explosion", "f-date": "2020-11-21", "f-time": "09:15", "f-source": "post",
              "f-narrative": narrative, "f-lat": "39.80", "f-lon": "46.70"}  # fmt: skip
    before = firefox.run("document.querySelectorAll('#outbox-list li').length")
    firefox.run(
        f"var v = {json.dumps(values)};"
        "Object.keys(v).forEach(function (id) { var e = document.getElementById(id); e.value = v[id];"
        " e.dispatchEvent(new Event('change')); });"
        "document.getElementById('f-subtype').value = 'mortar'"
    )
    firefox.set_files("#f-evidence", files)
    firefox.run("document.getElementById('incident-form').requestSubmit()")
    firefox.wait_for(f"document.querySelectorAll('#outbox-list li').length === {before + 1}")


def counts(firefox: Firefox) -> dict[str, int]:
    found = firefox.run(
        "(function (r) { return [r.dataset.waiting, r.dataset.held, r.dataset.sent].join(','); })"
        "(document.getElementById('outbox'))"
    )
    waiting, held, sent = (int(n or 0) for n in str(found).split(","))
    return {"waiting": waiting, "held": held, "sent": sent}


def test_firefox_keeps_records_offline_across_a_restart_and_sends_each_once(live: LiveServer, tmp_path: Path) -> None:
    profile = tmp_path / "firefox-profile"
    firefox = Firefox(profile)
    try:
        log_in(firefox, live.url)
        assert firefox.run("'SyncManager' in self") is False  # no Background Sync in Firefox
        firefox.set_offline(True)
        live.stop()
        firefox.goto(live.url + FORM)  # answered by the service worker
        firefox.wait_for("document.body && document.body.dataset.outboxReady === '1'")
        device = {}
        for n in range(RECORDS):
            pictures = []
            for side in ("a", "b"):
                path = tmp_path / f"ff{n}{side}.png"
                path.write_bytes(photo(5000 + 2 * n + (side == "b")))
                pictures.append(path)
            fill_incident(firefox, f"firefox #{n}", pictures)
            device[f"firefox #{n}"] = sorted(sha256(p.read_bytes()) for p in pictures)
        assert counts(firefox)["waiting"] == RECORDS
    finally:
        firefox.close()

    firefox = Firefox(profile)
    try:
        firefox.set_offline(True)
        firefox.goto(live.url + FORM)
        firefox.wait_for("document.body && document.body.dataset.outboxReady === '1'")
        assert counts(firefox)["waiting"] == RECORDS
        assert stored(live.data_dir, "firefox #") == 0
        live.start()
        firefox.set_offline(False)
        firefox.wait_for(f"document.getElementById('outbox').dataset.sent === '{RECORDS}'", seconds=120)
    finally:
        firefox.close()
    found = arrived(live.url, "firefox #")
    assert len(found) == RECORDS
    assert {f["properties"]["narrative"]: sorted(e["sha256"] for e in f["evidence"]) for f in found} == device


MOVEMENT_FORM = "/m/nk-2020/movements/new"


def test_firefox_queues_crossing_counts_offline_and_sends_each_once(live: LiveServer, tmp_path: Path) -> None:
    firefox = Firefox(tmp_path / "firefox-profile")
    try:
        log_in(firefox, live.url)
        firefox.goto(live.url + MOVEMENT_FORM)  # kept by the worker since the first visit; opened once online
        firefox.wait_for("document.body && document.body.dataset.outboxReady === '1'")
        firefox.set_offline(True)
        live.stop()
        firefox.goto(live.url + MOVEMENT_FORM)  # answered by the service worker
        firefox.wait_for("document.body && document.body.dataset.outboxReady === '1'")
        for n in range(3):
            values = {"f-direction": "incoming", "f-kind": "return", "f-on_date": "2020-11-22",
                      "f-individuals": str(10 + n), "f-note": f"firefox crossing #{n}"}  # fmt: skip
            before = firefox.run("document.querySelectorAll('#outbox-list li').length")
            firefox.run(
                f"var v = {json.dumps(values)};"
                "Object.keys(v).forEach(function (id) { document.getElementById(id).value = v[id]; });"
                "var site = document.getElementById('f-site_id'); site.value = site.options[1].value;"
                "document.getElementById('movement-form').requestSubmit()"
            )
            firefox.wait_for(f"document.querySelectorAll('#outbox-list li').length === {before + 1}")
        assert counts(firefox)["waiting"] == 3
        live.start()
        firefox.set_offline(False)  # the `online` event (or the timer) sends them: no Background Sync here
        firefox.wait_for("document.getElementById('outbox').dataset.sent === '3'", seconds=120)
    finally:
        firefox.close()
    with closing(sqlite3.connect(live.data_dir / "truce.db")) as db:
        rows = db.execute(
            "SELECT note, individuals, device_time FROM movements WHERE note LIKE 'firefox crossing #%' ORDER BY note"
        ).fetchall()
    assert [(note, n) for note, n, _ in rows] == [(f"firefox crossing #{n}", 10 + n) for n in range(3)]
    assert all(device_time is not None for _, _, device_time in rows)


RESTRICTION_FORM = "/m/nk-2020/restrictions/new"


def file_restriction(firefox: Firefox, narrative: str) -> None:
    values = {"f-category": "denial", "f-kind": "checkpoint", "f-start": "2020-11-22T11:00",
              "f-duration_min": "15", "f-narrative": narrative}  # fmt: skip
    before = firefox.run("document.querySelectorAll('#outbox-list li').length")
    firefox.run(
        f"var v = {json.dumps(values)};"
        "Object.keys(v).forEach(function (id) { document.getElementById(id).value = v[id]; });"
        "var site = document.getElementById('f-site_id'); site.value = site.options[1].value;"
        "document.getElementById('restriction-form').requestSubmit()"
    )
    firefox.wait_for(f"document.querySelectorAll('#outbox-list li').length === {before + 1}")


def test_firefox_keeps_restrictions_offline_across_a_restart_and_sends_each_once(
    live: LiveServer, tmp_path: Path
) -> None:
    profile = tmp_path / "firefox-profile"
    firefox = Firefox(profile)
    try:
        log_in(firefox, live.url)
        firefox.goto(live.url + RESTRICTION_FORM)  # kept by the worker since the first visit; opened once online
        firefox.wait_for("document.body && document.body.dataset.outboxReady === '1'")
        firefox.set_offline(True)
        live.stop()
        firefox.goto(live.url + RESTRICTION_FORM)  # answered by the service worker
        firefox.wait_for("document.body && document.body.dataset.outboxReady === '1'")
        for n in range(3):
            file_restriction(firefox, f"firefox restriction #{n}")
        assert counts(firefox)["waiting"] == 3
    finally:
        firefox.close()

    firefox = Firefox(profile)
    try:
        firefox.set_offline(True)
        firefox.goto(live.url + RESTRICTION_FORM)
        firefox.wait_for("document.body && document.body.dataset.outboxReady === '1'")
        assert counts(firefox)["waiting"] == 3
        live.start()
        firefox.set_offline(False)  # the `online` event (or the timer) sends them: no Background Sync here
        firefox.wait_for("document.getElementById('outbox').dataset.sent === '3'", seconds=120)
    finally:
        firefox.close()
    with closing(sqlite3.connect(live.data_dir / "truce.db")) as db:
        rows = db.execute(
            "SELECT narrative, category, device_time FROM restrictions WHERE narrative LIKE 'firefox restriction #%'"
            " ORDER BY narrative"
        ).fetchall()
    assert [(narrative, category) for narrative, category, _ in rows] == [
        (f"firefox restriction #{n}", "denial") for n in range(3)
    ]
    assert all(device_time is not None for _, _, device_time in rows)
