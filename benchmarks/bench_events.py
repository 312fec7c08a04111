"""Aggregating daily stream reports to the weekly tables: DuckDB vs Spark (local mode) vs a plain
pandas loop, at 10^6, 10^7 and 10^8 rows, in one run on this machine.

The reports are drawn from the fitted model (`musicmarkets.events.generate`: one posterior
predictive draw of the weekly Top 200 streams of the 8 markets, the charts' rank-stream curve,
premium/free rows), so they are shaped like the real thing; run `dvc repro fit` first.
Each engine runs in its own process; peak memory is the largest resident size of that process
and its children (Spark's JVM included), sampled every 0.1 s. The market x week tables of the
engines are compared at every size.

Writes benchmarks/results/events.json. Usage: python benchmarks/bench_events.py [--max-rows N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SIZES = (10**6, 10**7, 10**8)

ONE_RUN = r"""
import sys, time
from pathlib import Path
import pandas as pd
from musicmarkets.events import aggregate
engine, source, out = sys.argv[1:4]
start = time.perf_counter()
if engine == "pandas":
    # the plain loop: one file at a time into pandas, partial sums kept, then ranks and panel
    parts = []
    for f in sorted(Path(source).rglob("*.parquet")):
        df = pd.read_parquet(f)
        df["market"] = f.parent.name.split("=", 1)[1]
        d = pd.to_datetime(df["date"])
        df["week_start"] = d - pd.to_timedelta((d.dt.day_of_week - 4) % 7, unit="D")
        parts.append(df.groupby(["market", "week_start", "track_id"], as_index=False)["streams"].sum())
    tw = pd.concat(parts).groupby(["market", "week_start", "track_id"], as_index=False)["streams"].sum()
    tw = tw.sort_values(["market", "week_start", "streams", "track_id"], ascending=[True, True, False, True])
    tw["rank"] = tw.groupby(["market", "week_start"]).cumcount() + 1
    g = tw.groupby(["market", "week_start"])
    mw = pd.DataFrame({"streams": g["streams"].sum(), "tracks": g.size(),
                       "top10_streams": tw[tw["rank"] <= 10].groupby(["market", "week_start"])["streams"].sum()})
    mw["top10_share"] = mw["top10_streams"] / mw["streams"]
    mw.reset_index().to_parquet(Path(out) / "market_week.parquet")
elif engine == "spark":
    spark = aggregate.spark_session("local[2]", memory="6g")
    aggregate.aggregate_spark(source, Path(out), spark=spark)
    spark.stop()
else:
    aggregate.aggregate_duckdb(source, Path(out), memory_limit="4GB")
print("SECONDS", time.perf_counter() - start)
"""


def measured(cmd: list[str]) -> tuple[float, float]:
    """Run cmd; return (seconds it reported, peak RSS of it and its children in MiB)."""
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        p = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                rss = p.memory_info().rss + sum(
                    c.memory_info().rss for c in p.children(recursive=True)
                )
                peak = max(peak, rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.1)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    done.set()
    watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[3]} failed:\n{err[-3000:]}")
    seconds = float(
        next(line.split()[1] for line in out.splitlines() if line.startswith("SECONDS"))
    )
    return seconds, peak


def main() -> None:
    import arviz as az
    import yaml

    from musicmarkets.events import generate

    ap = argparse.ArgumentParser()
    ap.add_argument("--max-rows", type=int, default=max(SIZES))
    ap.add_argument("--pandas-max", type=int, default=max(SIZES), help="largest size for pandas")
    args = ap.parse_args()
    tree = az.from_netcdf(REPO / "models/consumption.nc")
    charts = pd.read_parquet(
        REPO / "data/interim/charts.parquet", columns=["market", "week_start", "rank", "streams"]
    )
    curve = generate.fit_rank_curve(charts)
    damping = yaml.safe_load((REPO / "params.yaml").read_text())["forecast"]["damping_years"]
    top200 = generate.weekly_top200(tree, 13, seed=1, damping_years=damping)
    results = []
    for rows in [s for s in SIZES if s <= args.max_rows]:
        with tempfile.TemporaryDirectory(dir=REPO / "benchmarks") as tmp:
            src = Path(tmp) / "reports"
            t0 = time.perf_counter()
            truth = generate.generate(top200, curve, src, rows=rows, seed=rows % 997, tiers=True)
            gen_s = time.perf_counter() - t0
            n = int(truth["rows"].sum())
            size_mb = sum(p.stat().st_size for p in src.rglob("*.parquet")) / 1e6
            print(f"{n:,} rows generated in {gen_s:.0f} s ({size_mb:.0f} MB Parquet)", flush=True)
            panels = {}
            for engine in ("duckdb", "spark", "pandas"):
                if engine == "pandas" and rows > args.pandas_max:
                    continue
                out = Path(tmp) / engine
                out.mkdir()
                seconds, peak = measured(
                    [sys.executable, "-c", ONE_RUN, engine, str(src), str(out)]
                )
                panel = pd.read_parquet(out / "market_week.parquet")
                panel["week_start"] = pd.to_datetime(panel["week_start"]).astype("datetime64[s]")
                panels[engine] = panel.sort_values(["market", "week_start"]).reset_index(drop=True)
                results.append(
                    {
                        "rows": n,
                        "engine": engine,
                        "seconds": round(seconds, 2),
                        "rows_per_second": round(n / seconds),
                        "peak_rss_mib": round(peak),
                        "parquet_mb": round(size_mb, 1),
                    }
                )
                print(results[-1], flush=True)
                shutil.rmtree(out)
            cols = ["market", "week_start", "streams", "tracks", "top10_share"]
            same = {
                e: bool(
                    panels[e][cols].equals(panels["duckdb"][cols])
                    and (
                        panels[e]["streams"].to_numpy()
                        == truth.sort_values(["market", "week_start"])["streams"].to_numpy()
                    ).all()
                )
                for e in panels
            }
            for r in results:
                if r["rows"] == n:
                    r["panel_identical_to_duckdb_and_truth"] = same[r["engine"]]
    by = {(r["rows"], r["engine"]): r for r in results}
    growth = {}
    for engine in ("duckdb", "spark", "pandas"):
        sizes = sorted(r for (r, e) in by if e == engine)
        if len(sizes) >= 2:
            a, b = sizes[0], sizes[-1]
            growth[engine] = round(by[(b, engine)]["seconds"] / by[(a, engine)]["seconds"], 1)
    payload = {
        "machine": describe(),
        "what": "daily stream reports -> market x week and track x market x week tables",
        "results": results,
        "time_ratio_largest_to_smallest": growth,
        "rows_ratio_largest_to_smallest": round(
            max(r["rows"] for r in results) / min(r["rows"] for r in results)
        ),
    }
    out = REPO / "benchmarks/results/events.json"
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
