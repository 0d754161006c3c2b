"""In Chromium: /docs renders with nothing fetched from outside, and another site's link cannot download evidence
in a logged-in user's name while the incident page's own link can."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, Route, expect

from forkserver import popen
from support import clean_env, free_port, truce, wait_for_health
from web.browser.driving import Server, log_in, wait_for_map


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo served for this module; TRUCE_TEST_PORT picks the port where only some are allowed."""
    data_dir = tmp_path_factory.mktemp("websec-data")
    loaded = truce("demo", "--no-serve", "--data-dir", str(data_dir))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    port = int(os.environ.get("TRUCE_TEST_PORT") or free_port())
    command = [sys.executable, "-m", "truce", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    process = popen(command, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_health(process, port)
        yield Server(url=f"http://127.0.0.1:{port}", data_dir=data_dir)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def test_docs_render_with_no_request_leaving_the_server(page: Page, server: Server) -> None:
    outside: list[str] = []
    violations: list[str] = []

    def watch(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname != "127.0.0.1" and not request.url.startswith("data:"):
            outside.append(request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", watch)
    page.on("console", lambda message: violations.append(message.text) if message.type == "error" else None)
    answer = page.goto(f"{server.url}/docs")
    assert answer is not None
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    # Swagger UI drew the API from /openapi.json: its title and the operations of a tag.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Truce")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert outside == []
    assert not [v for v in violations if "Content Security Policy" in v], violations


def _evidence(server: Server) -> tuple[int, str, int]:
    """An evidence file of the demo, and how many downloads its chain of custody holds."""
    with closing(sqlite3.connect(server.data_dir / "truce.db")) as db:
        incident_id, sha256 = db.execute("SELECT incident_id, sha256 FROM evidence ORDER BY id LIMIT 1").fetchone()
    return int(incident_id), str(sha256), _downloads(server)


def _downloads(server: Server) -> int:
    with closing(sqlite3.connect(server.data_dir / "truce.db")) as db:
        return int(db.execute("SELECT count(*) FROM custody WHERE action = 'download'").fetchone()[0])


def test_another_sites_link_cannot_download_evidence_as_the_user(page: Page, server: Server) -> None:
    incident_id, sha256, before = _evidence(server)
    log_in(page, server, "verifier-ru")
    target = f"{server.url}/m/nk-2020/incidents/{incident_id}/evidence/{sha256}"
    # localhost is another site than 127.0.0.1: a page there links to the download.
    elsewhere = server.url.replace("127.0.0.1", "localhost") + "/healthz"
    page.goto(elsewhere)
    page.evaluate("t => { const a = document.createElement('a'); a.id = 'x'; a.href = t; a.textContent = 'x';"
                  " document.body.append(a); }", target)  # fmt: skip
    page.click("#x")
    expect(page.locator("body")).to_contain_text("another site")
    assert _downloads(server) == before
    # The incident page's own link downloads, and the download joins the chain of custody.
    page.goto(f"{server.url}/m/nk-2020/incidents/{incident_id}")
    with page.expect_download() as download:
        page.locator(f"a[href$='/evidence/{sha256}']").first.click()
    assert download.value.suggested_filename
    assert _downloads(server) == before + 1


def test_the_pages_run_under_their_csp_without_a_violation(page: Page, server: Server) -> None:
    # style-src 'self' without 'unsafe-inline': the map's legend colours and htmx must not need inline styles.
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if message.type == "error" else None)
    log_in(page, server, "verifier-ru", "/m/nk-2020/map")
    wait_for_map(page)
    expect(page.locator(".legend .swatch").first).to_be_attached()
    assert not [v for v in violations if "Content Security Policy" in v], violations
    expect(page.locator(".legend .swatch[data-color]").first).to_be_attached()
    colour = page.locator(".legend .swatch[data-color]").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in {"", "rgba(0, 0, 0, 0)"}
    page.goto(f"{server.url}/m/nk-2020/incidents")
    page.locator("a[href*='page=2']").first.click()  # an htmx swap
    expect(page).to_have_url(re.compile(r"page=2"))
    page.goto(f"{server.url}/m/nk-2020/")
    # The returns charts: matplotlib's SVG, inlined (its colours once came as inline styles the CSP refused).
    for path in ("/m/nk-2020/returns", "/m/nk-2020/claims/compare"):
        page.goto(f"{server.url}{path}")
        expect(page.locator("svg.chart").first).to_be_visible()
    assert not [v for v in violations if "Content Security Policy" in v], violations
