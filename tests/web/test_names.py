"""Every page, for every account, shows names where a person expects them, never the codes behind them."""

from __future__ import annotations

import re

import pytest

from support import ACCOUNTS
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


def raw_codes(text: str) -> list[str]:
    """What in `text` reads as a code, each with the rule it breaks."""
    return [f"{rule}: {m.group(0)!r}" for rule, pattern in RAW_CODES.items() for m in pattern.finditer(text)]


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
def test_no_page_shows_a_raw_code(web: WebClient, account: str, locale: str) -> None:
    web.login(account)
    found: dict[str, list[str]] = {}
    pages = 0
    for page in crawl(web, {"accept-language": locale}):
        pages += 1
        codes = raw_codes(page.text)
        if codes:
            found[page.path] = sorted(set(codes))
    assert pages >= 3, "the crawl reached almost nothing"
    assert not found, "\n".join(f"{path}: {', '.join(codes)}" for path, codes in found.items())
