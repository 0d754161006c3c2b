"""Memory of one idle `truce serve` (RSS and PSS) and of `truce --help` (time and peak RSS), for issue 24.

What it measures: a real `truce serve` process on SQLite in a temporary data directory holding the demo mission,
after /healthz first answers and a few seconds of rest (idle), then after a phone has fetched the form list (which
builds the XForms) and the incident form; RSS from /proc/PID/status, PSS from /proc/PID/smaps_rollup (the figure
that adds up across processes sharing pages, as issue 24 compares stacks). And `truce --help`: wall time and peak
RSS of the whole command, from /usr/bin/time when it is installed, else from wait4's rusage.

Baseline: the 300 MB RSS budget of DESIGN.md section 10. To compare two trees, run this script with
PYTHONPATH=OTHER/src, which comes before the editable install on sys.path (the script prints which `truce` ran).

    .venv/bin/python benchmarks/serve_memory.py [--runs 3] [--rest 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

from serve_startup import (
    TARGET_RSS_MB,
    free_port,
    load_demo,
    pss_mb,
    rss_mb,
    server_environment,
    stop,
    truce_command,
    wait_for_health,
)

SLUG = "nk-2020"


def add_device(data_dir: Path, env: dict[str, str]) -> tuple[str, str]:
    """A phone's username and token, from `truce device add`."""
    command = [truce_command(), "device", "add", "bench-phone", "--mission", SLUG, "--delegation", "ru",
               "--data-dir", str(data_dir)]  # fmt: skip
    printed = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    username, token = re.search(r"username: (\S+)", printed), re.search(r"token:\s+(\S+)", printed)
    if username is None or token is None:
        raise SystemExit(f"`truce device add` printed no username or token:\n{printed}")
    return username.group(1), token.group(1)


def one_server(data_dir: Path, env: dict[str, str], auth: tuple[str, str], log: Path, rest: float) -> list[float]:
    """RSS and PSS in MB when idle after start-up, then after a phone fetched its forms."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [truce_command(), "serve", "--data-dir", str(data_dir), "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_health(process, f"{base}/healthz", log)
        time.sleep(rest)
        idle = [rss_mb(process.pid), pss_mb(process.pid)]
        with httpx.Client(base_url=base, auth=auth, headers={"X-OpenRosa-Version": "1.0"}) as client:
            assert client.get(f"/openrosa/{SLUG}/formList").status_code == 200
            assert client.get(f"/openrosa/{SLUG}/forms/truce-{SLUG}-incident.xml").status_code == 200
        time.sleep(rest)
        return [*idle, rss_mb(process.pid), pss_mb(process.pid)]
    finally:
        stop(process)


def help_run(env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS in MB of one `truce --help`."""
    if Path("/usr/bin/time").exists():
        done = subprocess.run(["/usr/bin/time", "-f", "%e %M", truce_command(), "--help"], env=env,
                              capture_output=True, text=True, check=True)  # fmt: skip
        seconds, peak_kb = done.stderr.strip().splitlines()[-1].split()
        return float(seconds), int(peak_kb) / 1024
    started = time.perf_counter()
    process = subprocess.Popen([truce_command(), "--help"], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="servers started, one after another")
    parser.add_argument("--rest", type=float, default=3.0, help="seconds of rest before each reading")
    args = parser.parse_args()
    env = server_environment()
    probe = [sys.executable, "-c", "import truce; print(truce.__file__)"]
    print(f"truce from {subprocess.run(probe, env=env, capture_output=True, text=True).stdout.strip()}")
    with tempfile.TemporaryDirectory(prefix="truce-memory-bench-") as directory:
        data_dir = Path(directory) / "data"
        load_demo(data_dir, env)
        auth = add_device(data_dir, env)
        readings = [one_server(data_dir, env, auth, Path(directory) / "serve.log", args.rest) for _ in range(args.runs)]
    helps = [help_run(env) for _ in range(max(args.runs, 5))]
    idle_rss, idle_pss, forms_rss, forms_pss = (statistics.median(column) for column in zip(*readings, strict=True))
    print(f"truce serve, SQLite, demo mission, median of {args.runs}:")
    print(f"  idle after start-up: RSS {idle_rss:.0f} MB, PSS {idle_pss:.0f} MB "
          f"(ratio to the {TARGET_RSS_MB} MB budget {idle_rss / TARGET_RSS_MB:.2f})")  # fmt: skip
    print(f"  after a phone fetched its forms: RSS {forms_rss:.0f} MB, PSS {forms_pss:.0f} MB")
    seconds, peak = (statistics.median(column) for column in zip(*helps, strict=True))
    print(f"truce --help, median of {len(helps)}: {seconds:.2f} s, peak RSS {peak:.0f} MB")
    print(f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
