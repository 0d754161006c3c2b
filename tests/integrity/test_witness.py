"""`truce witness serve` in a process of its own on loopback, spoken to per C2SP tlog-witness; and the primary
`truce serve` sending it each new checkpoint."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest

from forkserver import Child, popen
from support import TIMEOUT, clean_env, copy_data_dir, free_port, loopback, truce, wait_for_health
from truce.integrity.witness import PATH, request_body
from truce.ledger import merkle, note

ORIGIN = "truce.test/witnessed"


class Log:
    """A log of the test's own: a tree and a key that signs its checkpoints."""

    def __init__(self, signer: note.Signer | None = None) -> None:
        self.signer = signer or note.generate_signer(ORIGIN)
        self.tree = merkle.MemoryTree(f"entry {i}".encode() for i in range(64))

    def checkpoint(self, size: int, root: bytes | None = None) -> str:
        root = merkle.root(size, self.tree) if root is None else root
        return note.sign_note(note.Checkpoint(self.signer.name, size, root).to_body(), [self.signer])

    def proof(self, old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof(old, new, self.tree) if 0 < old < new else []


def start(command: list[str], port: int) -> Child:
    process = popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env())
    try:
        wait_for_health(process, port)
    except BaseException:
        stop(process)
        raise
    return process


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[tuple[str, Log, note.Verifier]]:
    log = Log()
    key = tmp_path / "witness.key"
    public = truce("log", "keygen", "witness.am.example", "--out", str(key))
    assert public.returncode == 0, public.stderr
    port = free_port()
    command = [sys.executable, "-m", "truce", "witness", "serve", "--key", str(key), "--data-dir",
               str(tmp_path / "witness"), "--port", str(port), "--log", log.signer.verifier_text()]  # fmt: skip
    process = start(command, port)
    try:
        yield f"http://127.0.0.1:{port}", log, note.Verifier.from_text(public.stdout.strip())
    finally:
        stop(process)


def stop(process: Child) -> None:
    process.terminate()
    process.wait(timeout=TIMEOUT)
    if process.stderr is not None:
        process.stderr.close()


def post(url: str, old: int, proof: list[bytes], checkpoint: str) -> httpx.Response:
    return loopback.post(url + PATH, content=request_body(old, proof, checkpoint), timeout=TIMEOUT)


def test_the_answers_the_spec_lists(witness: tuple[str, Log, note.Verifier]) -> None:
    url, log, cosigner = witness
    stranger = Log(note.generate_signer("another.example/log"))
    assert post(url, 0, [], stranger.checkpoint(5)).status_code == 404
    assert post(url, 0, [], Log(note.generate_signer(ORIGIN)).checkpoint(5)).status_code == 403
    assert post(url, 6, [], log.checkpoint(5)).status_code == 400
    assert post(url, 0, [], "old and new\n\nnot a note").status_code == 400
    first = post(url, 0, [], log.checkpoint(5))
    assert first.status_code == 200, first.text
    body = note.split_note(log.checkpoint(5))[0]
    assert note.verify_cosignature(body, first.text, cosigner) > 0
    stale = post(url, 0, [], log.checkpoint(8))
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "text/x.tlog.size"
    assert stale.text == "5\n"
    assert post(url, 5, [b"\0" * 32] * len(log.proof(5, 8)), log.checkpoint(8)).status_code == 422
    assert post(url, 5, log.proof(5, 8), log.checkpoint(8)).status_code == 200
    assert post(url, 8, [], log.checkpoint(8, b"\1" * 32)).status_code == 409  # same size, another root
    assert post(url, 8, [], log.checkpoint(8)).status_code == 200  # the same checkpoint again
    assert post(url, 0, [], log.checkpoint(0, b"\1" * 32)).status_code == 422  # size 0, not the empty root
    assert post(url, 0, [b"\0" * 32], log.checkpoint(8)).status_code == 422  # from 0, a proof must be empty


def test_concurrent_requests_never_leave_the_older_size(witness: tuple[str, Log, note.Verifier]) -> None:
    url, log, _ = witness
    assert post(url, 0, [], log.checkpoint(8)).status_code == 200
    sizes = list(range(9, 41))
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda size: post(url, 8, log.proof(8, size), log.checkpoint(size)), sizes))
    won = [size for size, answer in zip(sizes, answers, strict=True) if answer.status_code == 200]
    assert len(won) == 1, [a.status_code for a in answers]
    assert all(a.status_code == 409 and a.text == f"{won[0]}\n" for a in answers if a.status_code != 200)
    assert post(url, 0, [], log.checkpoint(8)).text == f"{won[0]}\n"


def test_the_primary_sends_checkpoints_and_a_witness_that_is_down_delays_nothing(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    data = copy_data_dir(demo_data_dir, tmp_path / "data")
    server_key = truce("log", "key", "--data-dir", str(data)).stdout.strip()
    keys, ports = tmp_path / "am.key", [free_port(), free_port(), free_port()]
    public = truce("log", "keygen", "witness.am.example", "--out", str(keys)).stdout.strip()
    down = truce("log", "keygen", "witness.az.example", "--out", str(tmp_path / "az.key")).stdout.strip()
    for vkey, code, port in ((public, "am", ports[1]), (down, "az", ports[2])):
        added = truce("log", "witness", vkey, "--delegation", code, "--url", f"http://127.0.0.1:{port}",
                      "--data-dir", str(data))  # fmt: skip
        assert added.returncode == 0, added.stderr
    witness = start([sys.executable, "-m", "truce", "witness", "serve", "--key", str(keys), "--data-dir",
                     str(tmp_path / "am"), "--port", str(ports[1]), "--log", server_key], ports[1])  # fmt: skip
    primary = start(
        [sys.executable, "-m", "truce", "serve", "--data-dir", str(data), "--port", str(ports[0])], ports[0]
    )
    try:
        url = f"http://127.0.0.1:{ports[0]}"
        token = loopback.post(f"{url}/api/v1/auth/token", data={"username": "admin", "password": "truce-demo"})
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        deadline, text = time.monotonic() + 30, ""
        while time.monotonic() < deadline and "— witness.am.example " not in text:
            time.sleep(0.2)
            text = loopback.get(f"{url}/api/v1/log/checkpoint", headers=bearer).text
        assert "— witness.am.example " in text, text
        verifier = note.Verifier.from_text(public)
        body, _ = note.split_note(text)
        line = next(x + "\n" for x in text.splitlines() if x.startswith("— witness.am.example "))
        assert note.verify_cosignature(body, line, verifier) > 0
        assert "witness.az.example" not in text
    finally:
        for process in (primary, witness):
            stop(process)
