"""The tests that start `python -m truce` processes, with and without the tests' fork server, in alternating rounds.

What it measures: wall time and CPU seconds (pytest, its xdist workers and every process they start, user plus
system) of `pytest -n 2 --dist loadgroup --cov` over the modules that start Truce's servers, workers and replicas,
once with TRUCE_TEST_FORKSERVER=0 (each process a fresh interpreter, as before: the baseline) and once with the
fork server (tests/forkserver.py), the two taking turns round after round so that a change in the machine's load
falls on both. Every figure is printed with its ratio to the baseline; nothing is asserted.

    .venv/bin/python benchmarks/suite_processes.py [--rounds 2] [PATHS...]

Set TRUCE_TEST_DATABASE_URL to include PostGIS, as the suite does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from suite_cores import children_cpu

ROOT = Path(__file__).resolve().parent.parent
PATHS = [
    "tests/deploy/test_idempotency_processes.py",
    "tests/events/test_delivery_processes.py",
    "tests/integrity/test_log_cli.py",
    "tests/integrity/test_replica.py",
    "tests/integrity/test_replica_tiles.py",
    "tests/integrity/test_witness.py",
    "tests/openrosa/test_device_cli.py",
    "tests/openrosa/test_phones_and_api_at_once.py",
    "tests/web/browser/test_offline.py",
    "tests/web/browser/test_websec_browser.py",
]
VARIANTS = {"fresh interpreters": "0", "fork server": "1"}


def run(forkserver: str, paths: list[str]) -> tuple[float, float, str]:
    command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "--cov", *paths]
    env = {**os.environ, "TRUCE_TEST_FORKSERVER": forkserver}
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall, used = time.perf_counter() - start, children_cpu() - cpu
    lines = [line for line in done.stdout.splitlines() if " passed" in line or " failed" in line]
    return wall, used, lines[-1] if lines else done.stdout[-300:] + done.stderr[-300:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("paths", nargs="*", default=PATHS)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; PostGIS: {'yes' if os.environ.get('TRUCE_TEST_DATABASE_URL') else 'no'}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in VARIANTS}
    for number in range(1, args.rounds + 1):
        order = list(VARIANTS.items())
        for label, value in order if number % 2 else reversed(order):
            wall, cpu, summary = run(value, args.paths)
            results[label].append((wall, cpu))
            print(f"round {number} {label:20} wall {wall:7.1f} s  cpu {cpu:7.1f} s  ({summary})", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    base = next(iter(VARIANTS))
    base_wall = statistics.median(w for w, _ in results[base])
    base_cpu = statistics.median(c for _, c in results[base])
    print("\nmedians of the rounds, and the ratio to fresh interpreters:")
    for label in VARIANTS:
        wall = statistics.median(w for w, _ in results[label])
        cpu = statistics.median(c for _, c in results[label])
        print(f"  {label:20} wall {wall:7.1f} s ({wall / base_wall:.2f}x)  cpu {cpu:7.1f} s ({cpu / base_cpu:.2f}x)")


if __name__ == "__main__":
    main()
