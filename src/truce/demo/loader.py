"""Load the bundled nk-2020 mission; loading it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import shapely
import yaml
from pyproj import Transformer
from shapely import set_precision
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import geo
from truce.demo import agreement as demo_agreement
from truce.demo import evidence as demo_evidence
from truce.demo import incidents as demo_incidents
from truce.missions import service as missions_service
from truce.missions.models import Deployment, Mission
from truce.missions.schemas import DelegationIn, DeploymentIn, MissionIn, PartyIn
from truce.places import service as places_service
from truce.places.models import Area, Line, Site
from truce.places.schemas import AreaIn, LineIn, SiteIn
from truce.policy import Actor
from truce.users import service as users_service

DEMO_PASSWORD = "truce-demo"  # noqa: S105 - the documented password of the demo accounts


@dataclass
class LoadReport:
    """What a load created; empty when the mission was already there in full."""

    mission: str
    created: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)


def demo_data() -> dict[str, Any]:
    """The demo mission as written in nk_2020.yaml."""
    text = (files("truce.demo") / "nk_2020.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def load(
    session: Session,
    *,
    password: str = DEMO_PASSWORD,
    incidents: int = demo_incidents.COUNT,
    evidence_root: Path | None = None,
) -> LoadReport:
    """Create whatever part of the nk-2020 mission is missing."""
    data = demo_data()
    report = LoadReport(mission=data["mission"]["slug"])
    mission = _mission(session, data["mission"], report)
    actor = Actor.system(mission.id)
    _parties_and_delegations(session, mission, data, actor, report)
    _users(session, mission, data["users"], password, actor, report)
    _lines(session, mission, data["lines"], actor, report)
    _areas(session, mission, data, actor, report)
    _sites(session, mission, data, actor, report)
    _deployments(session, mission, data["deployments"], actor, report)
    filed = demo_incidents.load(session, mission, incidents)
    if filed:
        report.created.append(f"{filed} incidents")
    report.created.extend(demo_agreement.load(session, mission, data))
    if evidence_root is not None:
        photos = demo_evidence.load(session, mission, evidence_root)
        if photos:
            report.created.append(f"{photos} evidence photos")
    return report


def _mission(session: Session, spec: dict[str, Any], report: LoadReport) -> Mission:
    mission = missions_service.get_by_slug(session, spec["slug"])
    if mission is None:
        mission = missions_service.create(session, MissionIn(**spec), actor=Actor.system())
        report.created.append(f"mission {mission.slug}")
    return mission


def _parties_and_delegations(
    session: Session, mission: Mission, data: dict[str, Any], actor: Actor, report: LoadReport
) -> None:
    have = {p.code for p in missions_service.parties(session, mission)}
    for spec in data["parties"]:
        if spec["code"] not in have:
            missions_service.create_party(session, mission, PartyIn(**spec), actor=actor)
            report.created.append(f"party {spec['code']}")
    have = {d.code for d in missions_service.delegations(session, mission)}
    for spec in data["delegations"]:
        if spec["code"] not in have:
            missions_service.create_delegation(session, mission, DelegationIn(**spec), actor=actor)
            report.created.append(f"delegation {spec['code']}")


def _users(
    session: Session, mission: Mission, specs: list[dict[str, Any]], password: str, actor: Actor, report: LoadReport
) -> None:
    # One argon2 hash for every account: they share the password, so a shared salt tells nothing more (README).
    hashed: str | None = None
    for spec in specs:
        report.accounts.append((spec["username"], spec["role"], spec["delegation"]))
        if users_service.get_by_name(session, spec["username"]) is not None:
            continue
        hashed = hashed or users_service.hash_password(password)
        users_service.create(
            session,
            spec["username"],
            password,
            mission=mission,
            role=spec["role"],
            delegation_code=spec["delegation"],
            actor=actor,
            display_name=spec.get("display_name", ""),
            # Demo phones often reach a laptop over plain HTTP, where ODK Collect logs in only with Digest.
            digest_login=True,
            hashed=hashed,
        )
        report.created.append(f"user {spec['username']}")


def _names(session: Session, model: type[Area] | type[Line] | type[Site], mission: Mission) -> set[str]:
    return set(session.execute(select(model.name).where(model.mission_id == mission.id)).scalars())


def _lines(session: Session, mission: Mission, specs: list[dict[str, Any]], actor: Actor, report: LoadReport) -> None:
    have = _names(session, Line, mission)
    for spec in specs:
        if spec["name"] in have:
            continue
        properties = {k: v for k, v in spec.items() if k != "coordinates"}
        geometry = {"type": "LineString", "coordinates": spec["coordinates"]}
        feature = LineIn(type="Feature", geometry=geometry, properties=properties)
        places_service.create_line(session, mission, feature, actor=actor)
        report.created.append(f"line {spec['name']}")


def _areas(session: Session, mission: Mission, data: dict[str, Any], actor: Actor, report: LoadReport) -> None:
    roads = {spec["name"]: LineString(spec["coordinates"]) for spec in data["lines"]}
    shapes: dict[str, BaseGeometry] = {}
    have = _names(session, Area, mission)
    for spec in data["areas"]:
        shape = _area_shape(spec, roads, shapes)
        shapes[spec["name"]] = shape
        if spec["name"] in have:
            continue
        properties = {k: v for k, v in spec.items() if k not in ("polygon", "minus", "union", "buffer_of", "buffer_km")}
        feature = AreaIn(type="Feature", geometry=geo.to_geojson(shape), properties=properties)
        places_service.create_area(session, mission, feature, actor=actor)
        report.created.append(f"area {spec['name']}")


def _area_shape(spec: dict[str, Any], roads: dict[str, LineString], shapes: dict[str, BaseGeometry]) -> BaseGeometry:
    if "buffer_of" in spec:
        shape = buffer_km(roads[spec["buffer_of"]], spec["buffer_km"])
    elif "union" in spec:
        shape = unary_union([shapes[name] for name in spec["union"]])
    else:
        shape = Polygon(spec["polygon"])
    for name in spec.get("minus", []):
        shape = shape.difference(shapes[name])
    # Four decimals (about 10 m) are plenty for an illustrative map and keep the records small.
    return _rounded(shape)


def buffer_km(line: LineString, distance_km: float) -> BaseGeometry:
    """A band `distance_km` each side of a line, measured on the ground."""
    centre = line.centroid
    local = f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m"
    to_local = Transformer.from_crs("EPSG:4326", local, always_xy=True).transform
    to_wgs84 = Transformer.from_crs(local, "EPSG:4326", always_xy=True).transform
    band = shapely.transform(line, to_local, interleaved=False).buffer(distance_km * 1000, quad_segs=4)
    return shapely.transform(band, to_wgs84, interleaved=False)


def _rounded(shape: BaseGeometry) -> BaseGeometry:
    return set_precision(shape, 0.0001)


def _sites(session: Session, mission: Mission, data: dict[str, Any], actor: Actor, report: LoadReport) -> None:
    have = _names(session, Site, mission)
    for spec in _site_specs(data):
        if spec["name"] in have:
            continue
        at = spec.pop("at")
        feature = SiteIn(type="Feature", geometry=geo.to_geojson(Point(at)), properties=spec)
        places_service.create_site(session, mission, feature, actor=actor)
        report.created.append(f"site {spec['name']}")


RU_WHERE = {"line of contact": "линия соприкосновения", "corridor": "коридор"}


def _site_specs(data: dict[str, Any]) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for settlement in data["settlements"]:
        names = settlement["names"]
        distinct = list(dict.fromkeys(name for name, _lang in names))
        specs.append(
            {
                "name": " / ".join(distinct),
                "kind": "settlement",
                "classification": "public",
                "alt_names": [{"name": name, "lang": lang} for name, lang in names],
                "translations": {"ru": {"name": settlement["ru"]}} if "ru" in settlement else None,
                "at": settlement["at"],
            }
        )
    posts = data["posts"]
    positions = [("line of contact", p) for p in posts["line_of_contact"]] + [
        ("corridor", p) for p in posts["corridor"]
    ]
    for number, (where, at) in enumerate(positions, start=1):
        specs.append(
            {
                "name": f"Observation post {number:02d} ({where})",
                "translations": {"ru": {"name": f"Наблюдательный пост {number:02d} ({RU_WHERE[where]})"}},
                "code": f"OP-{number:02d}",
                "kind": "post",
                "classification": posts["classification"],
                "operated_by": posts["operated_by"],
                "valid_from": "2020-11-10",
                "at": at,
            }
        )
    specs.extend(dict(spec) for spec in data["sites"])
    return specs


def _deployments(
    session: Session, mission: Mission, specs: list[dict[str, Any]], actor: Actor, report: LoadReport
) -> None:
    have = set(
        session.execute(
            select(Deployment.on_date).where(Deployment.mission_id == mission.id, Deployment.site_id.is_(None))
        ).scalars()
    )
    for spec in specs:
        deployment = DeploymentIn(**spec)
        if deployment.on_date in have:
            continue
        missions_service.record_deployment(session, mission, deployment, actor=actor)
        report.created.append(f"deployment {deployment.on_date}")
