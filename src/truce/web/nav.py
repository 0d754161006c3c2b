"""The navigation bar: one entry per page, shown to the roles that may use it."""

from __future__ import annotations

from dataclasses import dataclass

from truce import policy
from truce.policy import Actor
from truce.web.i18n import N_

EVERYONE: frozenset[str] = frozenset({*policy.ROLES, policy.PUBLIC})
STAFF: frozenset[str] = frozenset({"admin", "monitor", "verifier", "analyst"})


@dataclass(frozen=True)
class NavItem:
    """`route` is the name of a page route taking `slug`; `label` is an English msgid."""

    route: str
    label: str
    roles: frozenset[str] = EVERYONE


NAV: list[NavItem] = [
    NavItem("home", N_("Overview")),
    NavItem("map", N_("Map")),
    NavItem("incident_list", N_("Incidents")),
    NavItem("incident_new", N_("Report an incident"), frozenset(policy.WRITERS["incident.create"])),
    NavItem("verify_queue", N_("Verification"), frozenset(policy.WRITERS["incident.verify"])),
    NavItem("provision_list", N_("Agreement")),
    NavItem("returns_dashboard", N_("Returns")),
    NavItem("exchange_list", N_("Exchanges"), frozenset(policy.ROLES)),
    NavItem("claim_list", N_("Claims")),
    NavItem("admin_places", N_("Places"), frozenset(policy.WRITERS["place.write"])),
    NavItem("admin_users", N_("Users"), frozenset(policy.WRITERS["user.write"])),
]


def items_for(actor: Actor) -> list[NavItem]:
    """The entries the actor's role may use in the mission in scope."""
    return [item for item in NAV if actor.role in item.roles]
