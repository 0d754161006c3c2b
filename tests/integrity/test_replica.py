"""Two replicas of a forked log, in processes of their own on loopback: a split-view alarm within 60 seconds.

The server key is the same for both primaries (a copy of one data directory, then different writes): what a
server that shows checkpoint A to one delegation and B to the other looks like from outside. The primaries run on
SQLite and, with TRUCE_TEST_DATABASE_URL, on PostGIS; the replicas keep their own SQLite files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from forkserver import Child, popen
from integrity.primaries import fork, primary
from support import TIMEOUT, clean_env, free_port, loopback, point_feature, truce, wait_for_health
from truce.ledger import note


def start(command: list[str], port: int, env: dict[str, str] | None = None) -> Child:
    process = popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env(env))
    try:
        wait_for_health(process, port)
    except BaseException:
        stop(process)
        raise
    return process


def stop(process: Child) -> None:
    process.terminate()
    process.wait(timeout=TIMEOUT)
    if process.stderr is not None:
        process.stderr.close()


def add_site(url: str, name: str) -> None:
    token = loopback.post(f"{url}/api/v1/auth/token", data={"username": "admin", "password": "truce-demo"})
    answer = loopback.post(f"{url}/api/v1/missions/nk-2020/sites",
                           json=point_feature(46.8, 39.9, name=name, kind="post"),
                           headers={"Authorization": f"Bearer {token.json()['access_token']}"})  # fmt: skip
    assert answer.status_code == 201, answer.text


def test_a_forked_log_raises_a_split_view_alarm_on_both_replicas(
    backend: str, demo_data_dir: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "primary-a", tmp_path / "primary-b"
    url, first_env = primary(backend, demo_data_dir, first, "fork_a")
    _, second_env = fork(backend, first, url, second, "fork_b")  # the same key signs both
    key = truce("log", "key", "--data-dir", str(first), env=first_env).stdout.strip()
    ports = [free_port() for _ in range(4)]
    processes: list[Child] = []
    try:
        for data, port, env in ((first, ports[0], first_env), (second, ports[1], second_env)):
            processes.append(start([sys.executable, "-m", "truce", "serve", "--data-dir", str(data),
                                    "--port", str(port)], port, env))  # fmt: skip
        add_site(f"http://127.0.0.1:{ports[0]}", "Post A")
        add_site(f"http://127.0.0.1:{ports[1]}", "Post B")
        replicas = [tmp_path / "replica-ru", tmp_path / "replica-tr"]
        for index, (user, server_port, own, other) in enumerate(
            (("verifier-ru", ports[0], ports[2], ports[3]), ("verifier-tr", ports[1], ports[3], ports[2]))
        ):
            command = [sys.executable, "-m", "truce", "replica", "--server", f"http://127.0.0.1:{server_port}",
                       "--server-key", key, "--user", user, "--data-dir", str(replicas[index]),
                       "--peer", f"http://127.0.0.1:{other}", "--port", str(own)]  # fmt: skip
            processes.append(start(command, own, {"TRUCE_PASSWORD": "truce-demo"}))
        deadline = time.monotonic() + 60
        statuses: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            statuses = [loopback.get(f"http://127.0.0.1:{p}/api/v1/replica/status").json() for p in ports[2:]]
            if all(s["status"] == "split_view" for s in statuses):
                break
            time.sleep(0.5)
        assert [s["status"] for s in statuses] == ["split_view", "split_view"], statuses
        # Both signed notes are kept, and both verify with the one server key: portable evidence.
        server = note.Verifier.from_text(key)
        for status in statuses:
            alarm = status["alarms"][0]  # type: ignore[index]
            roots = {note.open_note(alarm[side], [server])[0] for side in ("first", "second")}
            assert len(roots) == 2
        refused = loopback.post(f"http://127.0.0.1:{ports[2]}/api/v1/log/witness/add-checkpoint", content=b"old 0\n\n")
        assert refused.status_code == 403
        printed = truce("replica", "status", "--data-dir", str(replicas[0]))
        assert printed.returncode == 1
        assert json.loads(printed.stdout)["status"] == "split_view"
    finally:
        for process in processes:
            stop(process)


def test_a_replica_that_agrees_with_its_peer_stays_ok_and_resumes_where_it_stopped(
    backend: str, demo_data_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "primary"
    _, env = primary(backend, demo_data_dir, data, "agreeing")
    key = truce("log", "key", "--data-dir", str(data), env=env).stdout.strip()
    server_port, own = free_port(), free_port()
    processes = [start([sys.executable, "-m", "truce", "serve", "--data-dir", str(data), "--port", str(server_port)],
                       server_port, env)]  # fmt: skip
    command = [sys.executable, "-m", "truce", "replica", "--server", f"http://127.0.0.1:{server_port}",
               "--server-key", key, "--user", "liaison-am", "--data-dir", str(tmp_path / "replica"),
               "--port", str(own)]  # fmt: skip
    try:
        processes.append(start(command, own, {"TRUCE_PASSWORD": "truce-demo"}))
        status: dict[str, object] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not status.get("size"):
            time.sleep(0.3)
            status = loopback.get(f"http://127.0.0.1:{own}/api/v1/replica/status").json()
        assert status["status"] == "ok", status
        processes[-1].kill()  # kill -9
        processes[-1].wait(timeout=TIMEOUT)
        add_site(f"http://127.0.0.1:{server_port}", "Post 27")
        processes.append(start(command, own, {"TRUCE_PASSWORD": "truce-demo"}))
        deadline = time.monotonic() + 60
        later = status
        while time.monotonic() < deadline and later["size"] == status["size"]:
            time.sleep(0.3)
            later = loopback.get(f"http://127.0.0.1:{own}/api/v1/replica/status").json()
        assert later["status"] == "ok", later
        assert int(later["size"]) > int(status["size"])  # type: ignore[call-overload]
        entries = loopback.get(f"http://127.0.0.1:{own}/api/v1/log/entries", params={"start": 0, "end": 5}).json()
        assert [e["index"] for e in entries] == [0, 1, 2, 3, 4]
    finally:
        for process in processes:
            stop(process)
