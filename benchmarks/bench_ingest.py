"""Reading every raw chart file: the project's reader (contracts, quarantine, features join,
worker processes) against a naive pandas loop (one read_csv per file, no checks), in one run.

The project's first call includes starting its worker processes (what the ingest stage pays);
later calls reuse them. Both figures are recorded; ``speedup_vs_naive`` compares best times and
``speedup_vs_naive_first_call`` the first call of each.
Writes benchmarks/results/ingest.json. Usage: python benchmarks/bench_ingest.py"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from musicmarkets.sources import charts  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LEGACY = REPO / "data/raw/spotify_weekly_top200_8markets_2017_2020"
CURRENT = REPO / "data/raw/spotify_weekly_top200_current_format_sample"


def naive() -> int:
    frames = []
    for folder in sorted(
        p for p in LEGACY.iterdir() if p.is_dir() and not p.name.endswith("_features")
    ):
        for path in sorted(folder.glob("*.csv.gz")):
            df = pd.read_csv(path, skiprows=1)
            feat = LEGACY / f"{folder.name}_features" / path.name
            if feat.is_file():
                df = df.merge(
                    pd.read_csv(feat)[["Position", "ID", "genre"]], on="Position", how="left"
                )
            df["file"] = path.name
            frames.append(df)
    return len(pd.concat(frames, ignore_index=True))


def project() -> int:
    table, quarantine, _ = charts.read_charts(LEGACY, CURRENT)
    return len(table) + len(quarantine)


def main() -> None:
    files = sum(1 for _ in LEGACY.rglob("*.csv.gz")) + sum(1 for _ in CURRENT.glob("*.csv*"))
    timings: dict[str, list[float]] = {"project_reader": [], "naive_pandas_loop": []}
    rows = {}
    for _ in range(3):  # alternate, so neither gets a warmer page cache
        for name, fn in (("project_reader", project), ("naive_pandas_loop", naive)):
            start = time.perf_counter()
            rows[name] = fn()
            timings[name].append(round(time.perf_counter() - start, 2))
            print(name, timings[name][-1], "s", flush=True)
    best = {k: min(v) for k, v in timings.items()}
    out = {
        "machine": describe(),
        "what": "read every raw chart file (plain + features, both formats) into one table",
        "files": files,
        "rows": rows,
        "seconds": timings,
        "speedup_vs_naive": round(best["naive_pandas_loop"] / best["project_reader"], 2),
        "speedup_vs_naive_first_call": round(
            timings["naive_pandas_loop"][0] / timings["project_reader"][0], 2
        ),
    }
    (REPO / "benchmarks/results/ingest.json").write_text(json.dumps(out, indent=2) + "\n")
    print(
        json.dumps(
            {
                k: out[k]
                for k in ("files", "rows", "speedup_vs_naive", "speedup_vs_naive_first_call")
            }
        )
    )


if __name__ == "__main__":
    main()
