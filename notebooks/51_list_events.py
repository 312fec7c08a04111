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
# # 51 · List the stream reports: the manifest DVC tracks
#
# Keys, sizes, ETags / version ids (S3) or MD5 (local files), row counts from the Parquet
# footers and the schema hash of every file under `events.source`. This stage always runs
# (`always_changed`); the manifest is rewritten only when the listing changed, so the
# aggregation re-runs only then, and DVC never has to pull the reports themselves.

# %% tags=["parameters"]
source = "data/events/simulated"

# %%
from musicmarkets import config
from musicmarkets.events import manifest

paths = config.paths()
where = source if "://" in source else str(paths.root / source)
listing = manifest.write(where, paths.root / "data" / "events" / "manifest.json", name=source)
print(f"{listing['files']:,} files, {listing['rows']:,} rows, {listing['bytes'] / 1e6:,.1f} MB")
print("schemas:", listing["schemas"])
