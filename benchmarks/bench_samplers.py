"""Each model of the pipeline (the consumption model, the local-share model, the genre-mix
model) fitted with each NUTS implementation, and the consumption model with each
parameterization, on the embedded default data: wall time incl. compilation, min ESS, ESS/s,
leapfrog steps per draw, ESS per 1,000 gradient evaluations, peak memory, and the cost of one
gradient evaluation of the production model as each sampler runs it. Writes benchmarks/results/samplers.json and parameterization.json.

Each fit runs in its own process (peak memory per fit; no compile cache shared between them).
Usage: python benchmarks/bench_samplers.py [--quick] [--consumption-only]
(``--consumption-only``: the production model's samplers and parameterizations, not the share
models.)
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

# the production consumption model, as the fit stage builds it (shared by the scripts below)
PRODUCTION_MODEL = r"""
import json, sys
import pandas as pd
from musicmarkets.models import consumption
cfg = json.loads(sys.argv[1])
panel = pd.read_parquet(cfg["panel"])
markets = consumption.markets_to_model(panel, cfg["markets"], "global")


def production_model():
    structure = consumption.Structure.from_dict(cfg["structure"])
    cov = pd.read_parquet(cfg["covariates"])
    regions = cov.drop_duplicates("market").set_index("market")[structure.region_level].to_dict()
    data = consumption.prepare(panel, markets, structure, regions)
    return consumption.build_model(data, consumption.Priors.from_dict(cfg["priors"]),
                                   cfg["parameterization"], structure)
"""

ONE_FIT = (
    PRODUCTION_MODEL
    + r"""
import resource
from musicmarkets import diagnostics, sampling
from musicmarkets.models import shares
if cfg["model"] == "consumption":
    model = production_model()
    names = None
elif cfg["model"] == "local_share":
    model = shares.build_share_model(
        shares.prepare_share(panel, "local_share", markets, 0.002, 26), shares.SharePriors.from_params()
    )
    names = ["a", "b", "sigma", "phi"]
else:
    genre = pd.read_parquet(cfg["genres"])
    gm = sorted(set(genre["market"]) & set(markets))
    model = shares.build_genre_model(
        shares.prepare_genres(genre, gm, 5, 0.002, 26), shares.SharePriors.from_params()
    )
    names = ["a", "b", "sigma", "phi"]
idata, timing = sampling.fit(model, sampling.SamplerConfig.from_dict(cfg["sampler"]), cfg["seed"])
m = diagnostics.convergence(idata, var_names=names)
m.update(timing)
steps = idata["sample_stats"]["n_steps"].to_numpy()  # leapfrog steps (gradients) per kept draw
m["steps_per_draw"] = float(steps.mean())
m["ess_per_1000_gradients"] = 1000 * m["ess_bulk_min"] / float(steps.sum())
m["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT" + json.dumps(m))
"""
)


GRADIENT = (
    PRODUCTION_MODEL
    + r"""
import time
from pymc.blocking import DictToArrayBijection
model = production_model()
out = {}
for label, mode in (("c", "FAST_RUN"), ("numba", "NUMBA")):
    f = model.logp_dlogp_function(ravel_inputs=True, mode=mode)
    f.set_extra_values({})
    x = DictToArrayBijection.map(model.initial_point()).data
    f(x)
    best = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(1000):
            f(x)
        best.append((time.perf_counter() - start) / 1000 * 1e6)
    out[label] = min(best)
print("RESULT" + json.dumps(out))
"""
)


def run(script: str, cfg: dict) -> dict:
    """Run one of the scripts above in its own process; its RESULT line, or the error."""
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(cfg)], capture_output=True, text=True, cwd=REPO
    )
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if proc.returncode != 0 or not line:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(line[0][6:])


def gradient_cost(cfg: dict) -> dict:
    """Microseconds per log-density-and-gradient evaluation of the production model, as PyMC's
    sampler runs it (C) and as nutpie runs it (numba): best of 5 x 1,000 calls, one core."""
    return run(GRADIENT, cfg)


def fit(cfg: dict) -> dict:
    m = run(ONE_FIT, cfg)
    if "error" not in m:
        m["ess_per_second"] = m["ess_bulk_min"] / m["wall_seconds"]  # compilation included
        m["ess_per_sampling_second"] = m["ess_bulk_min"] / m["sampling_seconds"]
    return m


def main() -> None:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    panel = REPO / "data/processed/market_week.parquet"
    if not panel.is_file():
        sys.exit("run `make repro` first: the benchmark fits the panel it builds")
    base = {
        "panel": str(panel),
        "covariates": str(REPO / "data/interim/covariates.parquet"),
        "genres": str(REPO / "data/processed/genre_shares.parquet"),
        "markets": params["common"]["markets"],
        "seed": params["common"]["seed"],
        "structure": params["fit"]["model"],
        **{k: params["fit"][k] for k in ("priors", "parameterization", "sampler")},
    }
    quick = "--quick" in sys.argv
    if quick:
        base["sampler"] |= {"draws": 300, "tune": 300}
    results: dict[str, dict] = {}
    ratios: dict[str, dict] = {}
    kinds = (
        ("consumption",)
        if "--consumption-only" in sys.argv
        else ("consumption", "local_share", "genre_mix")
    )
    for model in kinds:
        results[model] = {}
        for sampler in ("nutpie", "pymc", "numpyro"):
            cfg = json.loads(json.dumps(base)) | {"model": model}
            if model != "consumption":
                cfg["sampler"] = dict(params["shares"]["sampler"])
            cfg["sampler"]["nuts_sampler"] = sampler
            results[model][sampler] = r = fit(cfg)
            keys = ("wall_seconds", "ess_bulk_min", "ess_per_second", "divergences", "error")
            print(model, sampler, {k: r.get(k) for k in keys}, flush=True)
        ref = results[model]["pymc"]
        if "error" not in ref:
            ratios[model] = {
                name: {
                    "ess_per_second_vs_pymc": round(r["ess_per_second"] / ref["ess_per_second"], 2),
                    "ess_per_sampling_second_vs_pymc": round(
                        r["ess_per_sampling_second"] / ref["ess_per_sampling_second"], 2
                    ),
                    "wall_time_vs_pymc": round(r["wall_seconds"] / ref["wall_seconds"], 2),
                }
                for name, r in results[model].items()
                if "error" not in r
            }
    gradient = gradient_cost(base)
    print("gradient microseconds", gradient, flush=True)
    out = {
        "machine": describe(),
        "models": "the pipeline's models on the embedded default data",
        "gradient_microseconds": gradient,
        "settings": {"consumption": base["sampler"], "shares": params["shares"]["sampler"]},
        "results": results,
        "ratios": ratios,
    }
    path = REPO / "benchmarks/results/samplers.json"
    if len(kinds) == 1 and path.is_file():  # keep the other models' figures, saying when
        old = json.loads(path.read_text())
        kept = [m for m in ("local_share", "genre_mix") if m in old.get("results", {})]
        for m in kept:
            results[m] = old["results"][m]
            if m in old.get("ratios", {}):
                ratios[m] = old["ratios"][m]
        if kept:
            out["earlier"] = {
                "models": kept,
                "machine": old.get("earlier", {}).get("machine", old.get("machine")),
            }
    path.write_text(json.dumps(out, indent=2) + "\n")

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
        cfg = json.loads(json.dumps(base)) | {"model": "consumption"}
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
