"""The public bulletin in each of the mission's languages: English as before, Russian beside it, each with its own
bytes, hash, manifest and log entry, each rebuilt byte for byte by `check`, and the Russian one all in Russian."""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.html
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.conftest import DAY
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.policy import Actor
from truce.reports import bulletin, service, snapshot
from truce.reports.models import Report
from web.test_names import raw_codes
from web.test_russian import english_words


@pytest.fixture
def published(
    session: Session, mission: Mission, file_incident: Callable[..., Incident], member: Callable[[str], Actor]
) -> list[Report]:
    file_incident(narrative="Shelling seen from the post")
    file_incident(type="civilian_harm", subtype="injured", casualties={"injured": {"civilian": 2}})
    return service.publish_bulletins(session, mission, DAY, actor=member("verifier-ru"))


def visible_text(content: bytes) -> str:
    """What a reader of the document reads: its text and its charts' words, without the manifest, the styles and
    the command to type (a command is not prose)."""
    document = lxml.html.fromstring(content)
    # matplotlib writes each word of a chart as a comment beside its glyphs.
    chart_words = [str(c.text) for c in document.iter(lxml.etree.Comment)]
    for element in document.xpath("//script|//style|//code|//*[local-name()='metadata']"):
        element.drop_tree()
    return " ".join([*document.text_content().split(), *chart_words])


def test_publishing_makes_english_then_russian(session: Session, published: list[Report]) -> None:
    english, russian = published
    assert (english.language, russian.language) == ("en", "ru")
    assert (english.filename, russian.filename) == ("bulletin-2020-11-21.html", "bulletin-2020-11-21.ru.html")
    assert english.sha256 != russian.sha256
    assert english.log_size == russian.log_size
    assert english.log_root == russian.log_root
    # Each is a record of its own in the log, its hash in its entry.
    for report in published:
        [entry] = ledger.history(session, "reports", str(report.id))
        assert entry.action == "report.bulletin"
        assert report.sha256 in entry.data
    english_manifest, russian_manifest = (bulletin.read_manifest(r.content) for r in published)
    assert english_manifest.language == "en"
    assert russian_manifest.language == "ru"
    # The English manifest is written as before there were other languages.
    assert b'"language"' not in english.content
    assert b'"language": "ru"' in russian.content
    assert english.content.startswith(b'<!DOCTYPE html>\n<html lang="en">')
    assert russian.content.startswith(b'<!DOCTYPE html>\n<html lang="ru">')
    # Both drew on the publishing delegation's record: they name it (edition 2; an English one of edition 1 coded it).
    for manifest in (english_manifest, russian_manifest):
        assert manifest.edition == 2
        assert "delegations" in {r["kind"] for r in manifest.records}


def test_each_language_is_rebuilt_byte_for_byte(session: Session, published: list[Report]) -> None:
    for report in published:
        manifest = bulletin.read_manifest(report.content)
        state = snapshot.at(session, report.mission_id, manifest.log_size)
        again = bulletin.build(state, manifest.on, manifest.log_root, manifest.published_by, (), manifest.language)
        assert bulletin.html_text(again).encode("utf-8") == report.content, report.language
        checked = service.check_bulletin(session, report.content)
        assert checked.ok, checked.message
    assert "2020-11-21 in ru matches, byte for byte" in service.check_bulletin(session, published[1].content).message


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_flipped_byte_fails_the_check(session: Session, published: list[Report], language: str) -> None:
    report = next(r for r in published if r.language == language)
    content = bytearray(report.content)
    heading = "Public bulletin, 21" if language == "en" else "Открытый бюллетень, 21"
    at = content.index(heading.encode("utf-8")) + 1
    content[at] ^= 0x01
    checked = service.check_bulletin(session, bytes(content))
    assert not checked.ok
    assert f"differs from its rebuild from the log at byte {at:,}" in checked.message


def test_the_russian_bulletin_says_everything_in_russian(session: Session, published: list[Report]) -> None:
    english, russian = published
    text = visible_text(russian.content)
    assert "Открытый бюллетень, 21 ноября 2020" in text
    assert "Российский миротворческий контингент" in text
    # Names of places in Russian: the settlement the incidents are placed by, the zone they are in.
    assert re.search(r"от Шуша / Шуши", text), text[:3000]
    assert english_words(text, []) == set()
    assert raw_codes(text) == []
    # The detector sees the English one for what it is.
    assert {"Public", "bulletin", "Published", "Annex"} <= english_words(visible_text(english.content), [])
    # ... and names its delegation (edition 2), where edition 1 said "a verifier of the ru delegation".
    assert "delegation code: 'ru'" not in raw_codes(visible_text(english.content))


def test_a_mission_in_english_only_publishes_one(
    session: Session, mission: Mission, member: Callable[[str], Actor]
) -> None:
    mission.languages = ["en"]
    session.flush()
    assert service.bulletin_languages(mission) == ["en"]
    reports = service.publish_bulletins(session, mission, DAY, actor=member("verifier-tr"))
    assert [r.language for r in reports] == ["en"]
    assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 1


def test_editions_group_a_publication_english_first(published: list[Report]) -> None:
    assert service.editions(list(reversed(published))) == [published]


def test_an_english_bulletin_names_its_publisher_and_an_edition_1_one_still_checks(
    session: Session, published: list[Report]
) -> None:
    english = published[0]
    text = visible_text(english.content)
    assert "Published by a verifier of the ru delegation." not in text
    assert re.search(r"Published by a verifier of the \w[^.]+ delegation\.", text), text
    # A bulletin published before edition 2 (its publisher by code) rebuilds in its own edition and still checks.
    manifest = bulletin.read_manifest(english.content)
    state = snapshot.at(session, english.mission_id, manifest.log_size)
    old = bulletin.build(state, manifest.on, manifest.log_root, manifest.published_by, (), "en", edition=1)
    content = bulletin.html_text(old).encode("utf-8")
    assert b'"format": "truce-bulletin/1"' in content
    assert "Published by a verifier of the ru delegation." in visible_text(content)
    checked = service.check_bulletin(session, content)
    assert checked.ok, checked.message
    # The edition is part of what is checked: a changed format line no longer rebuilds.
    forged = content.replace(b'"format": "truce-bulletin/1"', b'"format": "truce-bulletin/2"')
    assert not service.check_bulletin(session, forged).ok
