"""A failed form post rolls back at the edge (issue 15, part 7): no page handler rolls back by hand, what a post
wrote before it was refused is neither stored nor logged, and the page shows the form over the record as stored."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import truce.web
from mission_examples import Scene
from truce.evidence.models import Evidence
from truce.idempotency.models import IdempotencyKey
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from web.conftest import WebClient
from web.exif_photo import jpeg_with_gps

WEB = Path(truce.web.__file__).parent
NARRATIVE = "Refused at the last file."


def entry(scene: Scene) -> dict[str, str]:
    """A mortar seen from a post, on a day and at a place of the scene's mission."""
    lon, lat = scene.point
    return {
        "type": "explosion", "subtype": "mortar", "date": str(scene.shifted(date(2020, 11, 25))), "time": "06:40",
        "source": "post", "narrative": NARRATIVE, "classification": "parties", "placement": "map",
        "lat": str(lat), "lon": str(lon),
    }  # fmt: skip


def files(scene: Scene) -> list[tuple[str, tuple[str, bytes, str]]]:
    """A good photo, then an empty file: the incident and the photo are written and logged before the refusal."""
    lon, lat = scene.point
    return [
        ("evidence", ("photo.jpg", jpeg_with_gps(lat + 0.0005, lon + 0.0005), "image/jpeg")),
        ("evidence", ("empty.jpg", b"", "image/jpeg")),
    ]


def rollbacks(tree: ast.AST) -> list[int]:
    """The lines that call `.rollback()` on anything."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "rollback"
    ]


def test_no_page_rolls_back_by_hand() -> None:
    found = {
        str(path.relative_to(WEB)): lines
        for path in sorted(WEB.rglob("*.py"))
        if (lines := rollbacks(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}, "use page.attempt or page.writing: a rejected post rolls back at the edge (deps.reject)"


def test_the_guard_sees_a_rollback_however_it_is_reached() -> None:
    for sample in ("page.session.rollback()", "session.rollback()", "x = self.session.rollback() or 1"):
        assert rollbacks(ast.parse(sample)) == [1], sample
    assert rollbacks(ast.parse("session.commit()\nrolled_back = True")) == []


def incidents_named(session: Session, narrative: str) -> int:
    return session.execute(select(func.count()).where(Incident.narrative == narrative)).scalar_one()


def test_what_a_refused_post_wrote_is_neither_stored_nor_logged(web: WebClient, session: Session, scene: Scene) -> None:
    web.login("monitor-ru")
    size, stored = ledger.size(session), session.execute(select(func.count(Evidence.id))).scalar_one()
    answer = web.post_form(f"{scene.pages}/incidents/new", entry(scene), files=files(scene))
    assert answer.status_code == 422, answer.text[:1500]
    assert "the file is empty" in answer.text
    # The form is shown again with what was typed, and the error summary leads to the file field.
    assert 'href="#f-evidence"' in answer.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "Refused at the last file." in answer.text
    session.expire_all()
    assert incidents_named(session, NARRATIVE) == 0
    assert session.execute(select(func.count(Evidence.id))).scalar_one() == stored
    assert ledger.size(session) == size


def test_a_refused_post_keeps_no_idempotency_key_so_the_corrected_one_goes_through(
    web: WebClient, session: Session, scene: Scene
) -> None:
    web.login("monitor-ru")
    headers = {"Idempotency-Key": "refused-then-corrected"}
    refused = web.post_form(f"{scene.pages}/incidents/new", entry(scene), files=files(scene), headers=headers)
    assert refused.status_code == 422, refused.text[:1500]
    # The key was claimed before the page ran, outside the page's savepoint: only the edge took it back.
    stored = select(func.count()).where(IdempotencyKey.key == "refused-then-corrected")
    assert session.execute(stored).scalar_one() == 0
    corrected = web.post_form(f"{scene.pages}/incidents/new", entry(scene), files=files(scene)[:1], headers=headers)
    assert corrected.status_code == 303, corrected.text[:1500]
    session.expire_all()
    assert incidents_named(session, NARRATIVE) == 1
    assert session.execute(stored).scalar_one() == 1
