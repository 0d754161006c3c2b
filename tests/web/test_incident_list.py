"""The incident list: filters, the indexed sorts, and keyset pages that agree with plain offsets."""

from __future__ import annotations

import re
from html import unescape

import pytest

from web.conftest import WebClient

BASE = "/m/nk-2020/incidents"
ROW = re.compile(r'<tr data-incident="(\d+)">')
LINK = re.compile(r'<a href="([^"]+)" rel="(next|prev)">')


def ids(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def links(html: str) -> dict[str, str]:
    return {rel: unescape(href) for href, rel in LINK.findall(html)}


@pytest.mark.parametrize(("sort", "direction"), [("start", "desc"), ("start", "asc"), ("id", "asc"), ("id", "desc")])
def test_next_and_previous_pages_match_the_offsets(web: WebClient, sort: str, direction: str) -> None:
    web.login("analyst-ru")
    query = f"?sort={sort}&dir={direction}"
    first = web.get(BASE + query).text
    pages = [ids(first)]
    html = first
    for number in (2, 3, 4):
        html = web.get(BASE + links(html)["next"]).text
        pages.append(ids(html))
        assert pages[-1] == ids(web.get(f"{BASE}{query}&page={number}").text)
        assert len(pages[-1]) == 50
    everything = [i for page in pages for i in page]
    assert len(set(everything)) == len(everything)
    # And back again.
    for expected in reversed(pages[:-1]):
        html = web.get(BASE + links(html)["prev"]).text
        assert ids(html) == expected
    assert "prev" not in links(html)


def test_the_last_page_has_no_next_link(web: WebClient) -> None:
    web.login("analyst-ru")
    html = web.get(BASE + "?status=disputed").text
    pages = 1
    while "next" in links(html):
        html = web.get(BASE + links(html)["next"]).text
        pages += 1
        assert pages < 20
    assert 0 < len(ids(html)) <= 50


def test_filters_narrow_the_list_and_bad_ones_are_reported(web: WebClient) -> None:
    web.login("analyst-ru")
    html = web.get(BASE + "?status=confirmed&type=fire&since=2020-11-15&until=2020-11-30").text
    rows = ids(html)
    assert rows
    assert html.count('data-status="confirmed"') == len(rows)
    bad = web.get(BASE + "?since=15.11.2020&status=nonsense")
    assert bad.status_code == 200
    assert 'id="e-since"' in bad.text
    assert 'id="e-status"' in bad.text
    assert 'value="15.11.2020"' in bad.text


def test_a_tampered_cursor_is_ignored(web: WebClient) -> None:
    web.login("analyst-ru")
    first = ids(web.get(BASE).text)
    for cursor in ("garbage", "2020-13-45T00:00:00_1", "2020-11-20T10:00:00_1", "1_" + "9" * 40):
        assert ids(web.get(f"{BASE}?after={cursor}").text) == first
    by_id = ids(web.get(f"{BASE}?sort=id").text)
    for cursor in ("9" * 40 + "_1", "-5_-5", "x_y"):
        answer = web.get(f"{BASE}?sort=id&after={cursor}")
        assert answer.status_code == 200
        assert ids(answer.text) == by_id
