"""The write path before and after a change, side by side in one sitting: the log's cost and phones' rate.

Issue 15 (part 3) replaced the log's many append functions with one verb and a per-transaction journal. This
runs two benchmarks on the code of two commits, in alternating rounds, each on its own commit's code and its own
copy of the benchmark script (a `git worktree` of the other commit in a temporary directory, put first on
PYTHONPATH for the script and for every `truce` process it starts):

1. `ledger_costs.py --turns 50` (part 1 only): CPU time per incident filed through the service, one transaction
   each, with the log and with the log's verb replaced by a no-op, in turns within one process. Printed per run:
   CPU ms per write with the log and without it; and, over all runs, the ratio after/before of the CPU per write
   with the log (target at most 1.10) and of the log's own cost (with minus without).
2. `openrosa_submissions.py` (16 phones, a 100 KB photo each, SQLite, one `truce serve`): submissions per second
   and the server's CPU ms per submission; after/before of the rate (target: not below 1.00 within the noise).

    .venv/bin/python benchmarks/journal_pair.py --before COMMIT [--after HEAD] [--rounds 3]
        [--incidents 1500] [--submissions 2000] [--skip-ledger] [--skip-phones] [--scripts-here]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEDGER_RATIO_TARGET = 1.10
WITH_LOG = re.compile(r"with the log \(as shipped\)\s+([\d.]+)")
WITHOUT_LOG = re.compile(r"ledger\.\w+ a no-op \(baseline\)\s+([\d.]+)")
RATE = re.compile(r"([\d.]+) submissions/s \(")
SERVER_CPU = re.compile(r"server CPU ([\d.]+) ms per submission")


@contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """The tree of `commit` in a temporary worktree (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="truce-pair-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit], check=True,
                       capture_output=True)  # fmt: skip
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


SCRIPTS_HERE = False


def run(tree: Path, script: str, *args: str, after_part_one: bool = False) -> str:
    """Run `tree`'s copy of `script` on `tree`'s code; its output.

    `after_part_one`: a failure after the figures this script reads is not one (the older commit's
    `ledger_costs.py` fails in its part 2, which this script does not use: a stale import in a subprocess).
    """
    # `--scripts-here`: this tree's copy of the script drives either commit's code (the phones' script uses only the
    # command line and HTTP, which both commits share), so both runs are driven alike.
    scripts = ROOT / "benchmarks" if SCRIPTS_HERE else tree / "benchmarks"
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{scripts}"}
    done = subprocess.run(
        [sys.executable, str(scripts / script), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 and not (after_part_one and WITHOUT_LOG.search(done.stdout)):
        raise SystemExit(f"{script} failed on {tree}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def figure(pattern: re.Pattern[str], output: str) -> float:
    found = pattern.search(output)
    if found is None:
        raise SystemExit(f"no figure matching {pattern.pattern!r} in:\n{output[-2000:]}")
    return float(found.group(1))


def pair_ledger(trees: dict[str, Path], rounds: int, incidents: int) -> None:
    print(f"\n1. The log's cost per write: {incidents:,} incidents per variant in turns of 50, SQLite, CPU ms each")
    cost: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
    args = ("--incidents", str(incidents), "--turns", "50", "--entries", "1000", "--proofs", "10", "--skip-cli")
    for number in range(rounds):
        for label in list(trees) if number % 2 == 0 else list(trees)[::-1]:
            output = run(trees[label], "ledger_costs.py", *args, after_part_one=True)
            with_log, without = figure(WITH_LOG, output), figure(WITHOUT_LOG, output)
            cost[label].append((with_log, without))
            print(f"  round {number + 1}, {label:6}: with the log {with_log:.3f}, without {without:.3f}, "
                  f"with/without {with_log / without:.2f}; load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    with_log = {label: statistics.median(w for w, _ in runs) for label, runs in cost.items()}
    own = {label: statistics.median(w - wo for w, wo in runs) for label, runs in cost.items()}
    ratio = with_log["after"] / with_log["before"]
    print(f"  median CPU ms per write with the log: before {with_log['before']:.3f}, after {with_log['after']:.3f}; "
          f"after/before {ratio:.2f} (target at most {LEDGER_RATIO_TARGET})")  # fmt: skip
    print(f"  the log's own cost (with minus without), median: before {own['before']:.3f} ms, "
          f"after {own['after']:.3f} ms")  # fmt: skip


def pair_phones(trees: dict[str, Path], rounds: int, submissions: int) -> None:
    print(f"\n2. Phones: {submissions:,} submissions from 16 phones, 100 KB photo each, SQLite, one `truce serve`")
    rates: dict[str, list[float]] = {label: [] for label in trees}
    for number in range(rounds):
        for label in list(trees) if number % 2 == 0 else list(trees)[::-1]:
            output = run(trees[label], "openrosa_submissions.py", "--n", str(submissions), "--clients", "16")
            rate, cpu = figure(RATE, output), figure(SERVER_CPU, output)
            rates[label].append(rate)
            print(f"  round {number + 1}, {label:6}: {rate:.0f} submissions/s, server CPU {cpu:.2f} ms each; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    median = {label: statistics.median(values) for label, values in rates.items()}
    print(f"  median submissions/s: before {median['before']:.0f}, after {median['after']:.0f}; "
          f"after/before {median['after'] / median['before']:.2f} (target: not below 1.00)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the commit before the change")
    parser.add_argument("--after", default="HEAD", help="the commit after it (default HEAD)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--incidents", type=int, default=1500)
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--skip-ledger", action="store_true")
    parser.add_argument("--skip-phones", action="store_true")
    parser.add_argument("--scripts-here", action="store_true", help="drive both commits with this tree's scripts")
    args = parser.parse_args()
    global SCRIPTS_HERE  # one switch for `run`, set once from the command line
    SCRIPTS_HERE = args.scripts_here
    print(f"before: {args.before}, after: {args.after}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    with checkout(args.before) as before, checkout(args.after) as after:
        trees = {"before": before, "after": after}
        if not args.skip_ledger:
            pair_ledger(trees, args.rounds, args.incidents)
        if not args.skip_phones:
            pair_phones(trees, args.rounds, args.submissions)


if __name__ == "__main__":
    main()
