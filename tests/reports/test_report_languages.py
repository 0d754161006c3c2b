"""The daily report in Russian as well as English: names, not codes, in both; the Russian PDF read back with
pdftotext holds no English word and no raw code; the same log gives the same bytes in each language."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from reports.conftest import DAY
from truce.errors import Invalid
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.reports import build, service

# Words that are names, units or formats in any language: what may stay in Latin letters on a Russian report.
LATIN_ALLOWED = {"utc", "km", "uav", "uxo", "ied", "sha", "pdf", "html", "nk"}
RAW_CODE = re.compile(r"\b(?:[a-z]+_[a-z_]+|incident\.\w+|mine uxo)\b")


def text_of(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", out)


@pytest.fixture
def busy_day(file_incident: Callable[..., Incident], session: Session) -> None:
    file_incident(type="access", subtype="convoy_blocked", lon=46.55, lat=39.64)
    file_incident(type="mine_uxo", subtype="uxo_found", source="patrol", lon=46.75, lat=39.76)
    file_incident(type="civilian_harm", subtype="property_damage", lon=46.76, lat=39.74)
    session.flush()


def written_by_people(session: Session, mission: Mission) -> list[str]:
    """What people wrote or named (narratives, summaries, patrols, the names of the mission, its parties, zones
    and places where no Russian name is recorded): not the report's own words."""
    context = build.daily(session, mission, DAY, "ru")
    texts = [i.narrative for i in context.incidents] + [p.summary for p in context.provisions]
    texts += [f"{p.name} {p.team}" for p in context.freedom.planned] + [mission.slug, context.mission_name]
    texts += [z.zone for z in context.zones] + [i.zone for i in context.incidents] + list(context.parties.values())
    texts += [s.name for s in context.layers.settlements] + [a.name for a in context.layers.areas]
    texts += [f.text for f in context.freedom.footnotes if re.search(r"[A-Za-z]{3}", f.text)]
    return texts


def latin_words(texts: list[str]) -> set[str]:
    return {w.lower() for t in texts for w in re.findall(r"[A-Za-z]{2,}", t)}


@pytest.mark.usefixtures("busy_day")
def test_the_russian_pdf_has_no_english_and_no_codes(session: Session, mission: Mission, tmp_path: Path) -> None:
    pdf = tmp_path / "ru.pdf"
    pdf.write_bytes(service.daily_document(session, mission, DAY, "pdf", "ru"))
    text = text_of(pdf)
    assert "Ежедневный отчёт об обстановке, 21 ноября 2020" in text
    assert "Приложение: все инциденты за 21 ноября 2020" in text
    assert re.search(r"стр\. 1 из \d", text)
    assert "Мина или ВОП: обнаружен ВОП" in text
    people = written_by_people(session, mission)
    ours = text
    for written in sorted(people, key=len, reverse=True):
        ours = ours.replace(re.sub(r"\s+", " ", written).strip(), " ")
    assert not RAW_CODE.search(ours), RAW_CODE.search(ours)
    english = latin_words([ours]) - LATIN_ALLOWED - latin_words([mission.slug])
    assert not english, sorted(english)


@pytest.mark.usefixtures("busy_day")
def test_names_not_codes_in_the_english_report(session: Session, mission: Mission) -> None:
    html = service.daily_document(session, mission, DAY, "html", "en").decode()
    # Narratives are what people wrote ("Uxo found (mine uxo) observed ..."): not the report's words.
    body = re.sub(
        r'<style>.*?</style>|<svg.*?</svg>|<span class="narrative">.*?</span>|<[^>]+>', " ", html, flags=re.DOTALL
    )
    assert "Mine or UXO: UXO found" in body
    assert "source: Patrol" in body
    assert not RAW_CODE.search(body), RAW_CODE.search(body)


@pytest.mark.usefixtures("busy_day")
def test_each_language_gives_the_same_bytes_again(session: Session, mission: Mission) -> None:
    documents = {}
    for locale in ("en", "ru"):
        documents[locale] = service.daily_document(session, mission, DAY, "html", locale)
        assert documents[locale] == service.daily_document(session, mission, DAY, "html", locale)
    assert documents["en"] != documents["ru"]


def test_an_unknown_language_is_refused_by_name(session: Session, mission: Mission) -> None:
    with pytest.raises(Invalid) as refused:
        service.daily_document(session, mission, DAY, "html", "fr")
    assert refused.value.field == "language"
