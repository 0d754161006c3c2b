"""Every write of every service appends to the log in the same transaction, and a failed one leaves nothing."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import date
from types import FunctionType, ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from support import point_feature
from truce.db import Database
from truce.ledger import note
from truce.ledger import service as ledger
from truce.ledger.models import LogEntry
from truce.missions import service as missions_service
from truce.missions.schemas import DelegationIn, DeploymentIn, MissionIn, PartyIn
from truce.places import service as places_service
from truce.places.models import Site
from truce.places.schemas import AreaIn, LineIn, SiteIn
from truce.policy import Actor
from truce.users import service as users_service

SERVICES = [missions_service, places_service, users_service, ledger]
# Writes to the log's own bookkeeping, which is what the log is, not a record in it.
LOG_BOOKKEEPING = {"truce.ledger.service.append", "truce.ledger.service.append_body", "truce.ledger.service.checkpoint",
                   "truce.ledger.service.add_cosignature"}  # fmt: skip
WRITES = re.compile(r"session\.(add|delete|merge)\(|\.execute\(\s*(insert|update|delete)\(")


def write_functions(module: ModuleType) -> set[str]:
    """Public functions of `module` that write, directly or through a private helper of the module."""
    found = set()
    for name, function in vars(module).items():
        if name.startswith("_") or not isinstance(function, FunctionType) or function.__module__ != module.__name__:
            continue
        source = inspect.getsource(function)
        helpers = [vars(module)[h] for h in re.findall(r"\b(_[a-z_]+)\(", source) if h in vars(module)]
        sources = [source, *(inspect.getsource(h) for h in helpers if isinstance(h, FunctionType))]
        if any(WRITES.search(s) for s in sources):
            found.add(f"{module.__name__}.{name}")
    return found - LOG_BOOKKEEPING


def area_feature() -> AreaIn:
    ring = [[46.6, 39.8], [46.7, 39.8], [46.7, 39.9], [46.6, 39.8]]
    return AreaIn.model_validate(
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"name": "Buffer", "kind": "buffer_zone", "controlled_by": "ru"}}
    )  # fmt: skip


def line_feature() -> LineIn:
    return LineIn.model_validate(
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[46.6, 39.8], [46.7, 39.9]]},
         "properties": {"name": "Route", "kind": "patrol_route"}}
    )  # fmt: skip


def a_site(session: Session) -> Site:
    return session.execute(select(Site).order_by(Site.id).limit(1)).scalar_one()


def add_membership_elsewhere(session: Session) -> Any:
    second = missions_service.create(session, MissionIn(slug="second", name="Second"), actor=Actor.system())
    scoped = Actor.system(second.id)
    missions_service.create_party(session, second, PartyIn(code="un", name="UN", kind="mediator"), actor=scoped)
    missions_service.create_delegation(session, second, DelegationIn(code="un", name="UN", party="un"), actor=scoped)
    user = users_service.get_by_name(session, "analyst-ru")
    assert user is not None
    return users_service.add_membership(
        session, user, mission=second, role="analyst", delegation_code="un", actor=scoped
    )


# One way to call each write function; the mission is nk-2020 and the actor its operator.
Call = Callable[[Session, Any, Actor], Any]
CALLS: dict[str, Call] = {
    "truce.missions.service.create": lambda s, m, a: missions_service.create(
        s, MissionIn(slug="another", name="Another"), actor=Actor.system()
    ),
    "truce.missions.service.create_party": lambda s, m, a: missions_service.create_party(
        s, m, PartyIn(code="osce", name="OSCE", kind="observer"), actor=a
    ),
    "truce.missions.service.create_delegation": lambda s, m, a: missions_service.create_delegation(
        s, m, DelegationIn(code="ru2", name="Second", party="ru"), actor=a
    ),
    "truce.missions.service.record_deployment": lambda s, m, a: missions_service.record_deployment(
        s, m, DeploymentIn(on_date=date(2020, 12, 1), personnel=10), actor=a
    ),
    "truce.places.service.create_area": lambda s, m, a: places_service.create_area(s, m, area_feature(), actor=a),
    "truce.places.service.create_line": lambda s, m, a: places_service.create_line(s, m, line_feature(), actor=a),
    "truce.places.service.create_site": lambda s, m, a: places_service.create_site(
        s, m, SiteIn.model_validate(point_feature(46.7, 39.8, name="Post", kind="post")), actor=a
    ),
    "truce.places.service.delete_place": lambda s, m, a: places_service.delete_place(s, Site, m, a_site(s).id, actor=a),
    "truce.users.service.create": lambda s, m, a: users_service.create(
        s, "newcomer", "a-long-password", mission=m, role="monitor", delegation_code="ru", actor=a
    ),
    "truce.users.service.add_membership": lambda s, m, a: add_membership_elsewhere(s),
    "truce.ledger.service.add_witness": lambda s, m, a: ledger.add_witness(
        s, note.generate_signer("witness.am").cosigner_verifier_text(), "am", actor=Actor.system()
    ),
}


def test_every_write_function_has_a_recipe_here() -> None:
    discovered = set().union(*(write_functions(m) for m in SERVICES))
    assert discovered == set(CALLS), "a write function was added or removed: give it a recipe in CALLS"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_write_appends_to_the_log(session: Session, name: str) -> None:
    mission = missions_service.get_by_slug(session, "nk-2020")
    before = ledger.size(session)
    result = CALLS[name](session, mission, Actor.system(mission.id if mission else None))
    entries = ledger.entries(session, before, ledger.size(session))
    assert entries, f"{name} wrote without logging"
    assert result is None or any(e.entity_id == str(result.id) for e in entries)


def test_a_failed_transaction_leaves_neither_change_nor_entry(db: Database) -> None:
    with db.session() as session:
        before_entries = ledger.size(session)
        before_sites = session.scalar(select(func.count()).select_from(Site))
    written: list[int] = []

    def failing_request() -> None:
        with db.session() as session:
            mission = missions_service.get_by_slug(session, "nk-2020")
            assert mission is not None
            feature = SiteIn.model_validate(point_feature(46.7, 39.8, name="Doomed", kind="post"))
            places_service.create_site(session, mission, feature, actor=Actor.system(mission.id))
            written.append(ledger.size(session))
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        failing_request()
    assert written == [before_entries + 1]
    with db.session() as session:
        assert ledger.size(session) == before_entries
        assert session.scalar(select(func.count()).select_from(Site)) == before_sites
        assert session.scalar(select(func.count()).select_from(LogEntry)) == before_entries


def test_a_refused_write_logs_nothing(session: Session) -> None:
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    before = ledger.size(session)
    monitor = users_service.actor_for(session, users_service.get_by_name(session, "monitor-ru"), mission)
    with pytest.raises(Exception, match="may not"):
        places_service.create_site(
            session, mission, SiteIn.model_validate(point_feature(46.7, 39.8, name="x", kind="post")), actor=monitor
        )
    assert ledger.size(session) == before
