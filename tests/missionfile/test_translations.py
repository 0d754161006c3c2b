"""Names and descriptions in each of a mission's languages (issue 18, part 2): in the mission file, stored with
the records, shown in the reader's language, exported as they came in, changed by `apply`; and `apply` keeps
every place that records name, whatever kind of record."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import EXAMPLE, example
from truce.db import Database
from truce.missionfile import apply, create, export, spec
from truce.missionfile.problems import MissionFileInvalid
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DeploymentIn
from truce.places.models import Site
from truce.policy import Actor
from web.conftest import WebClient


def problems(data: Any) -> list[str]:
    with pytest.raises(MissionFileInvalid) as caught:
        spec.from_data(data, base=None)
    return [str(p) for p in caught.value.problems]


def test_the_demo_carries_its_names_in_russian(session: Session, mission: Mission) -> None:
    assert mission.translations is not None
    assert mission.translations["ru"]["name"] == mission.names["ru"]
    assert mission.translations["ru"]["description"].startswith("Заявление о прекращении огня")
    parties = {p.code: p for p in missions_service.parties(session, mission)}
    assert parties["ru"].translations == {"ru": {"name": "Российская Федерация"}}
    delegations = {d.code: d for d in missions_service.delegations(session, mission)}
    assert all(d.translations and d.translations["ru"]["name"] for d in delegations.values())
    capital = session.execute(
        select(Site).where(Site.mission_id == mission.id, Site.name == "Stepanakert / Khankendi")
    ).scalar_one()
    assert capital.translations == {"ru": {"name": "Степанакерт / Ханкенди"}}
    # The alternatives stay beside the translations.
    assert [n["name"] for n in capital.alt_names] == ["Stepanakert", "Khankendi"]
    sites = session.execute(select(Site).where(Site.mission_id == mission.id)).scalars().all()
    assert all(site.translations and site.translations["ru"]["name"] for site in sites)


def test_a_translation_in_a_language_the_mission_lacks_is_a_problem() -> None:
    data = example()
    data["parties"][0]["translations"] = {"ru": {"name": "Северные власти"}}
    data["delegations"][1]["translations"] = {"en": {"name": "Not another language"}}
    data["places"]["sites"]["features"][0]["properties"]["translations"] = {"de": {"name": "Beobachtungsposten"}}
    data["description"] = {"en": "A mission.", "es": "Una misión."}
    found = problems(data)
    assert "parties[0].translations.ru: ru is not one of the mission's other languages (fr)" in found
    assert "delegations[1].translations.en: en is not one of the mission's other languages (fr)" in found
    assert (
        "places.sites.features[0].properties.translations.de: de is not one of the mission's other languages (fr)"
        in found
    )
    assert "description.es: es is not among the languages (en, fr)" in found


def test_a_translation_that_is_not_a_name_is_refused_by_the_schema() -> None:
    data = example()
    data["parties"][0]["translations"] = {"fr": {"title": "Autorités"}}
    assert any(p.startswith("parties[0].translations.fr") for p in problems(data))


def test_apply_changes_a_name_in_another_language(session: Session, mission: Mission) -> None:
    document = export.mission_file(session, mission)
    document["parties"][2]["translations"] = {"ru": {"name": "Армения"}}
    document["delegations"][2]["translations"] = {"ru": {"name": "Связной Армении"}}
    document["description"]["ru"] = "Новое описание."
    site = document["places"]["sites"]["features"][1]
    site["properties"]["translations"] = {"ru": {"name": "Шуша"}}
    plan = apply.plan(session, mission, spec.from_data(document, base=None))
    assert plan.lines() == [
        "~ mission settings: translations",
        "~ party am: name or kind",
        "~ delegation am: name",
        "~ site 'Shusha / Shushi'",
    ]
    apply.apply(session, mission, plan, actor=Actor.system())
    assert missions_service.party_by_code(session, mission, "am").translations == {"ru": {"name": "Армения"}}
    assert mission.translations is not None
    assert mission.translations["ru"]["description"] == "Новое описание."
    assert export.mission_file(session, mission) == document


def test_the_pages_show_the_readers_language(
    session: Session, mission: Mission, client: TestClient, db: Database
) -> None:
    web = WebClient(client, db).login("admin")
    russian = web.get(f"/m/{mission.slug}/admin/places", headers={"Accept-Language": "ru"}).text
    assert "Степанакерт / Ханкенди" in russian
    assert "Наблюдательный пост 01" in russian
    english = web.get(f"/m/{mission.slug}/admin/places", headers={"Accept-Language": "en"}).text
    assert "Stepanakert / Khankendi" in english
    assert "Степанакерт" not in english
    home = web.get(f"/m/{mission.slug}/", headers={"Accept-Language": "ru"}).text
    assert mission.names["ru"] in home
    assert "Заявление о прекращении огня" in home


def test_the_example_carries_french_names(session: Session) -> None:
    valley, _ = create.create(session, spec.read(EXAMPLE), actor=Actor.system())
    assert valley.translations is not None
    assert valley.translations["fr"]["name"].startswith("Force de la zone tampon")
    assert missions_service.party_by_code(session, valley, "north").translations == {
        "fr": {"name": "Autorités du Nord"}
    }


def test_a_place_that_any_record_names_is_never_removed(session: Session) -> None:
    valley, _ = create.create(session, spec.read(EXAMPLE), actor=Actor.system())
    document = export.mission_file(session, valley)
    last = document["places"]["sites"]["features"][-1]["properties"]["name"]
    site = session.execute(select(Site).where(Site.mission_id == valley.id, Site.name == last)).scalar_one()
    # Not an incident: a deployment (any table that refers to sites counts).
    staffed = DeploymentIn(site_id=site.id, on_date=date(2024, 5, 1), personnel=12)
    missions_service.record_deployment(session, valley, staffed, actor=Actor.system(valley.id))
    document["places"]["sites"]["features"].pop()
    plan = apply.plan(session, valley, spec.from_data(document, base=None))
    assert plan.changes == []
    assert plan.refused == [
        f"site {last!r} is not in the file, but 1 deployments refer to it (set valid_until instead)"
    ]
