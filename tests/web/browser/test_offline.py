"""Offline-first capture in Debian's Chromium (issue 21): a monitor's records wait on the device and arrive once.

Offline is real here: the server is stopped (nothing answers on its port) as well as the browser told so
(`set_offline`), because Chromium's offline emulation does not reach a service worker's own requests.

Each test runs its own server over its own copy of the demo, and a browser profile on disk, so that closing the
browser and opening it again keeps what a real one keeps (IndexedDB, the service worker and its caches).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from support import copy_data_dir, free_port
from web.browser.conftest import CHROMIUM, FLAGS
from web.browser.lossy import LossyProxy
from web.browser.offline_support import (
    FORM,
    LiveServer,
    arrived,
    fill_incident,
    log_in,
    outbox_counts,
    outbox_ready,
    photo,
    sha256,
    stored,
    wait_until,
)


@pytest.fixture
def live(demo_data_dir: Path, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(copy_data_dir(demo_data_dir, tmp_path / "data"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return tmp_path / "profile"


def open_browser(playwright: Playwright, profile: Path, *, offline: bool = False) -> BrowserContext:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium), or TRUCE_CHROMIUM")
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=FLAGS, headless=True, offline=offline, locale="en-GB",
        viewport={"width": 1280, "height": 860},
    )  # fmt: skip
    context.set_default_timeout(20_000)
    return context


def first_page(context: BrowserContext) -> Page:
    # The tab the browser opened with: in Chromium a second tab of a context launched offline did not reach
    # the service worker for its first navigation.
    return context.pages[0] if context.pages else context.new_page()


def go_offline(context: BrowserContext, live: LiveServer) -> None:
    context.set_offline(True)
    live.stop()


def go_online(context: BrowserContext, live: LiveServer, **settings: str) -> None:
    live.start(**settings)
    context.set_offline(False)


def renewed(page: Page, old: list[str]) -> set[str]:
    """The caches of the new version, once none of the old ones is left (else an empty set)."""
    names = set(page.evaluate("caches.keys()"))
    return set() if names & set(old) else names


def test_fifty_incidents_with_two_photos_each_filed_offline_arrive_exactly_once(
    playwright: Playwright, live: LiveServer, profile: Path
) -> None:
    context = open_browser(playwright, profile)
    page = first_page(context)
    log_in(page, live.url)  # the one online visit
    expect(page.locator("#outbox-session")).to_contain_text("without logging in again", use_inner_text=False)
    go_offline(context, live)
    page.reload()
    outbox_ready(page)
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    device: dict[str, list[str]] = {}
    for n in range(50):
        files = [(f"n{n}-a.png", photo(2 * n)), (f"n{n}-b.png", photo(2 * n + 1))]
        fill_incident(page, f"offline-50 #{n:02}", files)
        device[f"offline-50 #{n:02}"] = sorted(sha256(data) for _, data in files)
    assert outbox_counts(page)["waiting"] == 50
    context.close()

    context = open_browser(playwright, profile, offline=True)
    page = first_page(context)
    page.goto(live.url + FORM)  # a navigation the service worker answers from its cache
    outbox_ready(page)
    assert outbox_counts(page)["waiting"] == 50
    assert stored(live.data_dir, "offline-50 ") == 0
    go_online(context, live)  # the `online` event sends the outbox
    wait_until(page, lambda: outbox_counts(page)["sent"] == 50, seconds=180)
    context.close()

    found = arrived(live.url, "offline-50 ")
    assert len(found) == 50
    assert {f["properties"]["narrative"]: sorted(e["sha256"] for e in f["evidence"]) for f in found} == device


def test_answers_lost_after_the_server_committed_still_give_exactly_n(
    playwright: Playwright, live: LiveServer, profile: Path
) -> None:
    records = 20
    with LossyProxy(live.url, free_port(), loss=0.3) as proxy:
        context = open_browser(playwright, profile)
        page = first_page(context)
        log_in(page, proxy.url)
        go_offline(context, live)
        device = {}
        for n in range(records):
            data = photo(1000 + n)
            fill_incident(page, f"lossy #{n:02}", [(f"l{n}.png", data)])
            device[f"lossy #{n:02}"] = [sha256(data)]
        go_online(context, live)
        wait_until(page, lambda: outbox_counts(page)["sent"] == records, seconds=240)
        context.close()
        assert proxy.dropped > 0
    found = arrived(live.url, "lossy #")
    assert len(found) == records
    assert {f["properties"]["narrative"]: [e["sha256"] for e in f["evidence"]] for f in found} == device


def test_a_new_service_worker_while_ten_records_wait_delivers_all_ten(
    playwright: Playwright, live: LiveServer, profile: Path
) -> None:
    context = open_browser(playwright, profile)
    page = first_page(context)
    log_in(page, live.url)
    old = sorted(page.evaluate("caches.keys()"))
    go_offline(context, live)
    for n in range(10):
        fill_incident(page, f"update #{n}", [(f"u{n}.png", photo(2000 + n))])
    assert outbox_counts(page)["waiting"] == 10
    # A new release is deployed while the device is offline.
    go_online(context, live, shell_revision="2")
    page.goto(live.url + "/m/nk-2020/")
    outbox_ready(page)
    # The new worker installs beside the old one, activates, carries the kept pages over, then drops the old caches.
    wait_until(page, lambda: len(renewed(page, old)) == 2, seconds=60)
    wait_until(page, lambda: len(arrived(live.url, "update #")) == 10, seconds=120)
    # The pages kept by the old version open offline under the new one.
    go_offline(context, live)
    page.goto(live.url + FORM)
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    context.close()
    live.start(shell_revision="2")
    assert len(arrived(live.url, "update #")) == 10


def test_a_refused_record_is_kept_and_can_be_edited_and_sent_again(
    playwright: Playwright, live: LiveServer, profile: Path
) -> None:
    context = open_browser(playwright, profile)
    page = first_page(context)
    log_in(page, live.url)
    go_offline(context, live)
    # A post's distance the server refuses (over 100 km is beyond any observer).
    page.select_option("#f-type", "explosion")
    page.select_option("#f-subtype", "mortar")
    page.fill("#f-date", "2020-11-21")
    page.select_option("#f-source", "post")
    page.fill("#f-narrative", "refused then fixed")
    page.check("#p-post")
    page.select_option("#f-observer_site", index=1)
    page.fill("#f-bearing_deg", "45")
    page.fill("#f-distance_km", "500")
    page.get_by_role("button", name="File the incident").click()
    expect(page.locator("#outbox-list li")).to_have_count(1)
    go_online(context, live)
    page.locator("#outbox-toggle").click()
    page.get_by_role("button", name="Send now").click()
    item = page.locator("#outbox-list li[data-state=refused]")
    expect(item).to_contain_text("distance_km")
    item.get_by_role("link", name="Edit and send again").click()
    expect(page.locator("#f-distance_km")).to_have_value("500")
    page.fill("#f-distance_km", "5")
    page.get_by_role("button", name="File the incident").click()
    wait_until(page, lambda: outbox_counts(page) == {"waiting": 0, "held": 0, "sent": 1})
    context.close()
    assert len(arrived(live.url, "refused then fixed")) == 1
