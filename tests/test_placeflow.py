"""The map's one flow (issue 15 part 4): changes to places re-derive the incidents they touch, once per batch,
and a place incidents name is never removed from under them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from databases import fresh_database
from mission_examples import Scene
from support import point_feature
from truce import geo, placeflow
from truce.demo import loader
from truce.errors import Conflict
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.places.models import Area, Line, Site
from truce.places.schemas import SiteIn
from truce.policy import Actor

FIELD = (46.6201, 39.9501)  # a demo position; Scene.at moves it (and the posts near it) into another mission


def post(name: str, lon: float, lat: float) -> SiteIn:
    return SiteIn.model_validate(point_feature(lon, lat, name=name, kind="post"))


def shelling(session: Session, mission: Mission, author: Actor, scene: Scene) -> Incident:
    start = scene.moment(10, day=scene.shifted(date(2020, 11, 20)))
    body = IncidentIn.model_validate(
        point_feature(*scene.at(*FIELD), type="explosion", subtype="mortar", start=start, source="post",
                      counts={"impacts": 3})
    )  # fmt: skip
    return incidents_service.create(session, mission, body, actor=author)


def rederived_ids(session: Session, since: int) -> list[str]:
    entries = ledger.entries(session, since, ledger.size(session))
    return [e.entity_id for e in entries if e.action == "incident.rederive"]


def test_a_new_site_redraws_its_neighbours_and_says_how_many(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> None:
    incident = shelling(session, mission, member("monitor-ru"), scene)
    before = ledger.size(session)
    made = placeflow.create(session, mission, post("Post 30", *scene.at(46.6202, 39.9502)), actor=member("admin"))
    assert incident.nearest_site_id == made.place.id
    assert made.rederived == len(rederived_ids(session, before)) >= 1
    assert str(incident.id) in rederived_ids(session, before)


def test_a_batch_derives_each_incident_once(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> None:
    incident = shelling(session, mission, member("monitor-ru"), scene)
    before = ledger.size(session)
    admin = member("admin")
    with placeflow.batch(session, mission, actor=admin) as changes:
        far = placeflow.create(
            session, mission, post("Post 31", *scene.at(46.6301, 39.9601)), actor=admin, within=changes
        )
        near = placeflow.create(
            session, mission, post("Post 32", *scene.at(46.6202, 39.9502)), actor=admin, within=changes
        )
        assert (far.rederived, near.rederived) == (0, 0)
        assert rederived_ids(session, before) == []  # nothing is derived until the batch ends
    ids = rederived_ids(session, before)
    assert len(ids) == len(set(ids)) == changes.rederived
    assert str(incident.id) in ids
    assert incident.nearest_site_id == near.place.id


def test_a_failed_batch_derives_nothing(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> None:
    shelling(session, mission, member("monitor-ru"), scene)
    before = ledger.size(session)
    admin = member("admin")

    def failing_import() -> None:
        with placeflow.batch(session, mission, actor=admin) as changes:
            placeflow.create(
                session, mission, post("Post 33", *scene.at(46.6202, 39.9502)), actor=admin, within=changes
            )
            raise RuntimeError("the import failed")

    with pytest.raises(RuntimeError):
        failing_import()
    assert rederived_ids(session, before) == []


def test_a_site_incidents_name_is_not_removed(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> None:
    used_id = session.scalars(select(Incident.nearest_site_id).where(Incident.nearest_site_id.is_not(None))).first()
    assert used_id is not None
    site = session.get(Site, used_id)
    assert site is not None
    before = ledger.size(session)
    with pytest.raises(Conflict, match="incidents refer to this site"):
        placeflow.remove(session, Site, mission, used_id, actor=member("admin"))
    assert ledger.size(session) == before
    assert placeflow.incidents_naming(session, site) > 0
    lonely = placeflow.create(session, mission, post("Far post", *scene.at(44.0, 41.5)), actor=member("admin")).place
    assert placeflow.remove(session, Site, mission, lonely.id, actor=member("admin")).rederived == 0
    assert session.get(Site, lonely.id) is None


def test_the_places_service_knows_nothing_of_incidents() -> None:
    code = "import sys, truce.places.service; print(sorted(m for m in sys.modules if m.startswith('truce.incidents')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_the_demo_derives_incidents_once_per_load(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its dozens of places go in as one batch: one pass over the incidents, not one per place."""
    passes: list[geo.BBox | None] = []
    rederive = incidents_service.rederive

    def counted(session: Session, mission: Mission, *, actor: Actor, within: geo.BBox | None = None) -> int:
        passes.append(within)
        return rederive(session, mission, actor=actor, within=within)

    monkeypatch.setattr(incidents_service, "rederive", counted)
    db = fresh_database(backend, tmp_path, name="placeflow")
    try:
        with db.session() as session:
            loader.load(session, incidents=6)
            places = sum(session.scalar(select(func.count()).select_from(m)) or 0 for m in (Area, Line, Site))
    finally:
        db.dispose()
    assert places > 10
    assert len(passes) == 1
