"""Claims and reports in the pages, in Chromium on a 390-pixel phone, in English and Russian: nothing wider than
the screen, focus on the error summary after a failed submit, and a success message after each action."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from web.browser.driving import Server, log_in
from web.browser.test_phone import PHONE, SMALL_TARGETS, TARGETS, WIDE

BASE = "/m/nk-2020"
WORDS = {
    "en": {
        "generate": "Generate",
        "publish": "Publish",
        "record": "Record the claim",
        "assess": "Record the assessment",
        "report_ready": "The report of 2020-11-21 is being made.",
        "published": "The bulletin of 2020-11-21 is published.",
        "claim_recorded": "is recorded, unverified.",
        "assessed": "is recorded.",
        "speaker": "Speaker",
        "day": "Day",
    },
    "ru": {
        "generate": "Составить",
        "publish": "Опубликовать",
        "record": "Записать заявление",
        "assess": "Записать оценку",
        "report_ready": "Отчёт за 2020-11-21 составляется.",
        "published": "Бюллетень за 2020-11-21 опубликован.",
        "claim_recorded": "записано как непроверенное.",
        "assessed": "записана.",
        "speaker": "Автор заявления",
        "day": "День",
    },
}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    context.set_default_timeout(60_000)
    tab = context.new_page()
    yield tab
    context.close()


def fits(page: Page) -> None:
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, page.evaluate(WIDE)
    assert not page.evaluate(SMALL_TARGETS, TARGETS)


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_reports_and_claims_on_a_phone(phone: Page, server: Server, locale: str) -> None:
    words = WORDS[locale]
    log_in(phone, server, "verifier-tr", f"{BASE}/reports")
    phone.context.add_cookies([{"name": "truce_lang", "value": locale, "url": server.url}])
    phone.goto(f"{server.url}{BASE}/reports")
    fits(phone)
    generate = phone.locator("#generate-form")
    generate.get_by_label(words["day"]).fill("")
    generate.get_by_role("button", name=words["generate"]).click()
    expect(phone.locator(".error-summary")).to_be_focused()
    fits(phone)
    generate = phone.locator("#generate-form")
    generate.get_by_label(words["day"]).fill("2020-11-21")
    generate.get_by_role("combobox").first.select_option("html")
    generate.get_by_role("button", name=words["generate"]).click()
    expect(phone.locator(".flash")).to_have_text(words["report_ready"])
    fits(phone)  # the job's page: the report is made by `truce worker`, not in the request
    phone.goto(f"{server.url}{BASE}/reports")
    publish = phone.locator("#publish-form")
    publish.get_by_label(words["day"]).fill("2020-11-21")
    publish.get_by_role("button", name=words["publish"]).click()
    expect(phone.locator(".flash")).to_have_text(words["published"])
    expect(phone.locator("#bulletins")).to_be_visible()
    fits(phone)

    phone.goto(f"{server.url}{BASE}/claims/new")
    fits(phone)
    phone.get_by_role("button", name=words["record"]).click()
    expect(phone.locator(".error-summary")).to_be_focused()
    phone.locator("#f-speaker").fill("A spokesman")
    phone.locator("#f-affiliation").select_option("am")
    phone.locator("#f-source_title").fill("Briefing")
    phone.locator("#f-summary").fill("Over 26,000 returned.")
    phone.locator("#f-n0_qualifier").select_option("over")
    phone.locator("#f-n0_value").fill("26000")
    phone.locator("#f-n0_counts").fill("returnees")
    phone.get_by_role("button", name=words["record"]).click()
    expect(phone.locator(".flash")).to_contain_text(words["claim_recorded"])
    fits(phone)
    assess = phone.locator("#assess-form")
    assess.locator("#f-status").select_option("contradicted")
    assess.locator("#f-status_note").fill("The count differs.")
    assess.locator("#f-link_provisions").fill("1")
    assess.get_by_role("button", name=words["assess"]).click()
    expect(phone.locator(".flash")).to_contain_text(words["assessed"])
    fits(phone)
