"""Every page, for every account, shows names where a person expects them, never the codes behind them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from mission_examples import DEMO_SLUG, Scene
from support import ACCOUNTS, Login
from truce.missions.models import Mission
from web.conftest import WebClient
from web.crawling import crawl, visible

# Codes a person should never have to read: the demo's delegation and party codes standing alone (not in an
# account name such as monitor-ru), an action or field of the log (incident.status), a snake_case kind
# (command_post, mine_uxo), and a count shown by its key (impacts: 8).
RAW_CODES = {
    "delegation code": re.compile(r"(?<![\w/.-])(ru|tr|am|az|unhcr|icrc)(?![\w/.-])"),
    "dotted code": re.compile(r"(?<![\w./-])[a-z]+\.[a-z][a-z_]+(?![\w./(-])"),
    "snake_case code": re.compile(r"(?<![\w./-])[a-z]+(?:_[a-z]+)+(?![\w/-])"),
    "count key": re.compile(r"(?<![\w-])(impacts|killed|injured|casualties|personnel|vehicles): \d"),
}


def raw_codes(text: str, slug: str = DEMO_SLUG) -> list[str]:
    """What in `text` reads as a code, each with the rule it breaks. The example mission's delegation codes are
    English words (force, north, relief) that its names and the pages' prose hold too ("Interim buffer zone force",
    "degrees from north"): a text search cannot tell them from words, so that rule is the demo's alone; its own
    subtypes (construction_in_buffer_zone) are still caught as snake_case codes."""
    rules = {rule: pattern for rule, pattern in RAW_CODES.items() if rule != "delegation code" or slug == DEMO_SLUG}
    return [f"{rule}: {m.group(0)!r}" for rule, pattern in rules.items() for m in pattern.finditer(text)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Delegation: ru", True),
        ("Status incident.status", True),
        ("Kind command_post", True),
        ("mine_uxo", True),
        ("impacts: 8", True),
        ("Russian peacekeeping contingent, monitor-ru, Stepanakert/Khankendi", False),
        ("see truce.example.org/m/nk-2020/ or 2020-11-21", False),
    ],
)
def test_the_detector_knows_a_code(text: str, found: bool) -> None:
    assert bool(raw_codes(text)) == found


def test_visible_text_leaves_out_scripts_and_attributes_of_no_one() -> None:
    text, links = visible('<p>Hi <a href="/m/x/">there</a></p><script>var incident_id = 1;</script><i title="Tip">')
    assert text == "Hi there Tip"
    assert links == ["/m/x/"]


@pytest.mark.parametrize("locale", ["en", "ru"])
@pytest.mark.parametrize("account", ACCOUNTS)
def test_no_page_shows_a_raw_code(
    web: WebClient, scene: Scene, account: str, locale: str, mission: Mission, client: TestClient, login: Login
) -> None:
    if account == "public" and not mission.public:  # the public's pages of the example mission, made public
        assert client.patch(scene.api, json={"public": True}, headers=login("admin")).status_code == 200
    web.login(account)
    found: dict[str, list[str]] = {}
    pages = 0
    for page in crawl(web, {"accept-language": locale}):
        pages += 1
        codes = raw_codes(page.text, scene.slug)
        if codes:
            found[page.path] = sorted(set(codes))
    assert pages >= 3, "the crawl reached almost nothing"
    assert not found, "\n".join(f"{path}: {', '.join(codes)}" for path, codes in found.items())
