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

# %% [markdown] tags=["remove-cell"]
# # 60 · Executive report
# Rendered to `reports/index.html` without code. Every number and sentence below is computed from
# the fitted model and the metrics files; nothing is typed by hand.

# %% tags=["parameters"]
interval = 0.9

# %% tags=["remove-cell"]
import arviz as az
import pandas as pd
from IPython.display import HTML, Markdown, display

from musicmarkets import config, insights, io, plots, report

plots.set_style()
paths = config.paths()

# %% tags=["remove-cell"]
fit = io.read_json(paths.metrics / "fit.json")
tree = az.from_netcdf(paths.models / "consumption.nc")
market_week = pd.read_parquet(paths.processed / "market_week.parquet")
coverage = pd.read_parquet(paths.interim / "coverage.parquet")
gaps = pd.read_parquet(paths.interim / "gaps.parquet")
quarantine = pd.read_parquet(paths.interim / "quarantine.parquet")
ingest = io.read_json(paths.metrics / "ingest.json")
enrichment = io.read_json(paths.metrics / "enrich.json")
no1_scale = pd.read_parquet(paths.interim / "no1_scale.parquet")
top50_summary = pd.read_parquet(paths.interim / "top50_summary.parquet")
cov = pd.read_parquet(paths.interim / "covariates.parquet")

# %% tags=["remove-cell"]
names = cov.drop_duplicates("market").set_index("market")["country"].to_dict()
failed = fit["gates_failed"]
growth = insights.growth_table(tree["posterior"].to_dataset(), names, interval)
bands = insights.trend_bands(tree, interval)
provenance = report.provenance(paths.root, paths.models / "consumption.nc")

# %%
display(Markdown("# Music markets: who grows, how fast, and how sure we are"))
display(
    HTML(
        report.trust_panel(
            fit, failed, coverage[coverage["market"].isin(growth["market"])], provenance
        )
    )
)

# %% [markdown]
# ## Key findings

# %%
display(Markdown(report.growth_headlines(growth, failed, interval)))

# %%
display(Markdown(report.plain_words(interval)))

# %% [markdown]
# ## Market growth ranking

# %%
ax = plots.growth_intervals(growth, interval=interval)
display(HTML(report.figure_html(ax.figure, report.growth_alt_text(growth, interval))))

# %%
display(HTML(report.league_table(growth, interval).to_html(index=False, border=0)))

# %% [markdown]
# ## Each market's trend against the data
# Dots are observed weekly streams per person; the line and band are the model's trend with
# seasonality and its interval. Weeks far outside the band (holidays, big releases) are what
# the model treats as unusual weeks rather than changes of trend.

# %%
fig = plots.trend_grid(bands, names, interval=interval)
alt = f"Weekly streams per person per market with the model trend and its {interval:.0%} band, one panel per market."
display(HTML(report.figure_html(fig, alt)))

# %% [markdown]
# ## Data coverage and quality
# Weeks of chart data per market. Missing weeks are shown, never filled in.

# %%
display(
    Markdown(
        report.quality_text(ingest, quarantine, gaps) + "\n" + report.enrichment_text(enrichment)
    )
)

# %%
ax = plots.coverage_timeline(market_week, gaps)
alt = f"Weeks with chart data per market; {len(gaps)} missing week(s) marked with a cross."
display(HTML(report.figure_html(ax.figure, alt)))
display(HTML(report.coverage_table(coverage, names).to_html(index=False, border=0)))

# %% [markdown]
# ## Beyond the eight markets
# Two lighter sources reach more markets. The weekly #1 track's streams per million people is a
# rough gauge of how intensely a market streams its biggest hit (2020, 62 regions); the daily
# Top 50 playlists show how fast each market's hits turn over (2023-2024).

# %%
display(HTML(report.breadth_tables(no1_scale, top50_summary, names)))

# %% [markdown]
# ### What each source can and cannot measure

# %%
display(HTML(report.sources_table().to_html(index=False, border=0)))

# %% [markdown]
# ## Methods and data, in brief

# %%
display(Markdown(report.methods_text(coverage)))

# %% tags=["remove-cell"]
# %load_ext watermark
# %watermark -v -p musicmarkets,pymc,arviz
