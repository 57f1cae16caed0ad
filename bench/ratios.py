"""Print each benchmark group's medians and their ratio to weightinit's.

    python -m pytest bench/bench_mlp.py --benchmark-json=bench.json
    python bench/ratios.py bench.json

A ratio above 1 means weightinit is that many times faster.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def table(path: str) -> str:
    with open(path) as f:
        data = json.load(f)
    groups: dict = defaultdict(dict)
    for b in data["benchmarks"]:
        name = b["name"].split("[")[0].rsplit("_", 1)[-1]  # weightinit / numpy / torch
        groups[b["group"]][name] = b["stats"]["median"]
    lines = [f"{'group':<42} {'impl':<11} {'median':>11} {'ratio':>7}"]
    for group in sorted(groups):
        ours = groups[group].get("weightinit")
        for impl, median in sorted(groups[group].items()):
            ratio = f"{median / ours:7.2f}" if ours else "      -"
            lines.append(f"{group:<42} {impl:<11} {median * 1e3:9.2f}ms {ratio}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1] if len(sys.argv) > 1 else "bench.json"))
