"""Issue 17 parts 1 and 2 in Chromium, at desktop and 390 px, in English and Russian: the complete incident form
(one placement block at a time, the accused side, casualties, counts, a photo), the service's refusal of a
future start with the typing kept, the confirmation with its link, the photo's EXIF disagreeing with the report,
"Add evidence" on the incident page with the size limit checked before anything is sent."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from web.browser.driving import Server, wait_for_map
from web.browser.work import Look, enter, fits, shot
from web.exif_photo import jpeg_with_gps

# A small limit, so that a file over it is quick to make.
SERVER_ENV = {"TRUCE_MAX_UPLOAD_MB": "1"}
NEW = "/m/nk-2020/incidents/new"
TEXT = {
    "en": {"future": "This is in the future", "disagrees": "disagrees with the report", "limit": "more than 1 MB"},
    "ru": {"future": "Это время в будущем", "disagrees": "расходятся с сообщением", "limit": "больше 1 МБ"},
}


def fill_the_facts(page: Page, day: str) -> None:
    page.locator("#f-type").select_option("explosion")
    page.locator("#f-subtype").select_option("mortar")
    page.locator("#f-date").fill(day)
    page.locator("#f-source").select_option("post")
    page.locator("#f-narrative").fill("Impacts near the post (browser test).")


def test_the_complete_form_files_with_a_photo_and_confirms(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    enter(page, server, "monitor-ru", NEW)
    wait_for_map(page)
    fill_the_facts(page, "2020-11-25")
    # Only the chosen way of placing it is shown.
    expect(page.locator("#by-position")).to_be_visible()
    expect(page.locator("#by-post")).to_be_hidden()
    page.locator("#p-post").check()
    expect(page.locator("#by-post")).to_be_visible()
    expect(page.locator("#by-position")).to_be_hidden()
    expect(page.locator("#entry-map")).to_be_hidden()
    page.locator("#p-location").check()
    expect(page.locator("#locate")).to_be_visible()
    expect(page.locator("#locate")).to_be_enabled()  # by the script, once it listens
    expect(page.locator("#by-post")).to_be_hidden()
    page.locator("#p-map").check()
    entry_map = page.locator("#entry-map")
    entry_map.scroll_into_view_if_needed()
    box = entry_map.bounding_box()
    assert box is not None
    entry_map.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
    expect(page.locator("#f-lat")).not_to_have_value("")
    # Typed exactly, so that the photo's position can be compared with it.
    page.locator("#f-lat").fill("39.9")
    page.locator("#f-lon").fill("46.8")
    page.locator('[id="f-alleged.az"]').check()
    page.locator('[id="f-alleged_actor.az"]').fill("mortar crew")
    page.locator('[id="f-count.impacts"]').fill("3")
    page.locator('[id="f-injured.civilian"]').fill("2")
    page.locator("#f-evidence").set_input_files(
        [{"name": "far.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps(40.0, 46.8)}]
    )
    if look.phone:
        fits(page, "#incident-form", look.width)
    page.locator("#incident-form button[type=submit]").click()
    expect(page.locator("#filed-notice")).to_be_visible()
    assert page.url.endswith("?filed=1")
    expect(page.locator("#filed-notice a").first).to_have_text(page.url.split("?")[0])
    expect(page.locator(".exif-disagrees")).to_contain_text(TEXT[look.lang]["disagrees"])
    expect(page.locator(".exif-position")).to_contain_text("40.00000, 46.80000")
    expect(page.locator(".facts").first).to_contain_text("mortar crew")
    shot(page, shots, "filed", look)


def test_a_future_start_is_refused_and_the_typing_kept(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    enter(page, server, "monitor-ru", NEW)
    wait_for_map(page)
    fill_the_facts(page, "2099-01-01")
    page.locator("#f-lat").fill("39.9")
    page.locator("#f-lon").fill("46.8")
    page.locator("#incident-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text(TEXT[look.lang]["future"])
    expect(page.locator("#e-date")).to_be_visible()
    expect(page.locator("#f-narrative")).to_have_value("Impacts near the post (browser test).")
    expect(page.locator("#f-date")).to_have_value("2099-01-01")
    shot(page, shots, "future", look)


def test_add_evidence_on_the_incident_page(tab: Page, server: Server, shots: Path, look: Look) -> None:
    page = tab
    enter(page, server, "monitor-ru", NEW)
    wait_for_map(page)
    fill_the_facts(page, "2020-11-26")
    page.locator("#f-lat").fill("39.85")
    page.locator("#f-lon").fill("46.75")
    page.locator("#incident-form button[type=submit]").click()
    expect(page.locator("#filed-notice")).to_be_visible()
    form = page.locator("form.add-evidence")
    # Over the limit: said at once, and nothing is sent.
    form.locator("input[type=file]").set_input_files(
        [{"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * (1024 * 1024 + 100)}]
    )
    expect(form.locator("#evidence-too-large")).to_contain_text(TEXT[look.lang]["limit"])
    form.locator("button[type=submit]").click()
    expect(page.locator("#filed-notice")).to_be_visible()  # still the same page
    form.locator("input[type=file]").set_input_files(
        [
            {
                "name": "near.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_with_gps(39.8502, 46.7502, taken="2020:11:26 10:00:00"),
            },
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Crater 1.2 m across.\n"},
        ]
    )
    expect(form.locator("#evidence-too-large")).to_be_hidden()
    form.locator("button[type=submit]").click()
    expect(page.locator("#added-notice")).to_be_visible()
    expect(page.locator(".evidence-item")).to_have_count(2)
    expect(page.locator(".exif-disagrees")).to_have_count(0)
    if look.phone:
        fits(page, ".evidence-item", look.width)
    shot(page, shots, "added", look)
