"""A page of `list_incidents` is tuples of columns, not records: its Features must be the records' own."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from mission_examples import Scene
from truce.incidents import presenters as incident_presenters
from truce.incidents import service
from truce.incidents.models import Incident, IncidentView
from truce.missions.models import Mission
from truce.places import presenters as place_presenters
from truce.policy import Actor


def test_the_view_holds_incident_columns_under_their_names() -> None:
    columns = Incident.__table__.c
    assert set(IncidentView._fields) <= set(columns.keys())
    assert all(Incident.__mapper__.get_property_by_column(columns[name]).key == name for name in IncidentView._fields)


def test_a_page_shows_what_the_records_show(session: Session, mission: Mission) -> None:
    actor = Actor.system(mission.id)
    page = service.list_incidents(session, mission, actor=actor, limit=100)
    names = place_presenters.site_names(session, mission, actor)
    assert len(page) == 100
    for view in page:
        record = session.get(Incident, view.id)
        assert record is not None
        local = mission.taxonomy
        assert incident_presenters.feature(view, site_names=names, local=local) == incident_presenters.feature(
            record, site_names=names, local=local
        )
    assert page[0].start.utcoffset() is not None


def test_a_liaison_page_holds_only_what_the_liaison_may_read(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> None:
    liaison = service.list_incidents(session, mission, actor=member("liaison-am"), limit=10_000)
    everything = service.list_incidents(session, mission, actor=Actor.system(mission.id), limit=10_000)
    assert 0 < len(liaison) < len(everything)
    own = scene.delegation("am")
    assert all(view.author_delegation == own or view.classification in ("parties", "public") for view in liaison)
