"""The incident list: filters, the indexed sorts, and keyset pages that agree with plain offsets."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from web.conftest import WebClient

# A status some of the mission's incidents have, to list (LISTED) and to filter by (FILTERED): the demo's
# verifiers have disputed and confirmed some; nobody has verified the example's yet.
LISTED = {DEMO_SLUG: "disputed", EXAMPLE_SLUG: "reported"}
FILTERED = {DEMO_SLUG: "confirmed", EXAMPLE_SLUG: "reported"}
ROW = re.compile(r'<tr data-incident="(\d+)">')
LINK = re.compile(r'<a href="([^"]+)" rel="(next|prev)">')


def ids(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def links(html: str) -> dict[str, str]:
    return {rel: unescape(href) for href, rel in LINK.findall(html)}


@pytest.mark.parametrize(("sort", "direction"), [("start", "desc"), ("start", "asc"), ("id", "asc"), ("id", "desc")])
def test_next_and_previous_pages_match_the_offsets(web: WebClient, scene: Scene, sort: str, direction: str) -> None:
    web.login("analyst-ru")
    base = f"{scene.pages}/incidents"
    query = f"?sort={sort}&dir={direction}"
    first = web.get(base + query).text
    pages = [ids(first)]
    html = first
    # Four pages of 50 where there are (the demo), three where the mission has 150 incidents (the example).
    for number in (2, 3, 4):
        if number == 4 and "next" not in links(html):
            break
        html = web.get(base + links(html)["next"]).text
        pages.append(ids(html))
        assert pages[-1] == ids(web.get(f"{base}{query}&page={number}").text)
        assert len(pages[-1]) == 50
    assert len(pages) >= 3
    everything = [i for page in pages for i in page]
    assert len(set(everything)) == len(everything)
    # And back again.
    for expected in reversed(pages[:-1]):
        html = web.get(base + links(html)["prev"]).text
        assert ids(html) == expected
    assert "prev" not in links(html)


def test_the_last_page_has_no_next_link(web: WebClient, scene: Scene) -> None:
    web.login("analyst-ru")
    base = f"{scene.pages}/incidents"
    html = web.get(f"{base}?status={LISTED[scene.slug]}").text
    pages = 1
    while "next" in links(html):
        html = web.get(base + links(html)["next"]).text
        pages += 1
        assert pages < 20
    assert 0 < len(ids(html)) <= 50


def test_filters_narrow_the_list_and_bad_ones_are_reported(web: WebClient, scene: Scene) -> None:
    web.login("analyst-ru")
    base, status = f"{scene.pages}/incidents", FILTERED[scene.slug]
    since, until = scene.shifted(date(2020, 11, 15)), scene.shifted(date(2020, 11, 30))
    html = web.get(f"{base}?status={status}&type=fire&since={since}&until={until}").text
    rows = ids(html)
    assert rows
    assert len(rows) < len(ids(web.get(base).text))
    assert html.count(f'data-status="{status}"') == len(rows)
    bad = web.get(base + "?since=15.11.2020&status=nonsense")
    assert bad.status_code == 200
    assert 'id="e-since"' in bad.text
    assert 'id="e-status"' in bad.text
    assert 'value="15.11.2020"' in bad.text


def test_a_tampered_cursor_is_ignored(web: WebClient, scene: Scene) -> None:
    web.login("analyst-ru")
    base = f"{scene.pages}/incidents"
    first = ids(web.get(base).text)
    for cursor in ("garbage", "2020-13-45T00:00:00_1", "2020-11-20T10:00:00_1", "1_" + "9" * 40):
        assert ids(web.get(f"{base}?after={cursor}").text) == first
    by_id = ids(web.get(f"{base}?sort=id").text)
    for cursor in ("9" * 40 + "_1", "-5_-5", "x_y"):
        answer = web.get(f"{base}?sort=id&after={cursor}")
        assert answer.status_code == 200
        assert ids(answer.text) == by_id
