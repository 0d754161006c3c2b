"""Load the bundled nk-2020 mission; loading it again changes nothing.

The mission itself (parties, delegations, quorum, places, the agreement's provisions) is the mission file
nk_2020.yaml, created by `truce.missionfile` exactly as `truce mission create` creates any mission. The demo's
records (accounts, deployments, incidents, assessments, returns, exchanges, claims) are nk_2020.records.yaml and
the modules beside this one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.demo import agreement as demo_agreement
from truce.demo import evidence as demo_evidence
from truce.demo import incidents as demo_incidents
from truce.demo import patrols as demo_patrols
from truce.evidence.stores import EvidenceStore
from truce.missionfile import create as missionfile_create
from truce.missionfile import spec as missionfile_spec
from truce.missions import service as missions_service
from truce.missions.models import Deployment, Mission
from truce.missions.schemas import DeploymentIn
from truce.policy import Actor
from truce.users import service as users_service

DEMO_PASSWORD = "truce-demo"  # noqa: S105 - the documented password of the demo accounts
SLUG = "nk-2020"
MISSION_FILE = "nk_2020.yaml"
RECORDS_FILE = "nk_2020.records.yaml"


@dataclass
class LoadReport:
    """What a load created; empty when the mission was already there in full."""

    mission: str
    created: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)


@contextmanager
def mission_file() -> Iterator[Path]:
    """The path of the demo's mission file (beside its GeoJSON files), for as long as the block runs."""
    with as_file(files("truce.demo")) as directory:
        yield Path(directory) / MISSION_FILE


def demo_records() -> dict[str, Any]:
    """The demo's records as written in nk_2020.records.yaml."""
    text = (files("truce.demo") / RECORDS_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def load(
    session: Session,
    *,
    password: str = DEMO_PASSWORD,
    incidents: int = demo_incidents.COUNT,
    evidence_root: Path | EvidenceStore | None = None,
) -> LoadReport:
    """Create whatever part of the nk-2020 mission is missing."""
    report = LoadReport(mission=SLUG)
    mission = missions_service.get_by_slug(session, SLUG)
    if mission is None:
        with mission_file() as path:
            spec = missionfile_spec.read(path)
        mission, created = missionfile_create.create(session, spec, actor=Actor.system())
        report.created += created
    data = demo_records()
    actor = Actor.system(mission.id)
    _users(session, mission, data["users"], password, actor, report)
    _deployments(session, mission, data["deployments"], actor, report)
    filed = demo_incidents.load(session, mission, incidents)
    if filed:
        report.created.append(f"{filed} incidents")
    report.created.extend(demo_agreement.load(session, mission, data))
    report.created.extend(demo_patrols.load(session, mission))
    if evidence_root is not None:
        photos = demo_evidence.load(session, mission, evidence_root)
        if photos:
            report.created.append(f"{photos} evidence photos")
    return report


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
