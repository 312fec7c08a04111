"""How the consumption model's cost grows with markets and weeks, and how far a fast
approximation (ADVI) lands from NUTS.

Panels of 8, 60 and 250 markets (and 60 markets over twice the weeks) are simulated from the
production model's generative story (`consumption.simulate_observations`): the population-level
parameters are the fitted production model's posterior means, the markets' own parameters are
drawn from the hierarchy given them, the noise scales cycle through the fitted markets'; the
production structure; sub-regions half as many as markets, at most 17. Each panel is fitted
with the production sampler, parameterization and settings (nutpie NUTS, `fit.parameterization`,
4 chains x 1,000 draws after 1,000 tuning; shorter chains missed the gates above 8 markets) and
with mean-field ADVI. Each fit runs in its own process: wall
time including compilation, min bulk/tail ESS of the answers (every market's level and growth),
seconds per effective sample, the worst R-hat over all parameters, peak memory (VmHWM). ADVI's
error: for each market's slope and level, |ADVI mean - NUTS mean| in NUTS posterior sd, and the
ratio of ADVI's sd to NUTS's. With numpyro installed (`make bench` adds the jax extra) the JAX
backend runs too, on this CPU for the smallest panel only.

On a GPU machine: `python benchmarks/bench_scale_models.py --methods numpyro --out FILE`
fits every panel with the JAX backend on the GPU (its chains vectorized on one device).

Writes benchmarks/results/scale_models.json (or --out). Usage:
python benchmarks/bench_scale_models.py [--quick] [--methods M,...] [--shapes 8x104,...]
[--draws N] [--tune N] [--chains N] [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

ONE_FIT = r"""
import json, re, sys, time
from pathlib import Path
import numpy as np, pandas as pd, pymc as pm
from musicmarkets import diagnostics, sampling
from musicmarkets.models import consumption as cm
cfg = json.loads(sys.argv[1])
M, W, seed = cfg["markets"], cfg["weeks"], cfg["seed"]
rng = np.random.default_rng(seed)
weeks = pd.date_range("2017-01-06", periods=W, freq="7D")
panel = pd.concat([pd.DataFrame({"market": f"m{m:03d}", "week_start": weeks, "streams_per_capita": 1.0,
    "gdp_per_capita": np.exp(rng.normal(10, 0.7)), "internet_users_pct": rng.uniform(40, 95),
    "population": np.exp(rng.normal(16, 1.2))}) for m in range(M)], ignore_index=True)
regions = {f"m{m:03d}": f"r{m % min(17, max(2, M // 2))}" for m in range(M)}
structure = cm.Structure.from_params(shock_start="2019-03-01")
markets = [f"m{m:03d}" for m in range(M)]
data = cm.prepare(panel, markets, structure, regions)
priors = cm.Priors.from_params()
form = cfg["parameterization"]
truth_model = cm.build_model(data, priors, form)
dims = truth_model.named_vars_to_dims
fixed = {}
if cfg.get("hyper"):  # population-level values of the fitted production model
    fixed = {k: np.asarray(v, dtype=float) for k, v in cfg["hyper"].items()}
    fixed["sigma_market"] = np.resize(np.asarray(cfg["sigma_market"]), M)  # fitted noise scales
    truth_model = pm.do(truth_model, fixed)
prior = pm.sample_prior_predictive(draws=1, model=truth_model, random_seed=seed)["prior"].to_dataset()
for k, v in fixed.items():  # the fixed values are the truth too
    prior[k] = (("chain", "draw", *dims.get(k, ())), v[None, None, ...])
from dataclasses import replace
sim = replace(data, y=cm.simulate_observations(prior, data, np.random.default_rng(seed)))
model = cm.build_model(sim, priors, form)
start = time.perf_counter()
out = {}
if cfg["method"] == "advi":
    with model:
        approx = pm.fit(n=cfg["advi_steps"], method="advi", random_seed=seed, progressbar=False)
        idata = approx.sample(1000, random_seed=seed)
    out["wall_seconds"] = time.perf_counter() - start
else:
    settings = sampling.SamplerConfig.from_params(draws=cfg["draws"], tune=cfg["tune"], chains=cfg["chains"],
                                      target_accept=0.85, nuts_sampler=cfg["method"])
    idata, timing = sampling.fit(model, settings, seed)
    out.update(timing)
    if cfg["method"] == "numpyro":
        import jax
        out["device"] = str(jax.devices()[0])
        stats = jax.devices()[0].memory_stats() or {}
        if "peak_bytes_in_use" in stats:
            out["device_peak_mib"] = stats["peak_bytes_in_use"] / 2**20
    # effective samples of the answers (each market's level and growth) ...
    out.update(diagnostics.convergence(idata, var_names=["trend_market", "level_market"]))
    # ... and the worst R-hat over every parameter, hierarchy scales included
    out["r_hat_max_all"] = diagnostics.convergence(idata)["r_hat_max"]
post = idata["posterior"]
for name in ("trend_market", "level_market"):
    d = post[name].stack(sample=("chain", "draw")).transpose(..., "sample").to_numpy().reshape(M, -1)
    out[name + "_mean"] = d.mean(axis=1).tolist()
    out[name + "_sd"] = d.std(axis=1).tolist()
out["peak_mib"] = int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())[1]) / 1024
print("RESULT" + json.dumps(out))
"""


def fit(cfg: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", ONE_FIT, json.dumps(cfg)], capture_output=True, text=True, cwd=REPO
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        raise RuntimeError(f"fit {cfg} failed:\n{proc.stderr[-3000:]}")
    return json.loads(line.removeprefix("RESULT"))


# population-level parameters taken from the fitted production model (their posterior means);
# market-level truths are then drawn from the model's own hierarchy given these
HYPER = [
    "level_mu",
    "level_sigma",
    "beta",
    "trend_mu",
    "trend_sigma",
    "season_mu",
    "season_sigma",
    "holiday_mu",
    "holiday_sigma",
    "shock_mu",
    "shock_sigma",
    "phi_mu",
    "phi_sigma",
    "nu",
]


def fitted_truths() -> tuple[dict, list]:
    import xarray as xr

    path = REPO / "models/consumption.nc"
    if not path.is_file():
        sys.exit(
            "run `make repro` first: the simulated panels take the fitted model's hyperparameters"
        )
    post = xr.open_datatree(path)["posterior"].to_dataset()
    hyper = {k: post[k].mean(("chain", "draw")).to_numpy().tolist() for k in HYPER if k in post}
    sigma = post["sigma_market"].mean(("chain", "draw")).to_numpy().tolist()
    return hyper, sigma


def main() -> None:
    import numpy as np

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="8 and 60 markets, fewer draws")
    ap.add_argument("--methods", help="comma-separated, of nutpie, numpyro, pymc, advi")
    ap.add_argument("--shapes", help="comma-separated MARKETSxWEEKS, e.g. 8x104,250x104")
    ap.add_argument("--draws", type=int, default=1000, help="per chain (production: 1,000)")
    ap.add_argument("--tune", type=int, default=1000, help="tuning steps per chain")
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/scale_models.json")
    args = ap.parse_args()
    import yaml

    form = yaml.safe_load((REPO / "params.yaml").read_text())["fit"]["parameterization"]
    hyper, sigma_market = fitted_truths()
    shapes = [(8, 104), (60, 104), (250, 104), (60, 208)]
    draws = args.draws
    if args.quick:
        shapes, draws, args.tune, args.chains = [(8, 104), (60, 104)], 200, 400, 2
    if args.shapes:
        shapes = [tuple(int(x) for x in s.split("x")) for s in args.shapes.split(",")]
    methods = ["nutpie", "advi"]
    if importlib.util.find_spec("numpyro"):
        methods.insert(1, "numpyro")
    if args.methods:
        methods = args.methods.split(",")
    rows = []
    payload = {"machine": describe(), "parameterization": form, "results": rows}
    for markets, weeks in shapes:
        base = {
            "markets": markets,
            "weeks": weeks,
            "seed": 3,
            "draws": draws,
            "tune": args.tune,
            "chains": args.chains,
            "parameterization": form,
            "hyper": hyper,
            "sigma_market": sigma_market,
        }
        nuts = None
        for method in methods:
            if method == "numpyro" and markets > 8 and not args.methods:
                continue  # on 2 CPU cores the JAX backend is a GPU path; measured where small
            r = fit({**base, "method": method, "advi_steps": 30000})
            row = {
                "markets": markets,
                "weeks": weeks,
                "observations": markets * weeks,
                "method": method,
                "wall_seconds": round(r["wall_seconds"], 1),
                "peak_mib": round(r["peak_mib"]),
            }
            if "device" in r:
                row["device"] = r["device"]
            if "device_peak_mib" in r:
                row["device_peak_mib"] = round(r["device_peak_mib"])
            if method != "advi":
                ess = min(r["ess_bulk_min"], r["ess_tail_min"])
                row.update(
                    chains=args.chains,
                    draws_per_chain=draws,
                    tune=args.tune,
                    min_ess=round(ess),
                    seconds_per_effective_sample=round(r["wall_seconds"] / ess, 3),
                    r_hat_max_answers=round(r["r_hat_max"], 3),
                    r_hat_max_all=round(r["r_hat_max_all"], 3),
                    divergences=r["divergences"],
                )
            if method == "nutpie":
                nuts = r
            elif method == "advi" and nuts is not None:
                err = {}
                for name in ("trend_market", "level_market"):
                    sd = np.asarray(nuts[name + "_sd"])
                    z = (
                        np.abs(np.asarray(r[name + "_mean"]) - np.asarray(nuts[name + "_mean"]))
                        / sd
                    )
                    ratio = np.asarray(r[name + "_sd"]) / sd
                    err[name] = {
                        "mean_error_in_nuts_sd_median": round(float(np.median(z)), 2),
                        "mean_error_in_nuts_sd_max": round(float(np.max(z)), 2),
                        "sd_ratio_median": round(float(np.median(ratio)), 2),
                    }
                row["error_vs_nuts"] = err
            rows.append(row)
            print(row, flush=True)
            args.out.write_text(json.dumps(payload, indent=2) + "\n")  # each row as it comes
    growth = {}
    for sampler in ("nutpie", "numpyro"):
        by_shape = {(r["markets"], r["weeks"]): r for r in rows if r["method"] == sampler}
        g = {}
        if (8, 104) in by_shape and (250, 104) in by_shape:
            big, small = by_shape[(250, 104)], by_shape[(8, 104)]
            g["markets_8_to_250"] = {
                "markets_ratio": 250 / 8,
                "wall_ratio": round(big["wall_seconds"] / small["wall_seconds"], 1),
                "seconds_per_effective_sample_ratio": round(
                    big["seconds_per_effective_sample"] / small["seconds_per_effective_sample"], 1
                ),
                "peak_memory_ratio": round(big["peak_mib"] / small["peak_mib"], 1),
            }
        if (60, 104) in by_shape and (60, 208) in by_shape:
            g["weeks_104_to_208_at_60_markets"] = round(
                by_shape[(60, 208)]["seconds_per_effective_sample"]
                / by_shape[(60, 104)]["seconds_per_effective_sample"],
                1,
            )
        if g:
            growth[sampler] = g
    payload["growth"] = growth
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
