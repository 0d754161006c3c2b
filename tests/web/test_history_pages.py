"""An incident's history in sentences (issue 17, part 5): filing, verdicts with the status they brought, evidence,
downloads (staff only) and corrections, each linked to its log entry and an inclusion proof that checks."""

from __future__ import annotations

import html
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import Login, point_feature
from truce.ledger import merkle
from truce.missions.models import Delegation, Mission
from web.conftest import WebClient
from web.exif_photo import jpeg_with_gps


def history(page: str) -> list[str]:
    section = page.split('id="history-h"', 1)[1].split("</section>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in section.split("<li")[1:]]


def test_the_history_reads_as_sentences(
    client: TestClient, login: Login, web: WebClient, scene: Scene, session: Session, mission: Mission
) -> None:
    base, incidents = scene.pages, f"{scene.api}/incidents"
    lon, lat = scene.point
    start = scene.moment(10, day=scene.shifted(date(2020, 11, 29)))
    body = point_feature(lon, lat, type="explosion", subtype="mortar", start=start,
                         source="post", classification="parties")  # fmt: skip
    incident_id = client.post(incidents, json=body, headers=login("monitor-ru")).json()["id"]
    upload = client.post(f"{incidents}/{incident_id}/evidence", headers=login("monitor-ru"),
                         files={"file": ("crater.jpg", jpeg_with_gps(lat, lon), "image/jpeg")})  # fmt: skip
    sha = upload.json()["sha256"]
    body["properties"]["narrative"] = "Moved."
    body["geometry"]["coordinates"] = [lon + 0.01, lat]
    assert client.put(f"{incidents}/{incident_id}", json=body, headers=login("monitor-ru")).status_code == 200
    web.login("verifier-tr")
    assert web.get(f"{base}/incidents/{incident_id}/evidence/{sha}", headers={"Sec-Fetch-Site": "same-origin"})
    web.post_form(f"{base}/incidents/{incident_id}/verify", {"verdict": "confirm", "note": "Crater seen."})
    lines = history(web.get(f"{base}/incidents/{incident_id}").text)
    monitor, verifier = web.name("monitor-ru"), web.name("verifier-tr")
    assert lines[0].split(": ", 1)[1].startswith(f"Filed by {monitor}")
    assert any(f"Photo crater.jpg added by {monitor}" in line for line in lines)
    assert any(f"Position corrected by {monitor}" in line for line in lines)
    assert any(f"crater.jpg downloaded by {verifier}" in line for line in lines)
    verdict = next(line for line in lines if "Verdict" in line)
    delegation = session.scalars(
        select(Delegation.name).where(Delegation.mission_id == mission.id, Delegation.code == scene.delegation("tr"))
    ).one()
    assert f"Verdict “Confirm” by {delegation}" in verdict
    assert "status now Under verification" in verdict
    assert "Crater seen." in verdict
    web.client.cookies.clear()
    liaison = history(web.login("liaison-am").get(f"{base}/incidents/{incident_id}").text)
    assert not any("downloaded" in line for line in liaison)  # the chain of custody is for mission staff
    assert any("Verdict" in line for line in liaison)


def test_each_line_links_to_its_entry_and_a_proof_that_checks(
    client: TestClient, login: Login, web: WebClient, scene: Scene
) -> None:
    base, incidents = scene.pages, f"{scene.api}/incidents"
    start = scene.moment(10, day=scene.shifted(date(2020, 11, 29)))
    body = point_feature(*scene.point, type="fire", subtype="sniper", start=start, source="post")
    incident_id = client.post(incidents, json=body, headers=login("monitor-ru")).json()["id"]
    web.login("analyst-ru")
    page = web.get(f"{base}/incidents/{incident_id}").text
    link = re.search(rf'href="({base}/incidents/{incident_id}/log/(\d+))"', page)
    assert link is not None
    entry = web.get(link.group(1)).text
    leaf = re.search(r'id="leaf-hash">([0-9a-f]{64})<', entry).group(1)  # type: ignore[union-attr]
    root = re.search(r'id="root">([0-9a-f]{64})<', entry).group(1)  # type: ignore[union-attr]
    size = int(re.search(r'id="tree-size">(\d+)<', entry).group(1))  # type: ignore[union-attr]
    proof = [bytes.fromhex(h) for h in re.findall(r'<li><code class="hash">([0-9a-f]{64})</code></li>', entry)]
    assert merkle.verify_inclusion(int(link.group(2)), size, bytes.fromhex(leaf), proof, bytes.fromhex(root))
    # Only entries of this incident's history are shown under it.
    assert web.get(f"{base}/incidents/{incident_id}/log/1").status_code == 404
