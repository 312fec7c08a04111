"""The production consumption model fitted with each NUTS implementation, and each
parameterization, on the embedded default data: wall time incl. compilation, min ESS, ESS/s,
peak memory. Writes benchmarks/results/samplers.json and parameterization.json.

Each fit runs in its own process (peak memory per fit; no compile cache shared between them).
Usage: python benchmarks/bench_samplers.py [--quick]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

ONE_FIT = r"""
import json, resource, sys, time
import pandas as pd
from musicmarkets import diagnostics, sampling
from musicmarkets.models import consumption
cfg = json.loads(sys.argv[1])
panel = pd.read_parquet(cfg["panel"])
data = consumption.prepare(panel, cfg["markets"], cfg["fourier_order"])
model = consumption.build_model(data, consumption.Priors.from_dict(cfg["priors"]), cfg["parameterization"], cfg["ar1"])
idata, timing = sampling.fit(model, sampling.SamplerConfig.from_dict(cfg["sampler"]), cfg["seed"])
m = diagnostics.convergence(idata)
m.update(timing)
m["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT" + json.dumps(m))
"""


def fit(cfg: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", ONE_FIT, json.dumps(cfg)], capture_output=True, text=True, cwd=REPO
    )
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if proc.returncode != 0 or not line:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    m = json.loads(line[0][6:])
    m["ess_per_second"] = m["ess_bulk_min"] / m["wall_seconds"]
    return m


def main() -> None:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    panel = REPO / "data/processed/market_week.parquet"
    if not panel.is_file():
        sys.exit("run `make repro` first: the benchmark fits the panel it builds")
    base = {
        "panel": str(panel),
        "markets": params["common"]["markets"],
        "seed": params["common"]["seed"],
        **{
            k: params["fit"][k]
            for k in ("fourier_order", "ar1", "priors", "parameterization", "sampler")
        },
    }
    results = {}
    for sampler in ("nutpie", "pymc", "numpyro"):
        cfg = json.loads(json.dumps(base))
        cfg["sampler"]["nuts_sampler"] = sampler
        results[sampler] = fit(cfg)
        print(
            sampler,
            {
                k: results[sampler].get(k)
                for k in ("wall_seconds", "ess_bulk_min", "ess_per_second", "divergences", "error")
            },
            flush=True,
        )
    ref = results["pymc"]
    ratios = {}
    if "error" not in ref:
        for name, r in results.items():
            if "error" not in r:
                ratios[name] = {
                    "ess_per_second_vs_pymc": round(r["ess_per_second"] / ref["ess_per_second"], 2),
                    "wall_time_vs_pymc": round(r["wall_seconds"] / ref["wall_seconds"], 2),
                }
    out = {
        "machine": describe(),
        "model": "production consumption model, default data",
        "settings": base["sampler"],
        "results": results,
        "ratios": ratios,
    }
    (REPO / "benchmarks/results/samplers.json").write_text(json.dumps(out, indent=2) + "\n")

    forms = {
        "centred": "centred",
        "non_centred": "non_centred",
        "level_centred_rest_non_centred": {
            "level": "centred",
            "trend": "non_centred",
            "season": "non_centred",
        },
        "trend_non_centred_only": {"level": "centred", "trend": "non_centred", "season": "centred"},
    }
    par = {}
    for label, form in forms.items():
        cfg = json.loads(json.dumps(base))
        cfg["parameterization"] = form
        cfg["sampler"]["nuts_sampler"] = "nutpie"
        par[label] = fit(cfg)
        print(
            label,
            {k: par[label].get(k) for k in ("r_hat_max", "ess_bulk_min", "divergences")},
            flush=True,
        )
    (REPO / "benchmarks/results/parameterization.json").write_text(
        json.dumps(
            {
                "machine": describe(),
                "sampler": "nutpie",
                "settings": base["sampler"],
                "results": par,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
