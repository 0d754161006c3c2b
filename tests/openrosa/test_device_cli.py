"""`truce device add|list|revoke` as an administrator runs them, and a phone against a real `truce serve`."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from forkserver import popen
from support import TIMEOUT, assert_clean_error, clean_env, free_port, loopback, truce, wait_for_health

BASE = "/openrosa/nk-2020"
OPENROSA = {"X-OpenRosa-Version": "1.0"}


@pytest.fixture(scope="module")
def data_dir(module_demo_dir: Path) -> Path:
    """This module's copy of the demo's data directory (`truce demo --no-serve` runs once per session)."""
    return module_demo_dir


@pytest.fixture(scope="module")
def served(data_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "truce", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    with popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env()) as process:
        try:
            wait_for_health(process, port)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=TIMEOUT)


def add(data_dir: Path, name: str, *extra: str) -> tuple[str, str]:
    result = truce("device", "add", name, "--mission", "nk-2020", "--delegation", "ru", "--role", "monitor",
                   "--data-dir", str(data_dir), *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "▀" in result.stdout or "▄" in result.stdout, "no QR code drawn"
    username = re.search(r"username: (\S+)", result.stdout)
    token = re.search(r"token:\s+(\S+)", result.stdout)
    assert username is not None
    assert token is not None
    return username.group(1), token.group(1)


def test_add_list_and_revoke(data_dir: Path, served: str) -> None:
    username, token = add(data_dir, "cli-phone", "--server", served)
    # The mission's id in the account's name keeps it apart from a phone of the same name in another mission.
    assert re.fullmatch(r"device\.[0-9]+\.cli-phone", username), username
    probe = loopback.head(f"{served}{BASE}/submission", headers=OPENROSA, auth=(username, token))
    assert probe.status_code == 204
    # A real server adds the Date header OpenRosa asks for.
    assert probe.headers["Date"].endswith("GMT")
    assert probe.headers["X-OpenRosa-Version"] == "1.0"
    listed = truce("device", "list", "--mission", "nk-2020", "--data-dir", str(data_dir))
    assert re.search(r"cli-phone\s+active", listed.stdout), listed.stdout
    assert listed.stdout.rstrip().endswith(f"  {username}"), listed.stdout
    revoked = truce("device", "revoke", "cli-phone", "--mission", "nk-2020", "--data-dir", str(data_dir))
    assert revoked.returncode == 0, revoked.stderr
    after = loopback.head(f"{served}{BASE}/submission", headers=OPENROSA, auth=(username, token))
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Basic")
    assert "revoked" in truce("device", "list", "--mission", "nk-2020", "--data-dir", str(data_dir)).stdout


def test_a_chunked_submission_over_http(data_dir: Path, served: str) -> None:
    username, token = add(data_dir, "chunky-phone")
    form = loopback.get(f"{served}{BASE}/forms/truce-nk-2020-patrol.xml", headers=OPENROSA, auth=(username, token))
    version = re.search(r'version="(\w+)"', form.text)
    assert version is not None
    xml = (f'<data id="truce-nk-2020-patrol" version="{version.group(1)}"><departed>2020-11-22T08:00:00+04:00'
           "</departed><route>39.75 46.69;39.80 46.75</route><meta><instanceID>uuid:7d0c4f8e-4a51-4e0b-9f35-"
           "2a1b3c4d5e6f</instanceID></meta></data>").encode()  # fmt: skip
    body = (b'--b0undary\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="s.xml"\r\n'
            b"Content-Type: text/xml\r\n\r\n" + xml + b"\r\n--b0undary--\r\n")  # fmt: skip

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64):
            yield body[start : start + 64]

    headers = {**OPENROSA, "Content-Type": "multipart/form-data; boundary=b0undary"}
    answer = loopback.post(f"{served}{BASE}/submission", content=chunks(), headers=headers, auth=(username, token))
    assert answer.request.headers["Transfer-Encoding"] == "chunked"
    assert answer.status_code == 201, answer.text
    assert "submit_success" in answer.text
    verified = truce("log", "verify", "--data-dir", str(data_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_fifty_concurrent_retries_over_http_make_one_record(data_dir: Path, served: str) -> None:
    username, token = add(data_dir, "retrying-phone")
    form = loopback.get(f"{served}{BASE}/forms/truce-nk-2020-patrol.xml", headers=OPENROSA, auth=(username, token))
    version = re.search(r'version="(\w+)"', form.text)
    assert version is not None
    xml = (f'<data id="truce-nk-2020-patrol" version="{version.group(1)}"><departed>2020-11-23T08:00:00+04:00'
           "</departed><route>39.75 46.69;39.80 46.75</route><restriction><category>denial</category>"
           "<kind>checkpoint</kind><met_at>2020-11-23T09:00:00+04:00</met_at><location>39.77 46.71</location>"
           "</restriction><meta><instanceID>uuid:5e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b</instanceID></meta>"
           "</data>")  # fmt: skip
    start = threading.Barrier(50)
    statuses: list[int] = []

    def retry() -> None:
        start.wait()
        files = [("xml_submission_file", ("s.xml", xml.encode(), "text/xml"))]
        answer = loopback.post(f"{served}{BASE}/submission", files=files, headers=OPENROSA, auth=(username, token),
                            timeout=TIMEOUT)  # fmt: skip
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=retry) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 50
    admin = loopback.post(f"{served}/api/v1/auth/token", data={"username": "admin", "password": "truce-demo"})
    bearer = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    window = {"since": "2020-11-23T05:00:00Z", "until": "2020-11-23T05:01:00Z"}
    restrictions = loopback.get(f"{served}/api/v1/missions/nk-2020/restrictions", params=window, headers=bearer)
    assert len(restrictions.json()["features"]) == 1


def test_cli_errors_are_one_clear_line(data_dir: Path) -> None:
    assert_clean_error(
        truce("device", "add", "Bad Name", "--mission", "nk-2020", "--delegation", "ru", "--data-dir", str(data_dir)),
        "lower-case",
    )
    assert_clean_error(
        truce("device", "add", "x-phone", "--mission", "nowhere", "--delegation", "ru", "--data-dir", str(data_dir)),
        "no mission",
    )
    assert_clean_error(truce("device", "revoke", "ghost", "--mission", "nk-2020", "--data-dir", str(data_dir)), "ghost")
