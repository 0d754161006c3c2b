"""The map's layers name places in the reader's language, keep their other names, and are cached per language."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from truce.places import presenters
from truce.places.models import Site
from web.conftest import WebClient

BASE = "/m/nk-2020"
PLACES = f"{BASE}/map/places.json"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# The demo's settlement at these coordinates is Stepanakert / Khankendi.
STEPANAKERT = [46.7519, 39.8153]


def _stepanakert(layers: dict[str, Any]) -> dict[str, Any]:
    found = [f for f in layers["sites"]["features"] if f["geometry"]["coordinates"] == STEPANAKERT]
    assert len(found) == 1, "the demo has one settlement at Stepanakert's coordinates"
    return dict(found[0]["properties"])


def test_the_layers_are_in_the_language_asked(web: WebClient) -> None:
    web.login("monitor-ru")
    english = web.get(PLACES, params={"lang": "en"})
    russian = web.get(PLACES, params={"lang": "ru"})
    assert english.status_code == russian.status_code == 200
    assert _stepanakert(english.json())["label"] == "Stepanakert / Khankendi"
    site = _stepanakert(russian.json())
    assert site["name"] == site["label"] == "Степанакерт / Ханкенди"
    # The other names stay with the record for whoever wants them.
    assert [n["name"] for n in site["alt_names"]] == ["Stepanakert", "Khankendi"]
    layers = russian.json()
    for key in ("areas", "lines", "sites"):
        named = [f["properties"]["name"] for f in layers[key]["features"]]
        assert named, key
        assert all(CYRILLIC.search(name) for name in named), (key, named)
    assert layers["parties"]["ru"]["name"] == "Российская Федерация"
    assert english.json()["parties"]["ru"]["name"] == "Russian Federation"


def test_without_lang_the_layers_follow_the_readers_language(web: WebClient) -> None:
    web.login("liaison-am")
    by_header = web.get(PLACES, headers={"accept-language": "ru-RU,ru;q=0.9"})
    assert _stepanakert(by_header.json())["name"] == "Степанакерт / Ханкенди"
    assert _stepanakert(web.get(PLACES, headers={"accept-language": "en"}).json())["name"] == "Stepanakert / Khankendi"


def test_each_language_has_its_own_etag(web: WebClient) -> None:
    web.login("verifier-tr")
    english, russian = web.get(PLACES, params={"lang": "en"}), web.get(PLACES, params={"lang": "ru"})
    assert english.headers["etag"] != russian.headers["etag"]
    assert "Accept-Language" in russian.headers["vary"]
    same = web.get(PLACES, params={"lang": "ru"}, headers={"if-none-match": russian.headers["etag"]})
    assert same.status_code == 304
    assert same.content == b""
    other = web.get(PLACES, params={"lang": "en"}, headers={"if-none-match": russian.headers["etag"]})
    assert other.status_code == 200
    assert other.json() == english.json()


def test_an_unknown_language_is_refused_by_name(web: WebClient) -> None:
    answer = web.login("public").get(PLACES, params={"lang": "fr"})
    assert answer.status_code == 422
    assert "lang" in answer.text


def test_the_pages_ask_for_the_layers_in_their_language(web: WebClient) -> None:
    web.login("monitor-ru")
    page = web.get(f"{BASE}/map", headers={"accept-language": "ru"}).text
    assert f'data-places="{PLACES}?lang=ru"' in page
    # The offline app keeps the layers a page lists: the Russian page lists the Russian ones.
    keep = re.search(r"data-keep='([^']+)'", page)
    assert keep is not None
    assert f"{PLACES}?lang=ru" in json.loads(html.unescape(keep.group(1)))
    assert f'data-places="{PLACES}?lang=en"' in web.get(f"{BASE}/", headers={"accept-language": "en"}).text


def test_incident_markers_and_detail_name_the_nearest_site_in_the_readers_language(web: WebClient) -> None:
    web.login("analyst-ru")
    rows = {lang: web.get(f"{BASE}/map/incidents.json", params={"lang": lang}).json()["rows"] for lang in ("en", "ru")}
    named = [(en[0], en[10], ru[10]) for en, ru in zip(rows["en"], rows["ru"], strict=True) if en[10]]
    assert named, "the demo's incidents have nearest sites"
    assert all(CYRILLIC.search(ru) and not CYRILLIC.search(en) for _, en, ru in named)
    incident_id, english, russian = named[0]
    detail = web.get(f"{BASE}/incidents/{incident_id}", headers={"accept-language": "ru"}).text
    assert russian in detail
    assert english not in detail


@pytest.mark.parametrize(
    ("alt_names", "locale", "label"),
    [
        ([{"name": "Stepanakert", "lang": "hy"}, {"name": "Khankendi", "lang": "az"}], "ru", "Степанакерт / Ханкенди"),
        ([{"name": "Stepanakert", "lang": "hy"}, {"name": "Khankendi", "lang": "az"}], "en", "Stepanakert / Khankendi"),
        # A name written for Russian readers is kept beside the translation; one in another language is not.
        ([{"name": "Ханкенди-2", "lang": "ru"}, {"name": "Xankəndi", "lang": "az"}], "ru",
         "Степанакерт / Ханкенди / Ханкенди-2"),
        ([{"name": "Xankəndi", "lang": "az"}], "en", "Stepanakert / Khankendi / Xankəndi"),
    ],
)  # fmt: skip
def test_a_sites_label_keeps_its_other_names(alt_names: list[dict[str, str]], locale: str, label: str) -> None:
    site = Site(
        name="Stepanakert / Khankendi",
        translations={"ru": {"name": "Степанакерт / Ханкенди"}},
        alt_names=alt_names,
    )
    assert presenters.label(site, locale) == label


def test_an_untranslated_site_keeps_every_other_name() -> None:
    site = Site(name="Goris", translations=None, alt_names=[{"name": "Գորիս", "lang": "hy"}])
    assert presenters.label(site, "ru") == "Goris / Գորիս"
