"""Every string of the pages is in the Russian catalogue, translated, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from truce.web import i18n
from web.conftest import WebClient

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "src/truce/web/translations/ru/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s")


def extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    return {message if isinstance(message, str) else message[0] for _file, _line, message, _c, _ctx in found}


def test_every_string_is_translated_into_russian() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="ru")
    missing = sorted(m for m in extracted() if m and (m not in catalogue or not catalogue[m].string))
    assert not missing, f"run `make messages` and translate in {CATALOGUE.name}: {missing}"
    fuzzy = sorted(m.id for m in catalogue if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"


def test_translations_keep_the_placeholders() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="ru")
    for message in catalogue:
        if not message.id or not message.string:
            continue
        # Plural messages hold a tuple: each Russian form must name what the English forms name.
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(" ".join(sources)))
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == expected, (message.id, form)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("de-DE, en;q=0.5", "en"),
        ("en;q=0.1, ru;q=0.9", "ru"),
        ("", "en"),
        ("x;q=abc", "en"),
    ],
)
def test_accept_language_is_the_default(header: str, expected: str) -> None:
    tags = i18n.parse_accept_language(header)
    chosen = next((t.split("-")[0] for t in tags if t.split("-")[0] in i18n.LOCALES), i18n.DEFAULT)
    assert chosen == expected


@pytest.mark.parametrize("path", ["/m/nk-2020/", "/m/nk-2020/map", "/m/nk-2020/incidents", "/m/nk-2020/incidents/new"])
def test_pages_speak_russian(web: WebClient, path: str) -> None:
    web.login("monitor-ru")
    page = web.get(path, headers={"accept-language": "ru"})
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text
    for english in ("Log out", "Report an incident", "Skip to content"):
        assert english not in page.text
    assert "Выйти" in page.text
