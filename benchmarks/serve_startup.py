"""Time to first /healthz: from launching `truce serve` to its first HTTP 200, and its memory then.

What it measures: the wall-clock time from starting `truce serve --data-dir DIR --port P` as a
subprocess, on a data directory holding the loaded demo mission, until GET /healthz first answers
200 (polled every 10 ms), over several runs; and the server's resident memory (VmRSS) right after.

Baseline: the 2 s target of issue 2 (ratio printed), and the 300 MB RSS target of DESIGN.md
section 10 (that target is "under load"; this is the idle figure, a floor). For scale it also
prints how long a bare `python -c pass` takes to start on the same machine.

The server runs on SQLite inside a temporary data directory; TRUCE_DATABASE_URL and
TRUCE_DATA_DIR are removed from its environment so it can never reach another database.

    .venv/bin/python benchmarks/serve_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

TARGET_SECONDS = 2.0
TARGET_RSS_MB = 300
POLL_SECONDS = 0.010
GIVE_UP_SECONDS = 60.0


def truce_command() -> str:
    """The `truce` script installed beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).with_name("truce")
    if beside.exists():
        return str(beside)
    found = shutil.which("truce")
    if found is None:
        raise SystemExit("cannot find the `truce` command; run `make install` first")
    return found


def server_environment() -> dict[str, str]:
    """This environment with a fresh 48-character secret and no pointer to any other database."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRUCE_DATABASE_URL", "TRUCE_DATA_DIR")}
    env["TRUCE_SECRET_KEY"] = secrets.token_hex(24)
    return env


def load_demo(data_dir: Path, env: dict[str, str]) -> None:
    """Create the demo mission in `data_dir` without serving it."""
    command = [truce_command(), "demo", "--no-serve", "--data-dir", str(data_dir)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now; within `TRUCE_BENCH_PORTS` (`LOW-HIGH`) if set."""
    ports = os.environ.get("TRUCE_BENCH_PORTS")
    if ports:
        low, high = (int(end) for end in ports.split("-"))
        for port in range(low, high + 1):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise SystemExit(f"no free port in TRUCE_BENCH_PORTS={ports}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def pss_mb(pid: int) -> float:
    """Proportional set size of a process (shared pages divided among their users), from smaps_rollup."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no Pss for process {pid}")


def wait_for_health(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll `url` every POLL_SECONDS until it answers 200; fail if the server dies or never answers."""
    deadline = time.perf_counter() + GIVE_UP_SECONDS
    with httpx.Client(timeout=1.0) as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"truce serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(POLL_SECONDS)
    raise RuntimeError(f"no 200 from {url} within {GIVE_UP_SECONDS:.0f} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server this script started, politely first."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def one_start(data_dir: Path, env: dict[str, str], log: Path) -> tuple[float, float]:
    """Seconds from launch to the first 200 from /healthz, and the server's RSS in MB then."""
    port = free_port()
    command = [truce_command(), "serve", "--data-dir", str(data_dir), "--port", str(port)]
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_for_health(process, f"http://127.0.0.1:{port}/healthz", log)
            elapsed = time.perf_counter() - started
            return elapsed, rss_mb(process.pid)
        finally:
            stop(process)


def bare_interpreter_seconds(runs: int) -> float:
    """Median time for this Python to start and exit doing nothing: the floor for any CLI."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="server starts to time (default 5)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main() -> None:
    args = parse_args()
    env = server_environment()
    with tempfile.TemporaryDirectory(prefix="truce-bench-serve-") as directory:
        data_dir = Path(directory) / "data"
        load_demo(data_dir, env)
        seconds, memory = [], []
        for run in range(1, args.runs + 1):
            elapsed, rss = one_start(data_dir, env, Path(directory) / "serve.log")
            seconds.append(elapsed)
            memory.append(rss)
            print(f"run {run}: first 200 from /healthz after {elapsed * 1000:6.0f} ms, RSS {rss:5.1f} MB")
    median = statistics.median(seconds)
    print(f"median: {median * 1000:.0f} ms = {median / TARGET_SECONDS:.2f}x the {TARGET_SECONDS:.0f} s target")
    rss = statistics.median(memory)
    budget = f"{rss / TARGET_RSS_MB:.2f}x the {TARGET_RSS_MB} MB budget"
    print(f"RSS after the first answer (median): {rss:.1f} MB = {budget}")
    print(f"for scale, a bare `python -c pass` starts and exits in {bare_interpreter_seconds(5) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
