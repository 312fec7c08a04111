# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 35 · Compare the consumption model with its variants (ELPD-LOO)
#
# Expected log predictive density under leave-one-out cross-validation (PSIS-LOO), from the
# pointwise values each fit wrote. Higher is better; a difference smaller than about twice its
# standard error does not separate two models. Weeks with Pareto k > 0.7 are counted: their LOO
# value is unreliable. Each model's convergence gates are listed beside its score.

# %% tags=["parameters"]
names = ["pooled", "unpooled", "no_covariates", "normal"]

# %%
import pandas as pd

from musicmarkets import config, io, validation

paths = config.paths()
models = ["hierarchical", *names]
pointwise = {m: pd.read_parquet(paths.models / "loo" / f"{m}.parquet") for m in models}
fits = {"hierarchical": io.read_json(paths.metrics / "fit.json")} | {
    m: io.read_json(paths.metrics / "variants" / f"{m}.json") for m in names
}
table = validation.compare_loo(pointwise)
for key in ("gates_passed", "ppc_coverage_50", "ppc_coverage_90", "loo_pit_ks"):
    table[key] = table["model"].map({m: f[key] for m, f in fits.items()})
table

# %%
best = table.iloc[0]
production = table.set_index("model").loc["hierarchical"]
# under 4 the two predict about equally well; beyond it, 2 standard errors make it clear
reading = validation.loo_difference(production["elpd_diff"], production["diff_se"])
separated = reading == "clear"
verdict = validation.loo_verdict(table)
print(verdict)
io.write_json(
    {
        "best": str(best["model"]),
        "production": "hierarchical",
        "production_is_best": bool(best["model"] == "hierarchical"),
        "production_clearly_worse": bool(separated),
        "verdict": verdict,
        "models": table.to_dict(orient="records"),
    },
    paths.metrics / "loo.json",
)
