"""Links between provisions, claims, incidents, movements and exchanges: each end must exist and be readable.

Its own module, below the agreement and claims services that both use it, so that neither imports the other for it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.agreement.models import Provision
from truce.claims.models import Claim
from truce.errors import Invalid, Message
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.movements.models import Exchange, Movement
from truce.policy import Actor

MODELS: dict[str, Any] = {
    "provisions": Provision,
    "claims": Claim,
    "incidents": Incident,
    "movements": Movement,
    "exchanges": Exchange,
}


# One sentence per kind, so that each reads naturally in every language.
NO_SUCH = {
    "provisions": Message("mission %(mission)s has no provision %(id)s").msgid,
    "incidents": Message("mission %(mission)s has no incident %(id)s").msgid,
    "movements": Message("mission %(mission)s has no movement %(id)s").msgid,
    "exchanges": Message("mission %(mission)s has no exchange %(id)s").msgid,
    "claims": Message("mission %(mission)s has no claim %(id)s").msgid,
}


def check_target(session: Session, mission: Mission, kind: str, record_id: int, actor: Actor, field: str) -> None:
    """Refuse a link to a record that is not in the mission or that the actor may not read."""
    record = session.get(MODELS[kind], record_id)
    if record is None or record.mission_id != mission.id or not policy.can_read(actor, record):
        raise Invalid(Message(NO_SUCH[kind], mission=mission.slug, id=record_id), field)


def add(links: dict[str, Any], kind: str, record_id: int) -> dict[str, Any]:
    """A copy of `links` with `record_id` added under `kind` once, ids in order."""
    ids = sorted({*links.get(kind, []), record_id})
    return {**links, kind: ids}


def visible(session: Session, mission: Mission, found: dict[str, Any], actor: Actor) -> dict[str, list[int]]:
    """The linked ids the actor may read, by kind: a link never reveals a record its reader may not see."""
    result: dict[str, list[int]] = {}
    for kind, ids in sorted(found.items()):
        model = MODELS[kind]
        rows = session.execute(select(model).where(model.mission_id == mission.id, model.id.in_(ids))).scalars()
        readable = sorted(row.id for row in rows if policy.can_read(actor, row))
        if readable:
            result[kind] = readable
    return result
