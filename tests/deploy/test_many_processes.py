"""Several `truce serve` processes over one PostGIS database behave as one server (issue 23, parts 1 and 5).

Two servers on two ports share the database and nothing else: each has a data directory of its own (its keys
only), and evidence is kept in the database (TRUCE_EVIDENCE_STORE=postgres). Phones and API clients alternate
between them; a file sent to one is served by the other; a Digest answer accepted by one is refused by the other;
wrong passwords count across both; a third server is killed with `kill -9` in the middle of a phone's upload and
the phone's retry to another server succeeds, with nothing lost, nothing doubled, every evidence file intact in
the database and the whole record intact afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest
from sqlalchemy import func, select

from conftest import PG_URL, fresh_database
from deploy.processes import (
    INCIDENTS,
    OPENROSA,
    SUBMISSION,
    Deployment,
    Server,
    deploy,
    machine,
    phone_report,
    photo,
    serving,
    shelling,
)
from support import assert_clean_error, loopback, truce
from truce.db import connect
from truce.evidence import stores
from truce.evidence.database import DatabaseStore
from truce.evidence.models import Evidence, EvidenceBlobChunk, EvidenceChunk
from truce.incidents.models import Incident
from truce.openrosa.models import DigestNonceUse, Submission

FORM_LIST = "/openrosa/nk-2020/formList"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_PARAM = re.compile(r'([a-z]+)=(?:"([^"]*)"|([^\s,]+))')


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    if not PG_URL:
        pytest.skip("several processes over one database need PostgreSQL: set TRUCE_TEST_DATABASE_URL")
    directory = tmp_path_factory.mktemp("many")
    scratch = fresh_database("postgis", directory, "many_processes")
    env = {
        "TRUCE_DATABASE_URL": scratch.engine.url.render_as_string(hide_password=False),
        "TRUCE_EVIDENCE_STORE": "postgres",
    }
    scratch.dispose()
    return deploy(directory / "data", env)


@pytest.fixture(scope="module")
def servers(deployment: Deployment) -> Iterator[tuple[Server, Server]]:
    logs = deployment.data_dir.parent
    other = machine(deployment, logs / "data-b")
    with serving(deployment, logs / "a.log") as a, serving(other, logs / "b.log") as b:
        yield a, b


def digest_header(challenge: dict[str, str], method: str, uri: str, count: int) -> str:
    """What ODK Collect answers a Digest challenge with (RFC 7616, MD5, qop=auth) as monitor-ru."""

    def md5(text: str) -> str:
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    cnonce, nc = secrets.token_hex(8), f"{count:08x}"
    ha1, ha2 = md5(f"monitor-ru:{challenge['realm']}:truce-demo"), md5(f"{method}:{uri}")
    response = md5(f"{ha1}:{challenge['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="monitor-ru", realm="{challenge["realm"]}", nonce="{challenge["nonce"]}", uri="{uri}", '
        f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}", opaque="{challenge["opaque"]}"'
    )


def md5_challenge(answer: httpx.Response) -> dict[str, str]:
    for value in answer.headers.get_list("www-authenticate"):
        scheme, _, rest = value.partition(" ")
        params = {m[0]: m[1] or m[2] for m in _PARAM.findall(rest)}
        if scheme == "Digest" and params.get("algorithm") == "MD5":
            return params
    raise AssertionError(f"no Digest MD5 challenge in {answer.headers}")


def test_a_digest_answer_accepted_by_one_server_is_refused_by_the_other(
    deployment: Deployment, servers: tuple[Server, Server]
) -> None:
    a, b = servers
    challenge = md5_challenge(loopback.get(a.url + FORM_LIST, headers=OPENROSA))
    answer = {**OPENROSA, "Authorization": digest_header(challenge, "GET", FORM_LIST, 1)}
    assert loopback.get(a.url + FORM_LIST, headers=answer).status_code == 200
    replayed = loopback.get(b.url + FORM_LIST, headers=answer)
    assert replayed.status_code == 401, replayed.text
    assert "used before" in replayed.text
    assert loopback.get(a.url + FORM_LIST, headers=answer).status_code == 401
    # The nonce itself is good on every server: the phone's next count is accepted by the other one.
    following = {**OPENROSA, "Authorization": digest_header(challenge, "GET", FORM_LIST, 2)}
    assert loopback.get(b.url + FORM_LIST, headers=following).status_code == 200
    db = connect(deployment.database_url)
    try:
        with db.session(write=False) as session:
            used = session.scalars(select(DigestNonceUse.nc).where(DigestNonceUse.nonce == challenge["nonce"]))
            assert sorted(used) == ["00000001", "00000002"]
    finally:
        db.dispose()


def test_wrong_passwords_count_across_servers(servers: tuple[Server, Server]) -> None:
    """5 failures are free per account: alternating servers, the limit bites as soon as it would on one server."""
    a, b = servers
    statuses = []
    for attempt in range(12):
        server = (a, b)[attempt % 2]
        answer = loopback.post(
            f"{server.url}/api/v1/auth/token", data={"username": "nobody-on-either", "password": "guess"}
        )
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    # Counted per process, each server would allow 5: the first refusal could come no sooner than the 11th try.
    assert statuses[:5] == [401] * 5, statuses
    assert statuses[-1] == 429, statuses
    assert len(statuses) <= 9, statuses


def test_a_web_login_on_one_server_holds_on_the_other_and_a_logout_ends_it_everywhere(
    servers: tuple[Server, Server],
) -> None:
    a, b = servers
    with httpx.Client() as browser:  # one cookie jar, as a browser behind a load balancer without stickiness
        form = CSRF.search(browser.get(a.url + "/login").text)
        assert form is not None
        answer = browser.post(a.url + "/login", data={"csrf_token": form.group(1), "username": "analyst-ru",
                                                      "password": "truce-demo"})  # fmt: skip
        assert answer.status_code == 303, answer.text
        cookie = browser.cookies.get("truce_session")
        assert cookie
        assert "analyst-ru" in browser.get(b.url + "/", follow_redirects=True).text
        form = CSRF.search(browser.get(b.url + "/", follow_redirects=True).text)
        assert form is not None
        assert browser.post(b.url + "/logout", data={"csrf_token": form.group(1)}).status_code == 303
    # The old cookie opens nothing on the server that issued it: the session ended in the shared database.
    with httpx.Client(cookies={"truce_session": cookie}) as stale:
        assert "analyst-ru" not in stale.get(a.url + "/", follow_redirects=True).text


def counts(database_url: str) -> dict[str, int]:
    db = connect(database_url)
    try:
        with db.session(write=False) as session:
            return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                    for model in (Incident, Submission, Evidence)}  # fmt: skip
    finally:
        db.dispose()


def submit(server: Server, auth: tuple[str, str], xml: bytes, name: str, content: bytes) -> httpx.Response:
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml")), (name, (name, content, "image/jpeg"))]
    return loopback.post(server.url + SUBMISSION, files=files, auth=auth, headers=OPENROSA, timeout=120)


def half_an_upload(server: Server, auth: tuple[str, str], xml: bytes, name: str, content: bytes) -> socket.socket:
    """Send the headers and the first half of a submission's body, as a phone whose upload is under way."""
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml")), (name, (name, content, "image/jpeg"))]
    request = httpx.Request("POST", server.url + SUBMISSION, files=files)
    body = request.read()
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    address = urlsplit(server.url)
    head = (
        f"POST {SUBMISSION} HTTP/1.1\r\nHost: {address.netloc}\r\nX-OpenRosa-Version: 1.0\r\n"
        f"Authorization: Basic {token}\r\nContent-Type: {request.headers['content-type']}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    connection = socket.create_connection((address.hostname, address.port), timeout=30)
    connection.sendall(head + body[: len(body) // 2])
    return connection


def test_phones_and_clients_alternate_and_a_server_killed_mid_upload_loses_and_doubles_nothing(
    deployment: Deployment, servers: tuple[Server, Server], tmp_path: Path
) -> None:
    a, b = servers
    before = counts(deployment.database_url)
    for turn in range(10):
        name = f"{uuid.uuid4().hex}.jpg"
        stored = submit((a, b)[turn % 2], deployment.phone_auth, phone_report(name), name, photo(20_000))
        assert stored.status_code == 201, stored.text
    token = loopback.post(f"{a.url}/api/v1/auth/token", data={"username": "monitor-ru", "password": "truce-demo"})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for turn in range(6):
        filed = loopback.post((b, a)[turn % 2].url + INCIDENTS, json=shelling(), headers=bearer, timeout=60)
        assert filed.status_code == 201, filed.text

    # A third server over the same database, killed while a phone's 2 MB upload is half sent.
    name, content = f"{uuid.uuid4().hex}.jpg", photo(2_000_000)
    xml = phone_report(name)
    with serving(machine(deployment, tmp_path / "data-c"), tmp_path / "doomed.log") as doomed:
        connection = half_an_upload(doomed, deployment.phone_auth, xml, name, content)
        time.sleep(0.5)
        doomed.kill()
        connection.close()
    # ODK Collect keeps the instance and sends it again, here to another server: stored once.
    retried = submit(b, deployment.phone_auth, xml, name, content)
    assert retried.status_code == 201, retried.text
    # Sent again once more (say its answer was lost): received already, nothing doubled.
    again = submit(a, deployment.phone_auth, xml, name, content)
    assert again.status_code == 201, again.text
    assert "Already received" in again.text

    after = counts(deployment.database_url)
    assert after["Submission"] - before["Submission"] == 11
    assert after["Incident"] - before["Incident"] == 11 + 6
    assert after["Evidence"] - before["Evidence"] == 11
    verified = truce("log", "verify", "--data-dir", str(deployment.data_dir), env=deployment.env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("intact:")
    evidence_intact(deployment)


def evidence_intact(deployment: Deployment) -> None:
    """Every file a record names is in the database and hashes to its name; no chunk is left from an upload that
    died; no data directory holds evidence."""
    db = connect(deployment.database_url)
    try:
        kept = DatabaseStore(db.engine)
        with db.session(write=False) as session:
            named = set(session.scalars(select(Evidence.sha256)))
        assert named <= set(kept.iter_hashes())
        assert all(stores.verify(kept, sha256) for sha256 in named)
        with db.engine.connect() as connection:
            used = select(EvidenceBlobChunk.chunk_sha256)
            assert connection.scalar(select(func.count()).where(EvidenceChunk.sha256.not_in(used))) == 0
    finally:
        db.dispose()
    for data_dir in deployment.data_dir.parent.rglob("data*"):
        assert not (data_dir / "evidence").exists(), data_dir


def test_a_file_sent_to_one_server_is_served_by_the_other(
    deployment: Deployment, servers: tuple[Server, Server]
) -> None:
    a, b = servers
    token = loopback.post(f"{b.url}/api/v1/auth/token", data={"username": "monitor-ru", "password": "truce-demo"})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    filed = loopback.post(a.url + INCIDENTS, json=shelling(), headers=bearer, timeout=60)
    assert filed.status_code == 201, filed.text
    content = photo(3_000_000)
    url = f"{INCIDENTS}/{filed.json()['id']}/evidence"
    sent = loopback.post(a.url + url, files={"file": ("crater.jpg", content)}, headers=bearer, timeout=120)
    assert sent.status_code == 201, sent.text
    sha256 = sent.json()["sha256"]
    assert sha256 == hashlib.sha256(content).hexdigest()
    taken = loopback.get(f"{b.url}{url}/{sha256}", headers=bearer, timeout=120)
    assert taken.status_code == 200
    assert taken.content == content


def test_workers_above_one_are_refused_on_sqlite(tmp_path: Path) -> None:
    refused = truce("serve", "--workers", "2", "--data-dir", str(tmp_path / "data"))
    assert_clean_error(refused, "--workers above 1 needs PostgreSQL", "TRUCE_DATABASE_URL")


def worker_processes(parent: int) -> list[int]:
    """The Uvicorn worker processes a `--workers` parent started (Linux's /proc)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def test_workers_share_one_port_and_one_truth(deployment: Deployment, tmp_path: Path) -> None:
    with serving(deployment, tmp_path / "workers.log", "--workers", "2") as server:
        deadline = time.monotonic() + 60
        while len(worker_processes(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(worker_processes(server.process.pid)) == 2
        challenge = md5_challenge(loopback.get(server.url + FORM_LIST, headers=OPENROSA))
        answer = {**OPENROSA, "Authorization": digest_header(challenge, "GET", FORM_LIST, 1)}
        assert loopback.get(server.url + FORM_LIST, headers=answer).status_code == 200
        # A new connection each time, so each replay lands on either process: every one is refused.
        assert {loopback.get(server.url + FORM_LIST, headers=answer).status_code for _ in range(10)} == {401}
        for _ in range(4):
            name = f"{uuid.uuid4().hex}.jpg"
            assert submit(server, deployment.phone_auth, phone_report(name), name, photo(5_000)).status_code == 201
