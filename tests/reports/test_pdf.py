"""The PDF as a person sees it: pages rendered to PNG with pdftoppm, text read back with pdftotext."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from mission_examples import Scene
from reports.conftest import Towns
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.reports import build, render, service

if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
    pytest.fail("poppler-utils (pdftoppm, pdftotext) are needed to check the PDF; .ci/run installs them")

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def text_of(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", out)


def test_pdf_pages_and_text(
    session: Session,
    mission: Mission,
    file_incident: Callable[..., Incident],
    tmp_path: Path,
    day: date,
    scene: Scene,
    towns: Towns,
) -> None:
    file_incident(type="access", subtype="convoy_blocked", lon=46.55, lat=39.64)
    context = build.daily(session, mission, day)
    on = f"{day.day} {day:%B %Y}"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(service.daily_document(session, mission, day, "pdf"))
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) - 2 >= 2, "the map and the trend chart are embedded"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3, "summary and map, trend and tables, annex"
    assert all(page.stat().st_size > 2_000 for page in pages), "a page rendered blank"
    text = text_of(pdf)
    assert f"Daily situation report, {on}" in text
    assert f"recorded {context.total_today} incidents on {on}, against {context.total_previous}" in text
    assert f"(UTC{scene.offset_text})" in text
    for zone in context.zones:
        if zone.today or zone.previous:
            assert f"{zone.zone.split(' (')[0]}" in text
    # Places go by every name they have: "Lachin / Berdzor", not one side's name only.
    assert f"of {towns.far}" in text
    for row in context.incidents:
        assert row.place in text, row.place
    assert f"Annex: every incident of {on} ({len(context.incidents)})" in text
    assert re.search(r"page 1 of \d", text)


def test_pdf_embeds_data_uris_and_nothing_from_disk(tmp_path: Path) -> None:
    on_disk = tmp_path / "dot.png"
    on_disk.write_bytes(PNG_1PX)
    inline = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    counts = []
    for src in (inline, on_disk.as_uri()):
        pdf = tmp_path / "probe.pdf"
        pdf.write_bytes(render.pdf(f'<html><body><p>probe</p><img src="{src}" width="10"></body></html>'))
        listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True)
        counts.append(len(listing.stdout.strip().splitlines()) - 2)
    assert counts[0] >= 1, "the inline image is embedded"
    assert counts[1] == 0, "the file on disk was read"
