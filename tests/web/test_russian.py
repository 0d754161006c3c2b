"""The Russian pages say everything in Russian: no English word is left on them but what people wrote
(records keep the language they were written in) and proper names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from truce.db import Base
from web.conftest import WebClient
from web.crawling import crawl

ENGLISH_WORD = re.compile(r"(?<![\w@.-])[A-Za-z][a-z]{2,}(?:['’][a-z]+)?(?![\w@.-])")
# Proper names and names of formats and standards, the same in every language.
PROPER = {
    "Truce", "English", "Leaflet", "OpenStreetMap", "OpenRosa", "GeoJSON", "Enketo", "Collect", "Kobo",
    "Nagorno", "Karabakh", "Stepanakert", "Khankendi", "Polygon", "MultiPolygon", "LineString", "MultiLineString",
    "Peace", "Accords", "Matrix",
}  # fmt: skip
# Tables whose text people wrote or the log copied (the log's entries repeat every record).
SKIP_TABLES = {"log_entries", "log_checkpoints", "alembic_version"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _textual(kind: TypeEngine[Any]) -> bool:
    if isinstance(kind, String | Text | JSON):
        return True
    try:
        return kind.python_type in (str, dict, list)
    except NotImplementedError:
        return False


def recorded_text(session: Session) -> list[str]:
    """Every text stored in the records, longest first, each with its whitespace as the pages show it."""
    found: set[str] = set()
    for table in Base.metadata.sorted_tables:
        if table.name in SKIP_TABLES:
            continue
        columns = [c for c in table.columns if _textual(c.type)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for value in row:
                found.update(" ".join(s.split()) for s in _strings(value) if len(s.strip()) >= 3)
    return sorted(found, key=len, reverse=True)


def english_words(text: str, recorded: list[str]) -> set[str]:
    """English words in `text` once the records' own text is taken out."""
    for value in recorded:
        if value in text:
            text = text.replace(value, " ")
        if len(value) > 40 and value[:30] in text:
            text = _cut_shortened(text, value)
    return {w for w in ENGLISH_WORD.findall(text) if w not in PROPER}


def _cut_shortened(text: str, value: str) -> str:
    """Take out `value` where a page shows only its beginning, ended by an ellipsis."""
    start = text.find(value[:30])
    while start >= 0:
        end = min((i for i in (text.find("...", start), text.find("…", start)) if i >= 0), default=-1)
        if end < 0 or not value.startswith(text[start:end].rstrip()):
            break
        text = text[:start] + " " + text[end:].lstrip(".…")
        start = text.find(value[:30])
    return text


def test_the_detector_sees_english_and_spares_records() -> None:
    page = "Инцидент 4 Log out Stepanakert seen near the post"
    assert english_words(page, ["seen near the post"]) == {"Log", "out"}
    assert english_words("Выйти · admin-ru 2020-11-21 truce.example", []) == set()
    shortened = "Пункт 1 Complete ceasefire and end of all hostilities from... без срока"
    assert english_words(shortened, ["Complete ceasefire and end of all hostilities from 00:00 Moscow time"]) == set()


@pytest.mark.parametrize("account", ["admin", "verifier-tr", "liaison-am", "humanitarian-unhcr", "public"])
def test_no_english_is_left_on_a_russian_page(web: WebClient, session: Session, account: str) -> None:
    recorded = recorded_text(session)
    web.login(account)
    found: dict[str, list[str]] = {}
    pages = 0
    for page in crawl(web, {"accept-language": "ru"}):
        pages += 1
        assert '<html lang="ru">' in page.html, page.path
        words = english_words(page.text, recorded)
        if words:
            found[page.path] = sorted(words)
    assert pages >= 3
    assert not found, "\n".join(f"{path}: {' '.join(words)}" for path, words in found.items())
