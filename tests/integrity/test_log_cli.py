"""`truce log …` as a party's IT officer runs it, against a real `truce serve` on loopback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from forkserver import popen
from support import TIMEOUT, clean_env, free_port, loopback, truce, wait_for_health


@pytest.fixture(scope="module")
def server(module_demo_dir: Path) -> Iterator[tuple[str, Path]]:
    data = module_demo_dir
    port = free_port()
    command = [sys.executable, "-m", "truce", "serve", "--data-dir", str(data), "--port", str(port)]
    with popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env()) as process:
        try:
            wait_for_health(process, port)
            yield f"http://127.0.0.1:{port}", data
        finally:
            process.terminate()
            process.wait(timeout=TIMEOUT)


def token(url: str, username: str) -> str:
    answer = loopback.post(f"{url}/api/v1/auth/token", data={"username": username, "password": "truce-demo"})
    return str(answer.json()["access_token"])


def test_the_signing_key_is_private(server: tuple[str, Path]) -> None:
    _, data = server
    mode = stat.S_IMODE(os.stat(data / "log_signing_key").st_mode)
    assert mode == 0o600


def test_verify_checkpoint_and_key(server: tuple[str, Path]) -> None:
    url, data = server
    verified = truce("log", "verify", "--data-dir", str(data))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("intact:")
    key = truce("log", "key", "--data-dir", str(data)).stdout.strip()
    served = loopback.get(f"{url}/api/v1/log/key", headers={"Authorization": f"Bearer {token(url, 'liaison-am')}"})
    assert served.text == key
    checkpoint = truce("log", "checkpoint", "--data-dir", str(data)).stdout
    assert checkpoint.splitlines()[0] == key.split("+")[0]


def test_audit_and_cosign_from_a_partys_machine(server: tuple[str, Path], tmp_path: Path) -> None:
    url, data = server
    key = truce("log", "key", "--data-dir", str(data)).stdout.strip()
    am = {"TRUCE_TOKEN": token(url, "liaison-am")}
    bearer = {"Authorization": f"Bearer {am['TRUCE_TOKEN']}"}
    saved = tmp_path / "saved.txt"
    saved.write_text(loopback.get(f"{url}/api/v1/log/checkpoint", headers=bearer).text)
    state = tmp_path / "audit.state"
    audited = truce("log", "audit", url, "--checkpoint", str(saved), "--server-key", key, "--state", str(state), env=am)
    assert audited.returncode == 0, audited.stderr
    assert audited.stdout.startswith("consistent:")
    assert "new entries checked against their data" in audited.stdout
    again = truce("log", "audit", url, "--checkpoint", str(saved), "--server-key", key, "--state", str(state), env=am)
    assert again.returncode == 0, again.stderr
    assert "; 0 new entries checked against their data, 0 by leaf hash only" in again.stdout

    witness_key = tmp_path / "am-witness.key"
    public = truce("log", "keygen", "witness.am.example/2020", "--out", str(witness_key))
    assert public.returncode == 0, public.stderr
    assert stat.S_IMODE(os.stat(witness_key).st_mode) == 0o600
    registered = truce("log", "witness", public.stdout.strip(), "--delegation", "am", "--data-dir", str(data))
    assert registered.returncode == 0, registered.stderr
    cosigned = truce("log", "cosign", url, "--key", str(witness_key), "--server-key", key, env=am)
    assert cosigned.returncode == 0, cosigned.stderr
    text = loopback.get(f"{url}/api/v1/log/checkpoint", headers=bearer).text
    assert "— witness.am.example/2020 " in text


def test_audit_fails_loudly(server: tuple[str, Path], tmp_path: Path) -> None:
    url, data = server
    key = truce("log", "key", "--data-dir", str(data)).stdout.strip()
    forged = tmp_path / "forged.txt"
    forged.write_text(f"{key.split('+')[0]}\n999999\n" + "A" * 43 + "=\n\n— nobody AAAA\n")
    failed = truce("log", "audit", url, "--checkpoint", str(forged), "--server-key", key,
                   env={"TRUCE_TOKEN": token(url, "liaison-az")})  # fmt: skip
    assert failed.returncode == 1
    assert "FAILED" in failed.stderr
    assert "Traceback" not in failed.stderr
    no_token = truce("log", "audit", url, "--checkpoint", str(forged), "--server-key", key)
    assert no_token.returncode == 2
    assert "TRUCE_TOKEN" in no_token.stderr
