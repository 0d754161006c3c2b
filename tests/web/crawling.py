"""Every page an account can reach, found by following its links, and the text a person sees on each."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

from web.conftest import WebClient


def follow(slug: str) -> re.Pattern[str]:
    """Links to follow: pages of the mission and of one's account (no downloads, no JSON, no evidence files, no
    language switch)."""
    return re.compile(rf"^/(m/{re.escape(slug)}|account)/[^?#]*(\?[^#]*)?$")


SKIP = re.compile(r"\.(json|csv|geojson|pdf|png|jpg|svg|xml|atom)$|/evidence/|/logout|/language")
# Pages that differ only by ids or query are one kind of page: a few of each are enough.
PER_KIND = 3
MAX_PAGES = 120
HIDDEN = {"script", "style", "template", "noscript", "metadata"}


@dataclass
class Rendered:
    path: str
    html: str
    text: str


class _Text(HTMLParser):
    """Visible text and followable links of a page (the `title` and `aria-label`s are read too)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self._untranslated: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in HIDDEN:
            self._hidden += 1
        # `translate="no"` (HTML's own mark) holds data shown as it is stored: a log entry's JSON, a hash.
        if named.get("translate") == "no":
            self._untranslated.append(tag)
            self._hidden += 1
        if tag == "a" and named.get("href"):
            self.links.append(named["href"] or "")
        for attribute in ("aria-label", "title", "placeholder", "alt"):
            if named.get(attribute):
                self.parts.append(named[attribute] or "")
        if tag == "option" or tag == "button":
            self.parts.append(" ")
        if tag == "input" and named.get("type") in {"submit", "button"} and named.get("value"):
            self.parts.append(named["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1
        if self._untranslated and self._untranslated[-1] == tag:
            self._untranslated.pop()
            self._hidden -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> tuple[str, list[str]]:
    """The page's visible text (one line of words) and the targets of its links."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.links


def _kind(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0])


def crawl(web: WebClient, headers: dict[str, str] | None = None, *, slug: str | None = None) -> Iterator[Rendered]:
    """Every page reachable by links from the mission's overview (`slug`'s, else the web client's scene's), a few of
    each kind, each opened once."""
    slug = slug or web.scene.slug
    start, follows = f"/m/{slug}/", follow(slug)
    queue, seen, kinds = [start], {start}, {}  # type: ignore[var-annotated]
    while queue and len(seen) <= MAX_PAGES:
        path = queue.pop(0)
        answer = web.get(path, headers=headers or {})
        assert answer.status_code in (200, 303), (path, answer.status_code, answer.text[:300])
        if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
            continue
        text, links = visible(answer.text)
        yield Rendered(path, answer.text, text)
        for link in links:
            link = link.split("#")[0]
            if not follows.match(link) or SKIP.search(link.split("?")[0]) or link in seen:
                continue
            kind = _kind(link)
            if kinds.get(kind, 0) >= PER_KIND:
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
            seen.add(link)
            queue.append(link)
