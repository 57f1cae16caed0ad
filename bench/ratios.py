"""Runs the benchmarks once and prints each group's medians as ratios against NumPy.

    python bench/ratios.py [pytest args, e.g. bench/bench_random.py -k normal]
    python bench/ratios.py --from saved.json [more.json ...]   (pytest's --benchmark-json files)

Ratio = NumPy's median / this row's median (higher is faster than NumPy), per run where a
benchmark says in ``extra_info["runs"]`` how many runs it timed (the NumPy side of a sweep
is timed on a subset and the ratio is an estimate). Medians,
because the machine is shared and noisy. "floor" is the time to allocate and write
the output alone. A second table gives truncated_normal's medians over our own normal's
(issue 2's target: at most 2x).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict


def per_run(bench: dict) -> float:
    """The median divided by the runs it timed (1 unless the benchmark says otherwise)."""
    return bench["stats"]["median"] / bench["extra_info"].get("runs", 1)


def duration(seconds: float) -> str:
    """A median in ms, or in us below a millisecond (small calls), 11 characters wide."""
    return f"{seconds * 1e3:9.3f}ms" if seconds >= 1e-3 else f"{seconds * 1e6:9.2f}us"


def against(groups: dict[str, list[dict]], dist: str, reference: str,
            library: str = "weightinit") -> list[tuple[str, int, float]]:
    """``(group, threads, ratio)``: each ``dist`` group's ``library`` median over that library's
    median in the ``reference`` group of the same dtype and size, at the same thread count."""
    rows = []
    for name, benches in groups.items():
        if not name.startswith(dist + " "):
            continue
        ref = {r["extra_info"].get("threads"): r["stats"]["median"]
               for r in groups.get(reference + name[len(dist):], []) if r["extra_info"].get("library") == library}
        for r in benches:
            info = r["extra_info"]
            if info.get("library") == library and info.get("threads") in ref:
                rows.append((name, info["threads"], r["stats"]["median"] / ref[info["threads"]]))
    return sorted(rows)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--from"]:
        if len(argv) < 2:
            print("--from needs one or more --benchmark-json files", file=sys.stderr)
            return 2
        benches = []
        for path in argv[1:]:
            try:
                with open(path) as f:
                    benches += json.load(f)["benchmarks"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                print(f"{path}: not a --benchmark-json file ({type(e).__name__}: {e})", file=sys.stderr)
                return 2
        if not benches:
            print("no benchmark in " + ", ".join(argv[1:]), file=sys.stderr)
            return 1
        report(benches)
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        args = argv or [here]
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--benchmark-enable",
               "--benchmark-only", f"--benchmark-json={out}", "--benchmark-disable-gc", *args]
        proc = subprocess.run(cmd, cwd=os.path.dirname(here))
        if not os.path.exists(out) or os.path.getsize(out) == 0:
            print("no benchmark ran", file=sys.stderr)
            return proc.returncode or 1
        with open(out) as f:
            report(json.load(f)["benchmarks"])
    return proc.returncode


def report(benches: list[dict]) -> None:
    """Prints the groups' medians against NumPy's, and truncated_normal's against our normal."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for b in benches:
        groups[b["group"]].append(b)
    print(f"\n{'group':38} {'library':12} {'threads':>7} {'median':>11} {'vs numpy':>9} {'vs floor':>9}")
    for name in sorted(groups):
        rows = groups[name]
        base = next((per_run(r) for r in rows if r["extra_info"].get("baseline")), None)
        floor = next((r["stats"]["median"] for r in rows if r["extra_info"].get("library") == "floor"), None)
        for r in sorted(rows, key=lambda r: (r["extra_info"].get("library", ""), r["extra_info"].get("threads", 0))):
            med = r["stats"]["median"]
            info = r["extra_info"]
            vs_numpy = f"{base / per_run(r):8.2f}x" if base else "        -"
            vs_floor = f"{med / floor:8.2f}x" if floor and info.get("library") != "floor" else "        -"
            print(f"{name:38} {info.get('library', '?'):12} {info.get('threads', ''):>7} "
                  f"{duration(med)} {vs_numpy} {vs_floor}")
    own = against(groups, "truncated_normal", "normal")
    if own:
        print(f"\n{'truncated_normal over our normal':38} {'threads':>7} {'ratio':>9}")
        for name, nthreads, ratio in own:
            print(f"{name:38} {nthreads:>7} {ratio:8.2f}x")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
