"""Mission set-up for operators (a mission from its file, the same checks and messages as `truce mission create`)
and a mission's settings for its administrators (quorum, ceilings, time zone, languages)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from truce import policy
from truce.errors import Conflict, Forbidden, Invalid, Message, Unauthorized
from truce.missionfile import create, listing, spec
from truce.missionfile.problems import MissionFileInvalid
from truce.missions import service as missions_service
from truce.missions.schemas import MissionIn
from truce.web import flash
from truce.web.context import Page, PlainPage, PlainWritePage, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
CEILINGS = ("ceiling_personnel", "ceiling_armoured_vehicles", "ceiling_other_vehicles")


def _operator(page: Page) -> None:
    if page.user is None:
        raise Unauthorized(Message("log in as an operator to set up missions"))
    if not policy.creates_missions(page.actor):
        raise Forbidden(Message("only an operator of this installation sets up missions"))


def _administrator(page: Page, mission_id: int) -> None:
    if policy.configures_mission(page.actor, mission_id):
        return
    if page.user is None:
        raise Unauthorized(Message("log in as the mission's administrator to change its settings"))
    raise Forbidden(Message("only the mission's administrators change its settings"))


def _setup_context(page: Page, form: Form, problems: list[str]) -> dict[str, Any]:
    return {"missions": listing.missions(page.session), "form": form, "problems": problems}


@router.get("/setup/missions", name="mission_setup")
def mission_setup(request: Request, page: PlainPage) -> Response:
    _operator(page)
    return render(request, "setup/missions.html", _setup_context(page, Form(), []))


@router.post("/setup/missions", name="mission_setup_create")
def mission_setup_create(request: Request, page: PlainWritePage, form: CheckedForm) -> Response:
    """Create a mission from the file pasted in the form; every problem is listed and nothing is created."""
    _operator(page)
    problems: list[str] = []
    try:
        with page.writing():
            checked = spec.from_text(form.values.get("mission_file", ""), base=None, name="the mission file")
            first_admin = None
            if form.get("admin"):
                password = form.values.get("password", "")
                first_admin = create.FirstAdmin(form.get("admin"), password, form.get("delegation"))
            mission, _ = create.create(page.session, checked, actor=page.actor, first_admin=first_admin)
            target = str(request.app.url_path_for("home", slug=mission.slug))
            return flash.redirect_with(request, target, N_("The mission %(name)s is set up."), name=mission.name)
    except MissionFileInvalid as exc:
        problems = [str(p) for p in exc.problems]
    except (Invalid, Conflict) as exc:
        problems = [exc.detail]
    form.values.pop("password", None)
    return render(request, "setup/missions.html", _setup_context(page, form, problems), status_code=422)


def _settings_form(mission: Any) -> Form:
    values = {
        "quorum_delegations": str(mission.quorum_delegations),
        "quorum_required": " ".join(mission.quorum_required),
        "allow_self_verification": "on" if mission.allow_self_verification else "",
        "time_zone": mission.time_zone,
        "languages": " ".join(mission.languages),
        **{name: "" if getattr(mission, name) is None else str(getattr(mission, name)) for name in CEILINGS},
    }
    return Form(values=values)


def _settings_context(page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    return {"form": form, "delegations": missions_service.delegations(page.session, mission)}


@router.get("/m/{slug}/admin/settings", name="mission_settings")
def mission_settings(request: Request, page: ReadPage) -> Response:
    mission = page.mission_or_404()
    _administrator(page, mission.id)
    return render(request, "admin/settings.html", _settings_context(page, _settings_form(mission)))


@router.post("/m/{slug}/admin/settings", name="mission_settings_save")
def mission_settings_save(request: Request, page: WritePage, form: CheckedForm) -> Response:
    """The quorum, the mandate's ceilings, the time zone and the languages, checked as a mission file is."""
    mission = page.mission_or_404()
    _administrator(page, mission.id)
    current = MissionIn.model_validate(mission, from_attributes=True).model_dump()
    changes: dict[str, Any] = {
        "quorum_required": form.get("quorum_required").split(),
        "allow_self_verification": bool(form.get("allow_self_verification")),
        "time_zone": form.get("time_zone"),
        "languages": form.get("languages").split(),
    }
    for name in ("quorum_delegations", *CEILINGS):
        text = form.get(name)
        if text and not text.isdigit():
            form.add_error(name, N_("Enter a whole number."))
        changes[name] = int(text) if text.isdigit() else None
    if changes["quorum_delegations"] is None:
        form.add_error("quorum_delegations", N_("This field is required."))
    if form.ok:
        problems = _checked(page, mission, {**current, **changes}, form)
        if not problems:
            target = str(request.app.url_path_for("mission_settings", slug=mission.slug))
            return flash.redirect_with(request, target, N_("The settings are saved."))
    # Nothing was written: `_checked` saves only settings that passed every check.
    return render(request, "admin/settings.html", _settings_context(page, form), status_code=422)


def _checked(page: Page, mission: Any, values: dict[str, Any], form: Form) -> list[str]:
    """Check the settings as the mission's file with them would be checked; save them when all is well."""
    from truce.missionfile import export

    document = export.mission_file(page.session, mission)
    document["time_zone"] = values["time_zone"]
    document["languages"] = values["languages"]
    document["verification"].update(
        quorum=values["quorum_delegations"],
        required=values["quorum_required"],
        self_verification=values["allow_self_verification"],
    )
    ceilings = {"personnel": values["ceiling_personnel"], "armoured_vehicles": values["ceiling_armoured_vehicles"],
                "other_vehicles": values["ceiling_other_vehicles"]}  # fmt: skip
    document["mandate"] = {k: v for k, v in ceilings.items() if v is not None}
    try:
        checked = spec.from_data(document, base=None)
    except MissionFileInvalid as exc:
        for problem in exc.problems:
            form.add_error(_field(problem.path), str(problem))
        return [str(p) for p in exc.problems]
    missions_service.configure(page.session, mission, checked.mission, actor=page.actor)
    return []


def _field(path: str) -> str:
    fields = {"time_zone": "time_zone", "languages": "languages", "verification.quorum": "quorum_delegations",
              "verification.required": "quorum_required", "mandate.personnel": "ceiling_personnel",
              "mandate.armoured_vehicles": "ceiling_armoured_vehicles",
              "mandate.other_vehicles": "ceiling_other_vehicles"}  # fmt: skip
    for prefix, name in fields.items():
        if path.startswith(prefix):
            return name
    return "languages" if path.startswith("name.") else "_form"
