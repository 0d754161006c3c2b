"""The test suite's cost under each Python and coverage core: a part of the suite, in alternating rounds.

What it measures: wall time and CPU seconds (the pytest process and its xdist workers, user plus system) of
`pytest -n 2 --dist loadgroup --cov` over a part of the suite (default `tests/api`), once per configuration and
round, the configurations taking turns so that a change in the machine's load falls on all of them:
- `3.11 ctrace branch`: the interpreter of `--before` (a venv with Truce installed on Python 3.11), coverage's C
  tracer measuring branches, as `make test` ran before issue 15's last change;
- `3.11 ctrace line`: the same, lines only;
- `3.13 ctrace line`: the interpreter of `--after` (default: this one), the C tracer, lines only;
- `3.13 sysmon line`: the same through `sys.monitoring` (COVERAGE_CORE=sysmon), as `make test` runs now.
(The labels say 3.11 and 3.13; the figures print the versions found.)

Baseline: the first configuration; every figure is printed with its ratio to it. Nothing is asserted.

    .venv/bin/python benchmarks/suite_cores.py --before /path/to/py311-venv/bin/python [--rounds 1] [PATHS...]

Set TRUCE_TEST_DATABASE_URL to include PostGIS, as the suite does.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    label: str
    python: str
    core: str
    branch: bool


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def version(python: str) -> str:
    done = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True)
    return done.stdout.strip()


def run(config: Config, paths: list[str], rc_dir: Path) -> tuple[float, float, str]:
    rc = rc_dir / f"{'branch' if config.branch else 'line'}.coveragerc"
    rc.write_text(f"[run]\nbranch = {config.branch}\nsource = truce\n")
    command = [config.python, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "--cov", f"--cov-config={rc}"]
    env = {**os.environ, "COVERAGE_CORE": config.core}
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run([*command, *paths], cwd=ROOT, env=env, capture_output=True, text=True)
    wall, used = time.perf_counter() - start, children_cpu() - cpu
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    return wall, used, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="a Python 3.11 with Truce and its dev tools installed")
    parser.add_argument("--after", default=sys.executable, help="a Python 3.12+ likewise (default: this one)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("paths", nargs="*", default=["tests/api"])
    args = parser.parse_args()
    configs = [
        Config("3.11 ctrace branch", args.before, "ctrace", True),
        Config("3.11 ctrace line", args.before, "ctrace", False),
        Config("3.13 ctrace line", args.after, "ctrace", False),
        Config("3.13 sysmon line", args.after, "sysmon", False),
    ]
    print(f"before: Python {version(args.before)}; after: Python {version(args.after)}; tests: {' '.join(args.paths)}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    results: dict[str, list[tuple[float, float]]] = {c.label: [] for c in configs}
    with tempfile.TemporaryDirectory() as rc_dir:
        for round_number in range(1, args.rounds + 1):
            for config in configs:
                wall, cpu, summary = run(config, args.paths, Path(rc_dir))
                results[config.label].append((wall, cpu))
                print(f"round {round_number} {config.label:20} wall {wall:7.1f} s  cpu {cpu:7.1f} s  ({summary})")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    base_wall = min(w for w, _ in results[configs[0].label])
    base_cpu = min(c for _, c in results[configs[0].label])
    print("\nbest of the rounds, and the ratio to the first configuration:")
    for config in configs:
        wall = min(w for w, _ in results[config.label])
        cpu = min(c for _, c in results[config.label])
        ratios = f"wall {wall:7.1f} s ({wall / base_wall:.2f}x)  cpu {cpu:7.1f} s ({cpu / base_cpu:.2f}x)"
        print(f"  {config.label:20} {ratios}")


if __name__ == "__main__":
    main()
