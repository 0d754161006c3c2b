"""The crossing count form queues offline through the same outbox as the incident form (issue 21), in Debian's
Chromium: waiting while offline, sent once when the network is back, a refused count edited and sent again.

Offline is real, as in test_offline.py: the server is stopped as well as the browser told so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

from support import copy_data_dir
from web.browser.offline_support import LiveServer, log_in, outbox_counts, outbox_ready, wait_until
from web.browser.test_offline import first_page, go_offline, go_online, open_browser

MOVEMENT_FORM = "/m/nk-2020/movements/new"


@pytest.fixture
def live(demo_data_dir: Path, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(copy_data_dir(demo_data_dir, tmp_path / "data"))
    server.start()
    yield server
    server.stop()


def crossings(data_dir: Path, note: str) -> list[tuple[int, int | None, str | None]]:
    """(individuals, adults_male, device_time) of the movements with `note`, from the server's database."""
    with closing(sqlite3.connect(data_dir / "truce.db")) as db:
        rows = db.execute(
            "SELECT individuals, adults_male, device_time FROM movements WHERE note = ? ORDER BY id", (note,)
        )
        return [(int(r[0]), r[1], r[2]) for r in rows]


def fill_crossing(page: Page, note: str, individuals: str, adults_male: str = "") -> None:
    page.select_option("#f-site_id", index=1)
    page.select_option("#f-direction", "incoming")
    page.select_option("#f-kind", "return")
    page.fill("#f-on_date", "2020-11-21")
    page.fill("#f-individuals", individuals)
    page.fill("#f-adults_male", adults_male)
    page.fill("#f-note", note)
    items = page.locator("#outbox-list li")
    before = items.count()
    page.get_by_role("button", name="Record the crossing").click()
    expect(items).to_have_count(before + 1, timeout=15_000)


def test_crossings_counted_offline_wait_on_the_device_and_arrive_once_a_refused_one_edited(
    playwright: Playwright, live: LiveServer, tmp_path: Path
) -> None:
    context = open_browser(playwright, tmp_path / "profile")
    page = first_page(context)
    log_in(page, live.url, next_path=MOVEMENT_FORM)  # the one online visit
    go_offline(context, live)
    page.reload()  # the service worker's copy of the form
    outbox_ready(page)
    expect(page.get_by_role("heading", name="Record a crossing")).to_be_visible()
    fill_crossing(page, "offline crossing fine", "7")
    # More men than people: the server refuses it (the groups add up to more than the individuals).
    fill_crossing(page, "offline crossing fixed", "5", adults_male="9")
    expect(page.locator("#outbox-note")).to_contain_text("when the network is back")
    assert outbox_counts(page)["waiting"] == 2
    context.close()

    context = open_browser(playwright, tmp_path / "profile", offline=True)
    page = first_page(context)
    page.goto(live.url + MOVEMENT_FORM)
    outbox_ready(page)
    assert outbox_counts(page)["waiting"] == 2
    go_online(context, live)  # the `online` event sends the outbox
    wait_until(page, lambda: outbox_counts(page) == {"waiting": 0, "held": 1, "sent": 1})
    page.locator("#outbox-toggle").click()
    refused = page.locator("#outbox-list li[data-state=refused]")
    expect(refused).to_contain_text("more than the individuals")
    expect(refused).to_contain_text("crossing 2020-11-21, 5 individuals")
    refused.get_by_role("link", name="Edit and send again").click()
    expect(page.locator("#f-adults_male")).to_have_value("9")
    expect(page.locator("#f-note")).to_have_value("offline crossing fixed")
    page.fill("#f-adults_male", "2")
    page.get_by_role("button", name="Record the crossing").click()
    wait_until(page, lambda: outbox_counts(page) == {"waiting": 0, "held": 0, "sent": 2})
    # Sent again online, the outbox answered again: nothing doubled.
    page.get_by_role("button", name="Send now").click()
    context.close()

    fine, fixed = crossings(live.data_dir, "offline crossing fine"), crossings(live.data_dir, "offline crossing fixed")
    assert [(n, men) for n, men, _ in fine] == [(7, None)]
    assert [(n, men) for n, men, _ in fixed] == [(5, 2)]
    # Each keeps the device's time it was made at (X-Device-Time), beside the server's own.
    assert fine[0][2] is not None
    assert fixed[0][2] is not None


RESTRICTION_FORM = "/m/nk-2020/restrictions/new"
RESTRICTIONS = 3


def restrictions(data_dir: Path, prefix: str) -> list[tuple[str, str, str | None, str | None]]:
    """(narrative, category, end, device_time) of the restrictions whose narrative starts with `prefix`."""
    with closing(sqlite3.connect(data_dir / "truce.db")) as db:
        rows = db.execute(
            'SELECT narrative, category, "end", device_time FROM restrictions WHERE narrative LIKE ?'
            " ORDER BY narrative",
            (prefix + "%",),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def fill_restriction(page: Page, narrative: str) -> None:
    page.select_option("#f-category", "delay")
    page.select_option("#f-kind", "checkpoint")
    page.fill("#f-start", "2020-11-22T09:30")
    page.fill("#f-duration_min", "40")
    page.select_option("#f-site_id", index=1)
    page.fill("#f-reason_given", "papers checked")
    page.fill("#f-narrative", narrative)
    items = page.locator("#outbox-list li")
    before = items.count()
    page.get_by_role("button", name="Record the restriction").click()
    expect(items).to_have_count(before + 1, timeout=15_000)


def test_restrictions_filed_offline_survive_a_restart_and_arrive_once(
    playwright: Playwright, live: LiveServer, tmp_path: Path
) -> None:
    context = open_browser(playwright, tmp_path / "profile")
    page = first_page(context)
    log_in(page, live.url, next_path=RESTRICTION_FORM)  # the one online visit
    go_offline(context, live)
    page.reload()  # the service worker's copy of the form
    outbox_ready(page)
    expect(page.get_by_role("heading", name="Record a restriction of movement")).to_be_visible()
    for n in range(RESTRICTIONS):
        fill_restriction(page, f"offline restriction #{n}")
    expect(page.locator("#outbox-note")).to_contain_text("when the network is back")
    assert outbox_counts(page)["waiting"] == RESTRICTIONS
    context.close()

    context = open_browser(playwright, tmp_path / "profile", offline=True)
    page = first_page(context)
    page.goto(live.url + RESTRICTION_FORM)
    outbox_ready(page)
    assert outbox_counts(page)["waiting"] == RESTRICTIONS
    assert restrictions(live.data_dir, "offline restriction #") == []
    go_online(context, live)  # the `online` event sends the outbox
    wait_until(page, lambda: outbox_counts(page) == {"waiting": 0, "held": 0, "sent": RESTRICTIONS})
    page.locator("#outbox-toggle").click()
    expect(page.locator("#outbox-list li[data-state=sent]").first).to_contain_text("restriction 2020-11-22 09:30")
    # Sent again online, the outbox answered again: nothing doubled.
    page.get_by_role("button", name="Send now").click()
    context.close()

    found = restrictions(live.data_dir, "offline restriction #")
    assert [(narrative, category) for narrative, category, _, _ in found] == [
        (f"offline restriction #{n}", "delay") for n in range(RESTRICTIONS)
    ]
    # The page's duration became the record's end (09:30 + 40 min, UTC+4: 06:10 UTC); the device's time is kept.
    assert all(end is not None and "06:10" in end for _, _, end, _ in found)
    assert all(device_time is not None for _, _, _, device_time in found)
