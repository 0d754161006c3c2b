"""The tests' fork server (tests/forkserver.py) gives what `subprocess.Popen` gives: exit status, streams, the
request's directory and environment, signals, and a process that is not this one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from forkserver import Process, popen
from support import clean_env, free_port, loopback, wait_for_health

TRUCE = [sys.executable, "-m", "truce"]


def forked(*args: str, **kwargs: object) -> Process:
    process = popen([*TRUCE, *args], **kwargs)
    assert isinstance(process, Process), "a `python -m truce` command is forked, unless the tests turned that off"
    return process


@pytest.fixture(autouse=True)
def _forking() -> None:
    import forkserver

    if not forkserver.ENABLED:
        pytest.fail("TRUCE_TEST_FORKSERVER=0 turns the fork server off; its own tests need it on")


def test_exit_status_and_both_streams_come_back() -> None:
    with forked("no-such-command", stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(), text=True) as bad:
        assert bad.wait(timeout=60) == 2
        assert bad.stderr is not None
        assert "No such command 'no-such-command'" in bad.stderr.read()
    with forked("--help", stdout=subprocess.PIPE, env=clean_env(), text=True) as helped:
        assert helped.wait(timeout=60) == 0
        assert helped.stdout is not None
        assert "Usage: python -m truce" in helped.stdout.read()


def test_the_child_runs_in_the_given_directory_with_the_given_environment(tmp_path: Path) -> None:
    env = clean_env({"TRUCE_DATA_DIR": "relative-data"})
    with forked("log", "key", stdout=subprocess.PIPE, env=env, cwd=tmp_path, text=True) as child:
        assert child.wait(timeout=60) == 0
        assert child.stdout is not None
        assert child.stdout.read().startswith("truce.local/")
    assert (tmp_path / "relative-data" / "log_signing_key").is_file()


def test_a_server_is_a_process_of_its_own_that_signals_reach(demo_data_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as stderr:
        server = forked("serve", "--data-dir", str(demo_data_dir), "--port", str(port), env=clean_env(), stderr=stderr)
    try:
        wait_for_health(server, port)
        assert loopback.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        parent = int(Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert parent not in (0, 1, os.getpid())
        with pytest.raises(subprocess.TimeoutExpired):
            server.wait(timeout=0.1)
        assert server.poll() is None
        server.send_signal(signal.SIGKILL)
        assert server.wait(timeout=30) == -signal.SIGKILL
    finally:
        server.kill()
    assert "Uvicorn running" in log.read_text()


def test_interpreter_options_or_another_command_get_a_fresh_interpreter() -> None:
    options = popen([*TRUCE, "--help"], env=clean_env({"PYTHONWARNINGS": "ignore"}), stdout=subprocess.DEVNULL)
    other = popen([sys.executable, "-c", "pass"])
    for process in (options, other):
        assert isinstance(process, subprocess.Popen)
        assert process.wait(timeout=60) == 0
