"""Atom feeds: parsed by feedparser with no error, stable tag: ids, 304 on If-None-Match, and only what the
reader may read (the public: `public` records only)."""

from __future__ import annotations

import feedparser
import pytest
from fastapi.testclient import TestClient

from support import Login
from test_policy_matrix import make_incident

BASE = "/api/v1/missions/nk-2020"
FEED = "/feeds/nk-2020/incidents.atom"


def confirm(client: TestClient, login: Login, incident_id: int) -> None:
    for verifier in ("verifier-ru", "verifier-tr"):
        answer = client.post(
            f"{BASE}/incidents/{incident_id}/verifications", json={"verdict": "confirm", "note": "seen"},
            headers=login(verifier),
        )  # fmt: skip
        assert answer.status_code == 201, answer.text


@pytest.fixture
def confirmed(client: TestClient, login: Login) -> dict[str, int]:
    made = {
        c: make_incident(client, login, c, ["ru", "tr"] if c == "restricted" else [])
        for c in ("restricted", "mission", "parties", "public")
    }
    for incident_id in made.values():
        confirm(client, login, incident_id)
    return made


def ids_in(client: TestClient, headers: dict[str, str], path: str = FEED) -> set[str]:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.id.startswith("tag:")
    return {entry.id for entry in parsed.entries}


@pytest.mark.parametrize(
    ("account", "readable"),
    [
        ("public", {"public"}),
        ("liaison-am", {"parties", "public"}),
        ("analyst-ru", {"restricted", "mission", "parties", "public"}),
        ("humanitarian-unhcr", {"parties", "public"}),
        ("verifier-tr", {"restricted", "mission", "parties", "public"}),
    ],
)
def test_a_reader_sees_the_confirmed_incidents_it_may_read(
    client: TestClient, login: Login, confirmed: dict[str, int], account: str, readable: set[str]
) -> None:
    found = ids_in(client, login(account))
    for classification, incident_id in confirmed.items():
        entry_id = f"tag:truce.invalid,2026:nk-2020/incident/{incident_id}"
        assert (entry_id in found) == (classification in readable), classification


def test_ids_are_stable_and_an_unchanged_feed_answers_304(
    client: TestClient, login: Login, confirmed: dict[str, int]
) -> None:
    first = client.get(FEED)
    etag = first.headers["etag"]
    assert client.get(FEED, headers={"If-None-Match": etag}).status_code == 304
    russian = client.get(FEED + "?lang=ru")
    assert feedparser.parse(russian.content).feed.language == "ru"
    assert {e.id for e in feedparser.parse(russian.content).entries} == {
        e.id for e in feedparser.parse(first.content).entries
    }
    assert russian.headers["etag"] != etag
    make_incident(client, login, "public", [])
    confirm(client, login, make_incident(client, login, "public", []))
    changed = client.get(FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_a_zone_filter_and_the_bulletins_feed(client: TestClient, login: Login, confirmed: dict[str, int]) -> None:
    everything = ids_in(client, {})
    assert ids_in(client, {}, FEED + "?zone=999999") == set()
    assert everything
    assert client.get(FEED + "?zone=0").status_code == 422
    assert client.get(FEED + "?lang=fr").status_code == 422
    ids_in(client, {}, "/feeds/nk-2020/bulletins.atom")
    assert client.get("/feeds/no-such-mission/incidents.atom").status_code == 404


PROVISIONS_FEED = "/feeds/nk-2020/provisions.atom"


@pytest.fixture
def assessed(client: TestClient, login: Login) -> dict[str, int]:
    """Two provisions, one public and one for the mission, each assessed once: classification -> status id."""
    made: dict[str, int] = {}
    for number, classification in (("90.1", "public"), ("90.2", "mission")):
        provision = client.post(
            f"{BASE}/provisions",
            json={"number": number, "summary": f"Point {number}", "category": "Cease Fire",
                  "classification": classification},
            headers=login("admin"),
        )  # fmt: skip
        assert provision.status_code == 201, provision.text
        status = client.post(
            f"{BASE}/provisions/{provision.json()['id']}/statuses",
            json={"level": 2, "as_of": "2020-11-25", "note": "half the posts handed over"},
            headers=login("verifier-ru"),
        )
        assert status.status_code == 201, status.text
        made[classification] = int(status.json()["id"])
    return made


@pytest.mark.parametrize(
    ("account", "readable"),
    [("public", {"public"}), ("liaison-am", {"public"}), ("analyst-ru", {"public", "mission"})],
)
def test_the_provisions_feed_holds_the_status_changes_a_reader_may_read(
    client: TestClient, login: Login, assessed: dict[str, int], account: str, readable: set[str]
) -> None:
    found = ids_in(client, login(account), PROVISIONS_FEED)
    mine = {c: f"tag:truce.invalid,2026:nk-2020/provision-status/{i}" for c, i in assessed.items()}
    assert {c for c, tag in mine.items() if tag in found} == readable


def test_the_provisions_feed_in_russian_with_a_304(client: TestClient, login: Login, assessed: dict[str, int]) -> None:
    english = client.get(PROVISIONS_FEED)
    entry = next(e for e in feedparser.parse(english.content).entries if e.id.endswith(f"/{assessed['public']}"))
    assert entry.title == "Provision 90.1: intermediate"
    assert "half the posts handed over" in entry.summary
    russian = client.get(PROVISIONS_FEED, params={"lang": "ru"})
    parsed = feedparser.parse(russian.content)
    assert not parsed.bozo
    assert "изменения статуса положений" in parsed.feed.title
    assert {e.id for e in parsed.entries} == {e.id for e in feedparser.parse(english.content).entries}
    again = client.get(PROVISIONS_FEED, headers={"If-None-Match": english.headers["ETag"]})
    assert again.status_code == 304


BULLETINS_FEED = "/feeds/nk-2020/bulletins.atom"


def test_the_bulletins_feed_links_each_publication_in_each_language(client: TestClient, login: Login) -> None:
    published = client.post(f"{BASE}/bulletins", json={"date": "2020-11-21"}, headers=login("verifier-ru"))
    assert published.status_code == 201, published.text
    english = published.json()
    assert english["language"] == "en"
    listed = client.get(f"{BASE}/reports", headers=login("verifier-ru")).json()
    russian = next(r for r in listed if r["kind"] == "bulletin" and r["language"] == "ru")
    for lang, first in (("en", english), ("ru", russian)):
        feed = feedparser.parse(client.get(BULLETINS_FEED, params={"lang": lang}).content)
        assert not feed.bozo, feed.bozo_exception
        [entry] = feed.entries
        # One entry per publication, its id the English document's whatever the feed's language.
        assert entry.id.endswith(f"nk-2020/bulletin/{english['id']}")
        links = [(link.href, link.get("hreflang")) for link in entry.links if link.rel == "alternate"]
        assert links[0] == (f"http://testserver{first['download']}", lang)
        assert {hreflang for _, hreflang in links} == {"en", "ru"}
        assert f"SHA-256 {english['sha256']} (en)" in entry.summary
        assert f"SHA-256 {russian['sha256']} (ru)" in entry.summary
    assert client.get(russian["download"]).content.startswith(b'<!DOCTYPE html>\n<html lang="ru">')
