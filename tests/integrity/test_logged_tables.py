"""The tables the log accounts for are the models declared `Logged`: the guard and the checker agree."""

from __future__ import annotations

from truce.db import Base
from truce.ledger.models import Logged
from truce.models import LOGGED

# `truce.models.LOGGED` as it stood before the tables declared themselves (issue R).
FORMER_LOGGED = {
    "missions",
    "parties",
    "delegations",
    "users",
    "memberships",
    "areas",
    "lines",
    "sites",
    "deployments",
    "log_witnesses",
    "incidents",
    "verifications",
    "evidence",
    "custody",
    "provisions",
    "provision_statuses",
    "deadline_extensions",
    "movements",
    "exchanges",
    "exchange_lists",
    "claims",
    "devices",
    "submissions",
    "reports",
    # Freedom of movement (issue 20): declared Logged from the start.
    "patrols",
    "patrol_tracks",
    "restrictions",
    "restriction_verdicts",
    "uav_flights",
}

# Logged tables added since, each with the issue that added it.
ADDED = {
    "log_witness_policies",  # issue 16: a mission's witness policy
    "cap_alert_rules",  # issue 22: the rules CAP alerts come from
}


def declared() -> set[type[Base]]:
    return {mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, Logged)}


def test_the_declared_tables_are_the_former_registry() -> None:
    assert {model.__tablename__ for model in declared()} == FORMER_LOGGED | ADDED


def test_the_checker_walks_every_declared_table_once() -> None:
    assert set(LOGGED) == declared()
    assert len(LOGGED) == len(set(LOGGED))


def test_the_guard_knows_exactly_the_declared_tables() -> None:
    guarded = {mapper.class_.__tablename__ for mapper in Base.registry.mappers if issubclass(mapper.class_, Logged)}
    assert guarded == FORMER_LOGGED | ADDED
