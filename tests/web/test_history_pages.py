"""An incident's history in sentences (issue 17, part 5): filing, verdicts with the status they brought, evidence,
downloads (staff only) and corrections, each linked to its log entry and an inclusion proof that checks."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from support import Login, point_feature
from truce.ledger import merkle
from web.conftest import WebClient
from web.exif_photo import jpeg_with_gps

BASE = "/m/nk-2020"
INCIDENTS = "/api/v1/missions/nk-2020/incidents"


def history(page: str) -> list[str]:
    section = page.split('id="history-h"', 1)[1].split("</section>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in section.split("<li")[1:]]


def test_the_history_reads_as_sentences(client: TestClient, login: Login, web: WebClient) -> None:
    body = point_feature(46.8, 39.9, type="explosion", subtype="mortar", start="2020-11-29T10:00:00+04:00",
                         source="post", classification="parties")  # fmt: skip
    incident_id = client.post(INCIDENTS, json=body, headers=login("monitor-ru")).json()["id"]
    upload = client.post(f"{INCIDENTS}/{incident_id}/evidence", headers=login("monitor-ru"),
                         files={"file": ("crater.jpg", jpeg_with_gps(39.9, 46.8), "image/jpeg")})  # fmt: skip
    sha = upload.json()["sha256"]
    body["properties"]["narrative"] = "Moved."
    body["geometry"]["coordinates"] = [46.81, 39.9]
    assert client.put(f"{INCIDENTS}/{incident_id}", json=body, headers=login("monitor-ru")).status_code == 200
    web.login("verifier-tr")
    assert web.get(f"{BASE}/incidents/{incident_id}/evidence/{sha}", headers={"Sec-Fetch-Site": "same-origin"})
    web.post_form(f"{BASE}/incidents/{incident_id}/verify", {"verdict": "confirm", "note": "Crater seen."})
    lines = history(web.get(f"{BASE}/incidents/{incident_id}").text)
    assert lines[0].split(": ", 1)[1].startswith("Filed by monitor-ru")
    assert any("Photo crater.jpg added by monitor-ru" in line for line in lines)
    assert any("Position corrected by monitor-ru" in line for line in lines)
    assert any("crater.jpg downloaded by verifier-tr" in line for line in lines)
    verdict = next(line for line in lines if "Verdict" in line)
    assert "Verdict “Confirm” by Turkish" in verdict
    assert "status now Under verification" in verdict
    assert "Crater seen." in verdict
    web.client.cookies.clear()
    liaison = history(web.login("liaison-am").get(f"{BASE}/incidents/{incident_id}").text)
    assert not any("downloaded" in line for line in liaison)  # the chain of custody is for mission staff
    assert any("Verdict" in line for line in liaison)


def test_each_line_links_to_its_entry_and_a_proof_that_checks(client: TestClient, login: Login, web: WebClient) -> None:
    body = point_feature(46.8, 39.9, type="fire", subtype="sniper", start="2020-11-29T10:00:00+04:00", source="post")
    incident_id = client.post(INCIDENTS, json=body, headers=login("monitor-ru")).json()["id"]
    web.login("analyst-ru")
    page = web.get(f"{BASE}/incidents/{incident_id}").text
    link = re.search(rf'href="({BASE}/incidents/{incident_id}/log/(\d+))"', page)
    assert link is not None
    entry = web.get(link.group(1)).text
    leaf = re.search(r'id="leaf-hash">([0-9a-f]{64})<', entry).group(1)  # type: ignore[union-attr]
    root = re.search(r'id="root">([0-9a-f]{64})<', entry).group(1)  # type: ignore[union-attr]
    size = int(re.search(r'id="tree-size">(\d+)<', entry).group(1))  # type: ignore[union-attr]
    proof = [bytes.fromhex(h) for h in re.findall(r'<li><code class="hash">([0-9a-f]{64})</code></li>', entry)]
    assert merkle.verify_inclusion(int(link.group(2)), size, bytes.fromhex(leaf), proof, bytes.fromhex(root))
    # Only entries of this incident's history are shown under it.
    assert web.get(f"{BASE}/incidents/{incident_id}/log/1").status_code == 404
