"""Every write of every service appends to the log in the same transaction, and a failed one leaves nothing."""

from __future__ import annotations

import importlib
import importlib.util
import io
import pkgutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import truce
from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, SCENES, Scene
from patrol_support import flight_body, patrol_body, restriction_body, track_points
from patrol_support import gpx as gpx_file
from support import point_feature
from truce import placeflow
from truce.agreement import service as agreement_service
from truce.agreement.schemas import ExtensionIn, LinkIn, ProvisionIn, StatusIn
from truce.claims import service as claims_service
from truce.claims.models import Claim
from truce.claims.schemas import AssessmentIn, ClaimIn
from truce.db import Database
from truce.demo import loader
from truce.evidence import service as evidence_service
from truce.evidence import store
from truce.incidents import service as incidents_service
from truce.incidents.schemas import IncidentIn, VerdictIn
from truce.ledger import note
from truce.ledger import service as ledger
from truce.ledger.models import LogEntry
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, DeploymentIn, MissionIn, MissionUpdate, PartyIn
from truce.movements import service as movements_service
from truce.movements.schemas import ConfirmIn, ExchangeIn, ExchangeListIn, HandoverIn, MovementIn
from truce.openrosa import callers, devices, intake
from truce.patrols import gpx
from truce.patrols import service as patrols_service
from truce.patrols.points import Points
from truce.patrols.schemas import PatrolIn
from truce.places import service as places_service
from truce.places.models import Site
from truce.places.schemas import AreaIn, LineIn, SiteIn
from truce.policy import Actor
from truce.reports import service as reports_service
from truce.restrictions import service as restrictions_service
from truce.restrictions.schemas import RestrictionIn, UavFlightIn
from truce.users import service as users_service
from truce.users.models import User
from truce.verification import service as verification_service

SERVICES = [
    importlib.import_module(f"truce.{module.name}.service")
    for module in pkgutil.iter_modules(truce.__path__)
    if module.ispkg and importlib.util.find_spec(f"truce.{module.name}.service") is not None
]
# Writes to the log's own bookkeeping, which is what the log is, not a record in it.
# Writes to the log's own bookkeeping, which is what the log is, not a record in it.
LOG_BOOKKEEPING = {
    "record",
    "savepoint",
    "after_ids",
    "cached",
    "listen",
    "checkpoint",
    "add_cosignature",
}
# Functions that only read. Every other public service function is a write and needs a recipe in CALLS,
# so a new function cannot slip past this test: it is either declared a read here or proven to log.
READS = {
    "get", "get_by_slug", "get_by_name", "get_place", "list_visible", "list_places", "list_incidents",
    "list_verdicts", "query", "feature", "feature_collection", "site_names", "visible", "parties", "party_by_code",
    "delegations", "deployments", "strength_on", "authenticate", "hash_password", "memberships", "actor_for",
    "size", "current_root", "latest_checkpoint", "checkpoint_with_cosignatures", "witnesses", "inclusion",
    "consistency", "entries", "history", "border_root", "duplicates", "verdicts", "positions", "status_from",
    "custody", "delegation_by_code", "list_for", "shows_metadata", "farthest_nearest_site_km", "incident_holding",
    "check_restricted_to", "checks", "require_amendable", "amendable_by", "incidents_referring",
}  # fmt: skip
# The agreement, movements and claims (issue 6).
READS |= {
    "list_provisions", "statuses", "list_statuses", "extensions", "list_extensions", "histories", "level_on",
    "is_overdue", "level_label", "list_movements", "site_of_kind", "list_exchanges", "get_exchange", "party_of",
    "list_lists", "comparison", "list_claims", "citing",
}  # fmt: skip


def public_functions(module: ModuleType) -> set[str]:
    """The public functions defined in a service module."""
    return {
        name
        for name, function in vars(module).items()
        if not name.startswith("_") and isinstance(function, FunctionType) and function.__module__ == module.__name__
    }


def write_functions(module: ModuleType) -> set[str]:
    """Every public function of the module that is not declared a read or log bookkeeping."""
    return {f"{module.__name__}.{name}" for name in public_functions(module) - READS - LOG_BOOKKEEPING}


def scene_of(mission: Any) -> Scene:
    """The mission as the recipes see it: its accounts, places, parties and days (Scene)."""
    return SCENES[mission.slug]


# Demo facts a recipe corrects or moves, and their counterparts in the example: the agency that acts as an
# exchange's intermediary, a provision to revise, a site to move.
AGENCY = {DEMO_SLUG: "icrc", EXAMPLE_SLUG: "relief"}
PROVISION = {DEMO_SLUG: "9", EXAMPLE_SLUG: "4"}
SITE_TO_MOVE = {DEMO_SLUG: "JMC", EXAMPLE_SLUG: "OP-C"}


def area_feature(scene: Scene) -> AreaIn:
    ring = [list(scene.at(*point)) for point in [(46.6, 39.8), (46.7, 39.8), (46.7, 39.9), (46.6, 39.8)]]
    return AreaIn.model_validate(
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"name": "Buffer", "kind": "buffer_zone", "controlled_by": scene.delegation("ru")}}
    )  # fmt: skip


def line_feature(scene: Scene) -> LineIn:
    line = [list(scene.at(46.6, 39.8)), list(scene.at(46.7, 39.9))]
    return LineIn.model_validate(
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
         "properties": {"name": "Route", "kind": "patrol_route"}}
    )  # fmt: skip


def unused_site(session: Session, mission: Any, actor: Actor) -> Site:
    """A site far from every incident, so that nothing refers to it."""
    far = SiteIn.model_validate(point_feature(*scene_of(mission).at(44.0, 41.5), name="Far away", kind="settlement"))
    return places_service.create_site(session, mission, far, actor=actor)


def a_site(session: Session) -> Site:
    return session.execute(select(Site).order_by(Site.id).limit(1)).scalar_one()


def add_membership_elsewhere(session: Session, mission: Any) -> Any:
    second = missions_service.create(session, MissionIn(slug="second", name="Second"), actor=Actor.system())
    scoped = Actor.system(second.id)
    missions_service.create_party(session, second, PartyIn(code="un", name="UN", kind="mediator"), actor=scoped)
    missions_service.create_delegation(session, second, DelegationIn(code="un", name="UN", party="un"), actor=scoped)
    user = users_service.get_by_name(session, scene_of(mission).account("analyst-ru"))
    assert user is not None
    return users_service.add_membership(
        session, user, mission=second, role="analyst", delegation_code="un", actor=scoped
    )


def an_incident(scene: Scene) -> IncidentIn:
    start = scene.moment(10, day=scene.shifted(date(2020, 11, 20)))
    return IncidentIn.model_validate(
        point_feature(*scene.at(46.75, 39.85), type="explosion", subtype="mortar", start=start, source="post",
                      counts={"impacts": 3})
    )  # fmt: skip


def member(session: Session, mission: Any, username: str) -> Actor:
    """The actor a demo account (or its counterpart in the mission) acts as."""
    user = users_service.get_by_name(session, scene_of(mission).account(username))
    return users_service.actor_for(session, user, mission)


def author_of(session: Session, mission: Any) -> Actor:
    return member(session, mission, "monitor-ru")


def filed(session: Session, mission: Any) -> Any:
    return incidents_service.create(session, mission, an_incident(scene_of(mission)), actor=author_of(session, mission))


def rederive_after_moving_a_post(session: Session, mission: Any, actor: Actor) -> Any:
    incident = filed(session, mission)
    before = ledger.size(session)
    # A new post right beside the incident makes it the nearest site: the map changed under the incident.
    post = SiteIn.model_validate(point_feature(*scene_of(mission).at(46.7501, 39.8501), name="New", kind="post"))
    site = placeflow.create(session, mission, post, actor=actor).place
    moved = [e for e in ledger.entries(session, before, ledger.size(session)) if e.action == "incident.rederive"]
    assert str(incident.id) in [e.entity_id for e in moved]
    assert incident.nearest_site_id == site.id
    return incidents_service.rederive(session, mission, actor=actor)


def with_evidence(session: Session, mission: Any, *, fetch_too: bool) -> Any:
    """Attach a stored file to a new incident, and download it if asked; returns what was logged last."""
    author = author_of(session, mission)
    incident = filed(session, mission)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        stored = store.save_stream([b"%PDF-1.7 a report"], root, limit=1024)
        evidence = evidence_service.attach(session, mission, incident.id, stored, "report.pdf", actor=author)
        if not fetch_too:
            return evidence
        sent = evidence_service.fetch(session, mission, incident.id, stored.sha256, root, actor=author)
        return sent.evidence


# One way to call each write function; the mission is nk-2020 (or the example) and the actor its operator.
Call = Callable[[Session, Any, Actor], Any]
CALLS: dict[str, Call] = {
    "truce.missions.service.create": lambda s, m, a: missions_service.create(
        s, MissionIn(slug="another", name="Another"), actor=Actor.system()
    ),
    "truce.missions.service.update": lambda s, m, a: missions_service.update(
        s, m, MissionUpdate(duplicate_km=3.5), actor=a
    ),
    "truce.missions.service.create_party": lambda s, m, a: missions_service.create_party(
        s, m, PartyIn(code="osce", name="OSCE", kind="observer"), actor=a
    ),
    "truce.missions.service.create_delegation": lambda s, m, a: missions_service.create_delegation(
        s, m, DelegationIn(code="ru2", name="Second", party=scene_of(m).delegation("ru")), actor=a
    ),
    "truce.missions.service.record_deployment": lambda s, m, a: missions_service.record_deployment(
        s, m, DeploymentIn(on_date=scene_of(m).shifted(date(2020, 12, 1)), personnel=10), actor=a
    ),
    "truce.places.service.create_area": lambda s, m, a: places_service.create_area(
        s, m, area_feature(scene_of(m)), actor=a
    ),
    "truce.places.service.create_line": lambda s, m, a: places_service.create_line(
        s, m, line_feature(scene_of(m)), actor=a
    ),
    "truce.places.service.create_site": lambda s, m, a: places_service.create_site(
        s, m, SiteIn.model_validate(point_feature(*scene_of(m).at(46.7, 39.8), name="Post", kind="post")), actor=a
    ),
    "truce.places.service.delete_place": lambda s, m, a: places_service.delete_place(
        s, Site, m, unused_site(s, m, a).id, actor=a
    ),
    "truce.users.service.create": lambda s, m, a: users_service.create(
        s,
        "newcomer",
        "a-long-password",
        mission=m,
        role="monitor",
        delegation_code=scene_of(m).delegation("ru"),
        actor=a,
    ),
    "truce.users.service.add_membership": lambda s, m, a: add_membership_elsewhere(s, m),
    "truce.incidents.service.create": lambda s, m, a: incidents_service.create(s, m, an_incident(scene_of(m)), actor=a),
    "truce.incidents.service.create_many": lambda s, m, a: incidents_service.create_many(
        s, m, [an_incident(scene_of(m)).model_dump(mode="json")], actor=a
    )[0][0],
    "truce.incidents.service.update": lambda s, m, a: incidents_service.update(
        s, m, filed(s, m).id, an_incident(scene_of(m)), actor=author_of(s, m)
    ),
    "truce.incidents.service.retract": lambda s, m, a: incidents_service.retract(
        s, m, filed(s, m).id, actor=author_of(s, m)
    ),
    "truce.incidents.service.rederive": lambda s, m, a: rederive_after_moving_a_post(s, m, a),
    "truce.incidents.service.merge": lambda s, m, a: incidents_service.merge(
        s, m, filed(s, m).id, filed(s, m).id, actor=a
    ),
    "truce.verification.service.verify": lambda s, m, a: verification_service.verify(
        s,
        m,
        filed(s, m).id,
        VerdictIn(verdict="confirm"),
        actor=member(s, m, "verifier-tr"),
    ),
    "truce.evidence.service.attach": lambda s, m, a: with_evidence(s, m, fetch_too=False),
    "truce.evidence.service.fetch": lambda s, m, a: with_evidence(s, m, fetch_too=True),
    "truce.ledger.service.add_witness": lambda s, m, a: ledger.add_witness(
        s,
        note.generate_signer("witness.am").cosigner_verifier_text(),
        scene_of(m).delegation("am"),
        actor=Actor.system(),
    ),
    "truce.ledger.service.set_witness_policy": lambda s, m, a: ledger.set_witness_policy(
        s, m.id, f"log {SERVER.verifier_text()}\nquorum none\n", SERVER.verifier(), actor=Actor.system(m.id)
    ),
}
# Issue 16: reading a mission's witness policy, and the checkpoints and cosigners it counts.
READS |= {"cosigners", "witness_policy", "witnessed_checkpoint"}
SERVER = note.generate_signer("truce.test/log")


def a_provision(session: Session, mission: Any, actor: Actor, deadline: date | None = None) -> Any:
    data = ProvisionIn(number="99", summary="Mine clearance", category="Cease Fire", deadline=deadline)
    return agreement_service.create(session, mission, data, actor=actor)


def a_checkpoint(session: Session, mission: Any) -> int:
    return session.execute(select(Site.id).where(Site.code == scene_of(mission).checkpoint)).scalar_one()


def an_exchange(session: Session, mission: Any, actor: Actor, *, lists: bool = False, handed: bool = False) -> Any:
    """An exchange between am and az (or their counterparts), with both lists and the handover recorded if asked."""
    scene = scene_of(mission)
    sides = scene.delegation("am"), scene.delegation("az")
    data = ExchangeIn(kind="detainees", side_a=sides[0], side_b=sides[1], intermediary=AGENCY[mission.slug])
    exchange = movements_service.create_exchange(session, mission, data, actor=actor)
    if lists:
        for side in sides:
            body = ExchangeListIn.model_validate({"side": side, "hands_over": {"detainees": 1}})
            movements_service.submit_list(session, mission, exchange.id, body, actor=actor)
    if handed:
        handover = HandoverIn.model_validate(
            {"on_date": str(scene.shifted(date(2020, 12, 14))), "a_to_b": {}, "b_to_a": {}}
        )
        movements_service.record_handover(session, mission, exchange.id, handover, actor=actor)
    return exchange


def a_return(session: Session, mission: Any, individuals: int = 40) -> MovementIn:
    """People returning through the mission's checkpoint on 2 December 2020 (or its counterpart)."""
    on_date = scene_of(mission).shifted(date(2020, 12, 2))
    return MovementIn(site_id=a_checkpoint(session, mission), direction="incoming", kind="return", on_date=on_date,
                      individuals=individuals)  # fmt: skip


def a_claim(session: Session, mission: Any, actor: Actor) -> Claim:
    scene = scene_of(mission)
    said_on = scene.shifted(date(2020, 11, 24))
    data = ClaimIn(speaker="Spokesperson", affiliation=scene.delegation("az"), said_on=said_on, source_title="Briefing",
                   summary="Says 300 people returned.")  # fmt: skip
    return claims_service.create(session, mission, data, actor=actor)


CALLS |= {
    "truce.agreement.service.create": lambda s, m, a: a_provision(s, m, a),
    "truce.agreement.service.assess": lambda s, m, a: agreement_service.assess(
        s, m, a_provision(s, m, a).id, StatusIn(level=1, as_of=scene_of(m).shifted(date(2020, 11, 20))), actor=a
    ),
    "truce.agreement.service.extend_deadline": lambda s, m, a: agreement_service.extend_deadline(
        s, m, a_provision(s, m, a, scene_of(m).shifted(date(2020, 11, 20))).id,
        ExtensionIn(new_deadline=scene_of(m).shifted(date(2020, 11, 30)),
                    decided_on=scene_of(m).shifted(date(2020, 11, 19))), actor=a,
    ),
    "truce.agreement.service.link": lambda s, m, a: agreement_service.link(
        s, m, a_provision(s, m, a).id, LinkIn(kind="claims", id=a_claim(s, m, a).id), actor=a
    ),
    "truce.movements.service.create": lambda s, m, a: movements_service.create(s, m, a_return(s, m), actor=a),
    "truce.movements.service.update": lambda s, m, a: movements_service.update(
        s, m, movements_service.create(s, m, a_return(s, m), actor=author_of(s, m)).id, a_return(s, m, 41),
        actor=author_of(s, m),
    ),
    "truce.movements.service.create_exchange": lambda s, m, a: an_exchange(s, m, a),
    "truce.movements.service.submit_list": lambda s, m, a: movements_service.submit_list(
        s, m, an_exchange(s, m, a).id, ExchangeListIn(side=scene_of(m).delegation("am")), actor=a
    ),
    "truce.movements.service.record_handover": lambda s, m, a: an_exchange(s, m, a, lists=True, handed=True),
    "truce.movements.service.confirm": lambda s, m, a: movements_service.confirm(
        s, m, an_exchange(s, m, a, lists=True, handed=True).id, ConfirmIn(acknowledge_differences=True),
        actor=member(s, m, "liaison-am"),
    ),
    "truce.claims.service.create": lambda s, m, a: a_claim(s, m, a),
    "truce.claims.service.assess": lambda s, m, a: claims_service.assess(
        s, m, a_claim(s, m, a).id, AssessmentIn(status="corroborated", note="Counted.", evidence=["ab" * 32]),
        actor=a,
    ),
}  # fmt: skip


# OpenRosa devices and submissions (issue 8), in a module per concern (issue R): phones, callers, intake.
SERVICES += [devices, callers, intake]
READS |= {"new_token", "token_hash", "token_matches", "collect_settings", "settings_payload", "read_payload",
          "qr_svg", "qr_terminal", "basic_credentials"}  # fmt: skip
READS |= {"device_username", "account_name", "list_devices", "get_device", "get_device_by_name", "caller_for",
          "may_use", "forms_for", "prepare", "silent_devices", "read_audit"}  # fmt: skip
# An actor made from the roles a caller's query has read already; a phone's mission and account, in one query.
READS |= {"actor_from", "mission_and_caller", "mission_by_slug", "hashes_a_password", "person_login"}
PHONE_INCIDENT = (
    '<data id="truce-{slug}-incident" version="1"><observed>{observed}</observed>'
    "<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source>"
    "<placed_by>gps</placed_by><location>{lat} {lon} 0 5</location>"
    "<meta><instanceID>uuid:6f1c1d4e-0c1a-4c55-9e59-3f4f6f0b8a11</instanceID></meta></data>"
)


def phone_incident(scene: Scene) -> bytes:
    """The phone's incident of 20 November 2020 at 10:00 near (46.75, 39.85), or its counterpart in the mission."""
    lon, lat = scene.at(46.75, 39.85)
    observed = scene.moment(10, day=scene.shifted(date(2020, 11, 20)))
    return PHONE_INCIDENT.format(slug=scene.slug, observed=observed, lat=lat, lon=lon).encode()


def a_device(session: Session, mission: Any, actor: Actor) -> Any:
    return devices.add_device(
        session, mission, "ledger-phone", delegation_code=scene_of(mission).delegation("ru"), actor=actor
    )


def a_phone_submission(session: Session, mission: Any, actor: Actor) -> Any:
    device = a_device(session, mission, actor).device
    user = session.get(User, device.user_id)
    caller = callers.Caller(users_service.actor_for(session, user, mission), device)
    prepared = intake.prepare(mission, caller, phone_incident(scene_of(mission)))
    return intake.receive(session, intake.Intake(mission, caller, prepared)).submission


CALLS |= {
    "truce.openrosa.devices.add_device": lambda s, m, a: a_device(s, m, a).device,
    "truce.openrosa.devices.revoke_device": lambda s, m, a: devices.revoke_device(
        s, m, a_device(s, m, a).device.id, actor=a
    ),
    "truce.openrosa.intake.receive": a_phone_submission,
}


def public(session: Session, mission: Any, actor: Actor) -> ModuleType:
    """Only a public mission publishes bulletins: the demo is one; the example mission is made one first (before
    the recipe's own write, whose entry `test_each_write_appends_to_the_log` then finds by the report's id)."""
    if not mission.public:
        missions_service.update(session, mission, MissionUpdate(public=True), actor=actor)
    return reports_service


# Daily reports and bulletins (issue 7).
READS |= {"check_day", "daily_document", "list_reports", "check_bulletin"}
CALLS |= {
    "truce.reports.service.create_daily": lambda s, m, a: reports_service.create_daily(
        s, m, scene_of(m).day, "html", actor=a
    ),
    "truce.reports.service.publish_bulletin": lambda s, m, a: public(s, m, a).publish_bulletin(
        s, m, scene_of(m).day, actor=a
    ),
    "truce.reports.service.publish_bulletins": lambda s, m, a: public(s, m, a).publish_bulletins(
        s, m, scene_of(m).day, actor=a
    )[-1],
}
# The bulletin's languages and its editions (issue 18); the day with the latest incident (the reports page's
# suggestion); a phone's proved login re-read in its batch, and what a batch reads for all its submissions at once
# (issue 24); a job's state and result (issue 22).
READS |= {"bulletin_languages", "editions", "latest_start", "mission_and_login", "logins", "read_ahead", "queued"}
READS |= {"download"}
# A read whose name is a write elsewhere (movements.service.confirm): named in full.
QUALIFIED_READS = {"truce.openrosa.callers.confirm"}
# Jobs (issue 22): a job's row is delivery state, never logged, as idempotency keys and webhook events are; what a
# job makes is logged by the service it calls (a daily report: `reports.service.create_daily`'s recipe above).
UNLOGGED_STATE = {
    "truce.jobs.service.request",
    "truce.jobs.service.take_back",
    "truce.jobs.service.run",
    "truce.jobs.service.perform",
}


# HTTP Digest logins on the OpenRosa endpoints (issue 8): turning Digest on or off is logged against the user.
READS |= {"digest_secret", "password_tag"}
CALLS |= {
    "truce.users.service.enable_digest": lambda s, m, a: users_service.enable_digest(
        s,
        users_service.get_by_name(s, scene_of(m).account("analyst-ru")),
        loader.DEMO_PASSWORD,
        actor=a,  # type: ignore[arg-type]
    ),
    "truce.users.service.disable_digest": lambda s, m, a: users_service.disable_digest(
        s,
        users_service.get_by_name(s, scene_of(m).account("analyst-ru")),
        actor=a,  # type: ignore[arg-type]
    ),
}


def _a_provision(session: Session, mission: Any) -> Any:
    from truce.agreement.models import Provision

    number = PROVISION[mission.slug]
    return session.scalars(
        select(Provision).where(Provision.mission_id == mission.id, Provision.number == number)
    ).one()


def _revised(session: Session, mission: Any, actor: Actor) -> Any:
    provision = _a_provision(session, mission)
    body = ProvisionIn(
        number=provision.number,
        summary="Reworded.",
        category="Economic and Social Development",
        responsible=[scene_of(mission).delegation("am")],
    )
    agreement_service.revise(session, mission, provision, body, actor=actor)
    return provision


def _moved_site(session: Session, mission: Any, actor: Actor) -> Any:
    from truce.places.models import Site

    code = SITE_TO_MOVE[mission.slug]
    site = session.scalars(select(Site).where(Site.mission_id == mission.id, Site.code == code)).one()
    moved = SiteIn.model_validate(point_feature(*scene_of(mission).at(46.97, 40.03), name=site.name, kind=site.kind))
    places_service.update_place(session, mission, site, moved, actor=actor)
    return site


# Mission files (issue 19): settings from a file, corrections of parties, delegations, places and provisions,
# and the installation's operators.
CALLS |= {
    "truce.missions.service.configure": lambda s, m, a: missions_service.configure(
        s,
        m,
        MissionIn.model_validate(
            {**MissionIn.model_validate(m, from_attributes=True).model_dump(), "duplicate_km": 4.5}
        ),
        actor=a,
    ),
    "truce.missions.service.update_party": lambda s, m, a: missions_service.update_party(
        s,
        m,
        missions_service.party_by_code(s, m, AGENCY[m.slug]),
        PartyIn(code=AGENCY[m.slug], name="Agency", kind="agency"),
        actor=a,
    ),
    "truce.missions.service.update_delegation": lambda s, m, a: missions_service.update_delegation(
        s, m, missions_service.delegation_by_code(s, m, AGENCY[m.slug]), "The agency's delegation", actor=a
    ),
    "truce.places.service.update_place": _moved_site,
    "truce.agreement.service.revise": _revised,
    "truce.users.service.create_operator": lambda s, m, a: users_service.create_operator(
        s, "ops", loader.DEMO_PASSWORD, actor=a
    ),
    "truce.users.service.set_operator": lambda s, m, a: users_service.set_operator(
        s, users_service.get_by_name(s, scene_of(m).account("analyst-ru")), True, actor=a
    ),
}


# Freedom of movement (issue 20): patrols, their tracks, restrictions verified by quorum, UAV flights.
READS |= {
    "list_patrols", "check_track_writer", "tracks", "deviations", "list_restrictions", "list_flights", "get_flight",
    "check_verdict", "quorum_status",
}  # fmt: skip


def a_patrol(session: Session, mission: Any, actor: Actor) -> Any:
    return patrols_service.create(
        session, mission, PatrolIn.model_validate(patrol_body(scene_of(mission))), actor=actor
    )


def a_restriction(session: Session, mission: Any, actor: Actor) -> Any:
    scene = scene_of(mission)
    body = restriction_body({"type": "Point", "coordinates": list(scene.at(46.6, 39.62))}, scene)
    return restrictions_service.create(session, mission, RestrictionIn.model_validate(body), actor=actor)


def a_track(session: Session, mission: Any, actor: Actor) -> Any:
    found = gpx.read(io.BytesIO(gpx_file(track_points(5.0, scene=scene_of(mission)))))
    return patrols_service.add_track(session, mission, a_patrol(session, mission, actor).id, found, source="gpx",
                                     actor=actor)  # fmt: skip


def page_positions(session: Session, mission: Any, actor: Actor) -> Any:
    """The pages' positions: a first batch starts a track, the next one extends it."""
    found = gpx.read(io.BytesIO(gpx_file(track_points(5.0, scene=scene_of(mission)))))
    patrol_id = a_patrol(session, mission, actor).id
    track = patrols_service.add_positions(session, mission, patrol_id, None, found, actor=actor)
    session.flush()
    later = Points(found.lon, found.lat, found.time + 3600.0, found.accuracy)
    return patrols_service.add_positions(session, mission, patrol_id, track.id, later, actor=actor)


CALLS |= {
    "truce.patrols.service.add_positions": page_positions,
    "truce.patrols.service.create": a_patrol,
    "truce.patrols.service.update": lambda s, m, a: patrols_service.update(
        s, m, a_patrol(s, m, a).id, PatrolIn.model_validate(patrol_body(scene_of(m), status="cancelled")), actor=a
    ),
    "truce.patrols.service.add_track": a_track,
    "truce.restrictions.service.create": a_restriction,
    "truce.restrictions.service.verify": lambda s, m, a: restrictions_service.verify(
        s,
        m,
        a_restriction(s, m, a).id,
        VerdictIn(verdict="confirm"),
        actor=member(s, m, "verifier-tr"),
    ),
    "truce.restrictions.service.create_flight": lambda s, m, a: restrictions_service.create_flight(
        s, m, UavFlightIn.model_validate(flight_body(scene_of(m))), actor=a
    ),
}


def _password_changed(session: Session, mission: Any, actor: Actor) -> Any:
    holder = users_service.get_by_name(session, scene_of(mission).account("analyst-ru"))
    assert holder is not None
    as_holder = users_service.actor_for(session, holder, mission)
    return users_service.change_password(session, holder, loader.DEMO_PASSWORD, "a-new-long-password", actor=as_holder)


# Accounts and sites in the pages (issue 18): one's own password, deactivating a member, retiring a site.
CALLS |= {
    "truce.users.service.change_password": _password_changed,
    "truce.users.service.set_active": lambda s, m, a: users_service.set_active(
        s, m, scene_of(m).account("analyst-ru"), False, actor=a
    ),
    "truce.places.service.retire_site": lambda s, m, a: places_service.retire_site(
        s, m, unused_site(s, m, a).id, on=scene_of(m).shifted(date(2020, 12, 1)), actor=a
    ),
}


def _a_batch_of_places(session: Session, mission: Any, actor: Actor) -> Any:
    with placeflow.batch(session, mission, actor=actor) as changes:
        placeflow.create(session, mission, line_feature(scene_of(mission)), actor=actor, within=changes)
        return placeflow.create(session, mission, area_feature(scene_of(mission)), actor=actor, within=changes).place


def _reset(session: Session, mission: Any, actor: Actor) -> Any:
    name = scene_of(mission).account("analyst-ru")
    users_service.reset_password(session, mission, name, actor=actor)
    return users_service.get_by_name(session, name)


# An administrator's account work (issue 18 part 5): a temporary password, another role.
CALLS |= {
    "truce.users.service.reset_password": _reset,
    "truce.users.service.set_role": lambda s, m, a: users_service.set_role(
        s, m, scene_of(m).account("analyst-ru"), "verifier", actor=a
    ),
}


# The map's flow above places and incidents (issue 15 part 4): every change to the map goes through it.
SERVICES.append(placeflow)
READS |= {"incidents_naming"}
CALLS |= {
    "truce.placeflow.create": lambda s, m, a: placeflow.create(s, m, area_feature(scene_of(m)), actor=a).place,
    "truce.placeflow.update": lambda s, m, a: (
        placeflow.update(
            s,
            m,
            (site := unused_site(s, m, a)),
            SiteIn.model_validate(point_feature(*scene_of(m).at(44.1, 41.5), name=site.name, kind="settlement")),
            actor=a,
        ).place
    ),
    "truce.placeflow.remove": lambda s, m, a: placeflow.remove(s, Site, m, unused_site(s, m, a).id, actor=a).place,
    "truce.placeflow.retire_site": lambda s, m, a: (
        placeflow.retire_site(s, m, unused_site(s, m, a).id, on=scene_of(m).shifted(date(2020, 12, 1)), actor=a).place
    ),
    "truce.placeflow.batch": _a_batch_of_places,
}


def test_every_write_function_has_a_recipe_here() -> None:
    discovered = set().union(*(write_functions(m) for m in SERVICES)) - UNLOGGED_STATE - QUALIFIED_READS
    assert discovered == set(CALLS), "a service function was added or removed: declare it a read or give a recipe"
    assert len(SERVICES) >= 6


def test_an_unlogged_change_is_refused_at_commit(db: Database) -> None:
    with db.session() as session:
        before = a_site(session).name

    def sneaky_write() -> None:
        with db.session() as session:
            a_site(session).name = "changed without a log entry"

    with pytest.raises(ledger.UnloggedWriteError, match="sites"):
        sneaky_write()
    with db.session() as session:
        assert a_site(session).name == before


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_write_appends_to_the_log(session: Session, mission: Mission, name: str) -> None:
    before = ledger.size(session)
    result = CALLS[name](session, mission, Actor.system(mission.id))
    entries = ledger.entries(session, before, ledger.size(session))
    assert entries, f"{name} wrote without logging"
    if hasattr(result, "id"):
        assert any(e.entity_id == str(result.id) for e in entries)
    session.commit()  # the guard refuses at commit any change that has no entry


def test_a_failed_transaction_leaves_neither_change_nor_entry(db: Database, scene: Scene) -> None:
    with db.session() as session:
        before_entries = ledger.size(session)
        before_sites = session.scalar(select(func.count()).select_from(Site))
    written: list[int] = []

    def failing_request() -> None:
        with db.session() as session:
            mission = missions_service.get_by_slug(session, scene.slug)
            assert mission is not None
            feature = SiteIn.model_validate(point_feature(*scene.at(46.7, 39.8), name="Doomed", kind="post"))
            places_service.create_site(session, mission, feature, actor=Actor.system(mission.id))
            written.append(ledger.size(session))
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        failing_request()
    assert written[0] > before_entries
    with db.session() as session:
        assert ledger.size(session) == before_entries
        assert session.scalar(select(func.count()).select_from(Site)) == before_sites
        assert session.scalar(select(func.count()).select_from(LogEntry)) == before_entries


def test_a_refused_write_logs_nothing(session: Session, mission: Mission, scene: Scene) -> None:
    before = ledger.size(session)
    monitor = member(session, mission, "monitor-ru")
    feature = SiteIn.model_validate(point_feature(*scene.at(46.7, 39.8), name="x", kind="post"))
    with pytest.raises(Exception, match="may not"):
        places_service.create_site(session, mission, feature, actor=monitor)
    assert ledger.size(session) == before
