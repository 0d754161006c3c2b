"""The services' refusals read in Russian on the Russian pages: one bad form per family of services (incidents,
crossings, exchanges, provisions, patrols, accounts), each refused by the service or its input schema, not by the
page; and every message a service raises has its Russian translation in the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import EXAMPLE
from support import Login
from truce.places.models import Site
from truce.policy import Actor
from truce.users import service as users_service
from web.conftest import WebClient
from web.crawling import visible
from web.test_amend_pages import file_by_form
from web.test_russian import english_words

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "src/truce/web/translations/ru/LC_MESSAGES/messages.po"
BASE = "/m/nk-2020"
# The services whose refusals people read in the pages (issue 18, part 2).
SERVICES = (
    "incidents", "places", "placeflow.py", "movements", "agreement", "patrols", "restrictions", "users", "missions",
    "evidence", "verification", "claims", "missionfile", "links.py", "geo.py", "text.py", "policy.py", "web",
)  # fmt: skip
ERRORS = {"BadRequest", "Forbidden", "NotFound", "Conflict", "TooLarge", "Invalid", "TooManyRequests", "Unavailable",
          "Unauthorized", "CsrfError", "CrossSite"}  # fmt: skip


def _checkpoint(session: Session) -> str:
    return str(session.execute(select(Site.id).where(Site.kind == "checkpoint").order_by(Site.id)).scalars().first())


def _crossing(session: Session, **changes: str) -> dict[str, str]:
    form = {
        "site_id": _checkpoint(session), "direction": "incoming", "kind": "return", "on_date": "2020-12-02",
        "individuals": "120", "escort": "UNHCR", "classification": "parties",
    }  # fmt: skip
    return {**form, **changes}


def _provision(session: Session) -> int:
    from truce.agreement.models import Provision

    return int(session.execute(select(Provision.id).where(Provision.number == "6.1")).scalar_one())


def _summary(html: str) -> str:
    """The visible text of a page's error summary."""
    assert 'class="error-summary"' in html, html[:3000]
    box = html.split('class="error-summary"')[1].split("</div>")[0]
    text, _links = visible(f"<div {box}</div>")
    return text


# (account, path, form, the field the summary links to, a piece of the service's Russian sentence)
CASES = {
    "crossing: no such site": (
        "humanitarian-unhcr", "/movements/new", {"site_id": "987654"}, "site_id", "нет объекта 987654",
    ),
    "crossing: a site of another kind": (
        "humanitarian-unhcr", "/movements/new", {"site_id": "settlement"}, "site_id",
        "а нужен контрольно-пропускной пункт или пункт пропуска",
    ),
    "crossing: groups beyond the count": (
        "humanitarian-unhcr", "/movements/new", {"individuals": "10", "adults_female": "50"}, "individuals",
        "сумма по полу и возрасту больше",
    ),
    "exchange: one party twice": (
        "humanitarian-unhcr", "/exchanges/new",
        {"kind": "bodies", "side_a": "az", "side_b": "az", "place": "typed place", "classification": "parties"},
        "side_b", "между двумя разными сторонами",
    ),
    "provision: an extension that is no later": (
        "admin", "/provisions/{provision}/extensions",
        {"new_deadline": "2020-11-10", "decided_on": "2020-11-12", "extension_note": "typed by hand"},
        "new_deadline", "не позже текущего срока 2020-11-25",
    ),
    "patrol: an end before its start": (
        "monitor-ru", "/patrols/new",
        {"name": "Corridor patrol", "team": "Team 3", "date": "2020-11-23", "start": "08:00", "end": "07:00",
         "route": "46.41 39.556; 46.47 39.6", "buffer_m": "250", "classification": "mission"},
        "end", "planned_end раньше planned_start",
    ),
    "account: a name taken": (
        "admin", "/admin/users",
        {"username": "monitor-ru", "password": "long-enough-1", "role": "monitor", "delegation": "ru"},
        "username", "пользователь с именем 'monitor-ru' уже существует",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_service_refusal_reads_in_russian(web: WebClient, session: Session, case: str) -> None:
    account, path, form, field, russian = CASES[case]
    if "crossing" in case:
        form = _crossing(session, **form)
    if form.get("site_id") == "settlement":
        form["site_id"] = str(session.execute(select(Site.id).where(Site.kind == "settlement")).scalars().first())
    web.login(account)
    web.client.cookies.set("truce_lang", "ru")
    answer = web.post_form(BASE + path.format(provision=_provision(session)), form)
    assert answer.status_code == 422, answer.text[:3000]
    summary = _summary(answer.text)
    assert f'href="#f-{field}"' in answer.text.split('class="error-summary"')[1]
    assert russian in summary, summary
    # Only what the form said back (its own values) may be in Latin letters.
    assert english_words(summary, [str(v) for v in form.values()]) == set(), summary


def test_an_incident_refusal_page_reads_in_russian(web: WebClient) -> None:
    """Amending another person's incident is refused by the incident service, on a page in the reader's language."""
    incident_id = file_by_form(web.login("monitor-ru"))
    web.client.cookies.clear()
    web.login("verifier-tr")
    web.client.cookies.set("truce_lang", "ru")
    page = web.get(f"{BASE}/incidents/{incident_id}/edit")
    assert page.status_code == 403, page.text[:2000]
    text, _links = visible(page.text)
    assert "исправить инцидент может только его автор" in text
    assert english_words(text, []) == set(), text


def _raised_messages() -> list[str]:
    """The first argument of every `Message(...)` written in src (Babel's extraction, as `make messages` does)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords={"Message": None, "worded": (2,)})
    return sorted({m if isinstance(m, str) else m[0] for _f, _l, m, _c, _x in found if m})


def test_every_service_message_has_its_russian() -> None:
    messages = _raised_messages()
    assert len(messages) > 150  # the extraction found the services' sentences
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="ru")
    missing = [m for m in messages if m not in catalogue or not catalogue[m].string or catalogue[m].fuzzy]
    assert not missing, f"run `make messages` and translate in {CATALOGUE.name}: {missing}"


def _plain_refusals(path: Path) -> list[str]:
    """`raise SomeError("...")` or f"..." in `path`: English text that no Message carries to the reader."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        call = node.exc
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        # A ValueError is a person's only in a schema's validator (the pages show it); elsewhere it is a bug's.
        raised = ERRORS | ({"ValueError"} if path.name in ("schemas.py", "text.py") else set())
        if name not in raised or not call.args:
            continue
        if isinstance(call.args[0], ast.Constant | ast.JoinedStr):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_services_raise_messages_not_plain_english() -> None:
    src = ROOT / "src/truce"
    modules = [p for name in SERVICES for p in ([src / name] if name.endswith(".py") else (src / name).rglob("*.py"))]
    # Command-line tools speak English to the operator; schemas' and services' sentences reach the pages.
    modules = [p for p in modules if not re.search(r"(cli|canonical)\.py$", p.name)]
    plain = [where for path in modules for where in _plain_refusals(path)]
    assert not plain, plain


def test_a_mission_file_s_problems_read_in_russian(web: WebClient, session: Session) -> None:
    """The set-up page lists the mission file's problems in the reader's language, each at its path in the file."""
    users_service.create_operator(session, "ops", "a-long-password", actor=Actor.system())
    session.commit()
    web.login("ops")
    web.client.cookies.set("truce_lang", "ru")
    text = EXAMPLE.read_text(encoding="utf-8").replace("Etc/GMT-2", "Mars/Olympus")
    answer = web.post_form("/setup/missions", {"mission_file": text})
    assert answer.status_code == 422
    listed, _links = visible(answer.text.split('id="problems"')[1].split("</div>")[0].join(["<div ", "</div>"]))
    assert "time_zone: 'Mars/Olympus' — не часовой пояс (названия IANA: Asia/Baku)" in listed
    assert english_words(listed, ["Mars/Olympus", "Asia/Baku"]) == set(), listed


def test_a_role_refusal_names_the_role_and_the_action_in_words(
    web: WebClient, client: TestClient, login: Login
) -> None:
    """The policy's 403 says the role and the action in the reader's words; the API keeps its codes for programs."""
    web.login("monitor-ru")
    web.client.cookies.set("truce_lang", "ru")
    page = web.get(f"{BASE}/incidents/1/verify")
    assert page.status_code == 403
    text, _links = visible(page.text)
    assert "Ваша роль (наблюдатель) здесь этого не позволяет: проверка инцидентов." in text
    assert "incident.verify" not in text
    assert english_words(text, []) == set(), text
    web.client.cookies.set("truce_lang", "en")
    assert (
        "Your role (monitor) does not allow this here: verifying incidents."
        in web.get(f"{BASE}/incidents/1/verify").text
    )
    answer = client.post("/api/v1/missions/nk-2020/incidents/1/verifications", json={"verdict": "confirm"},
                         headers=login("monitor-ru"))  # fmt: skip
    assert answer.status_code == 403
    assert "the monitor role may not do incident.verify here" in answer.text
