"""The navigation bar: one entry per page, shown to the roles that may use it."""

from __future__ import annotations

from dataclasses import dataclass

from truce import policy
from truce.policy import Actor
from truce.web.i18n import N_


@dataclass(frozen=True)
class NavItem:
    """`route` is the name of a page route taking `slug`; `label` is an English msgid.

    `action` is the write the page is for (shown to the roles `policy.offers` it to), `MEMBERS` a page for
    the mission's members, `None` a page for every reader.
    """

    route: str
    label: str
    action: str | None = None


MEMBERS = "members"

NAV: list[NavItem] = [
    NavItem("home", N_("Overview")),
    NavItem("map", N_("Map")),
    NavItem("incident_list", N_("Incidents")),
    NavItem("incident_new", N_("Report an incident"), "incident.create"),
    NavItem("verify_queue", N_("Verification"), "incident.verify"),
    NavItem("provision_list", N_("Agreement")),
    NavItem("returns_dashboard", N_("Returns")),
    NavItem("exchange_list", N_("Exchanges"), MEMBERS),
    NavItem("claim_list", N_("Claims")),
    NavItem("bulletin_list", N_("Bulletins")),
    NavItem("report_list", N_("Reports"), "report.create"),
    NavItem("export_page", N_("Exports"), MEMBERS),
    NavItem("webhook_list", N_("Webhooks"), MEMBERS),
    NavItem("patrol_list", N_("Patrols"), MEMBERS),
    NavItem("restriction_list", N_("Freedom of movement"), MEMBERS),
    NavItem("admin_places", N_("Places"), "place.write"),
    NavItem("admin_users", N_("Users"), "user.write"),
    NavItem("admin_phones", N_("Phones"), "user.write"),
    NavItem("mission_settings", N_("Settings"), "mission.write"),
]


def _shown(actor: Actor, item: NavItem) -> bool:
    if item.action is None:
        return actor.is_public or policy.is_member(actor)
    if item.action == MEMBERS:
        return policy.is_member(actor)
    return policy.offers(actor, item.action)


def items_for(actor: Actor) -> list[NavItem]:
    """The entries the actor's role may use in the mission in scope."""
    return [item for item in NAV if _shown(actor, item)]
