"""Data for `dvc plots` and the offline HTML template it renders into.

`dvc plots show` draws the plots declared at the top of dvc.yaml with Vega-Lite. Its default
page loads Vega from a CDN; ours inlines one JavaScript bundle of Vega, Vega-Lite and
Vega-Embed (from vl-convert), so the page opens with no network. `write_template` writes that
page to `.dvc/plots/offline.html` (`make env` does it; `.dvc/config` names it).

The plot data are aggregates only (markets x weeks, markets, horizons): no chart row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Vega-Lite major.minor the bundle carries; DVC's templates are Vega-Lite 5 specs.
VEGA_LITE = "5.21"

#: the plot files the pipeline writes, relative to the repository root
PLOTS_DIR = Path("reports/plots")

# Wraps vegaEmbed so that DVC's `vegaEmbed('#id', spec)` calls get the offline menu:
# save as SVG/PNG stays, links to the online editor go.
_SNIPPET = """
window.vega = vega;
window.vegaLite = vegaLite;
window.vegaEmbed = (el, spec, opts) => vegaEmbed(el, spec, Object.assign(
  {actions: {export: true, source: false, compiled: false, editor: false}}, opts || {}));
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:">
<title>Music markets: pipeline plots</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
table {{ border-spacing: 15px; }}
</style>
<script>
{bundle}
</script>
</head>
<body>
<h1>Music markets: pipeline plots</h1>
<p>Key series of the current workspace (or of the revisions compared), drawn from the
aggregates the pipeline writes to reports/plots/. Works offline.</p>
{{plot_divs}}
</body>
</html>
"""


def template_html() -> str:
    """The page: DVC replaces `{plot_divs}`; there is no `{scripts}` slot, so no CDN tags."""
    import vl_convert

    bundle = vl_convert.javascript_bundle(_SNIPPET, vl_version=VEGA_LITE)
    if "</script" in bundle.lower():  # would end our inline <script> early
        bundle = bundle.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    return _PAGE.format(bundle=bundle)


def write_template(path: Path) -> Path:
    """Write the offline template to `path` (rewritten only when its content changes)."""
    html = template_html()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != html:
        path.write_text(html, encoding="utf-8")
    return path


def _write(frame: pd.DataFrame, name: str, root: Path) -> Path:
    out = root / PLOTS_DIR / name
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False, float_format="%.6g")
    return out


def streams_per_person(market_week: pd.DataFrame) -> pd.DataFrame:
    """Weekly Top 200 streams per person, one row per market and week (long format)."""
    out = market_week[["market", "week_start", "streams_per_capita"]].dropna()
    out = out.rename(columns={"week_start": "week", "streams_per_capita": "streams_per_person"})
    out["week"] = pd.to_datetime(out["week"]).dt.strftime("%Y-%m-%d")
    return out.sort_values(["market", "week"]).reset_index(drop=True)


def forecast_band(weekly: pd.DataFrame, interval: float) -> pd.DataFrame:
    """All-market weekly forecast, billions of streams: median and the central interval."""
    rows = weekly[weekly["level"] == "all"].sort_values("week_start")
    if rows.empty:
        raise ValueError("forecast_weekly has no all-market ('all') rows")
    return pd.DataFrame(
        {
            "week": pd.to_datetime(rows["week_start"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "median_bn": rows["median"].to_numpy() / 1e9,
            "low_bn": rows["low"].to_numpy() / 1e9,
            "high_bn": rows["high"].to_numpy() / 1e9,
            "interval": interval,
        }
    )


def growth_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """Each market's yearly growth now, per cent: median and the interval bounds."""
    out = pd.DataFrame(
        {
            "market": table["name"].to_numpy(),
            "growth_pct": 100 * table["growth_median"].to_numpy(),
            "low_pct": 100 * table["growth_low"].to_numpy(),
            "high_pct": 100 * table["growth_high"].to_numpy(),
        }
    )
    return out.sort_values("growth_pct", ascending=False).reset_index(drop=True)


def backtest_by_horizon(backtest: pd.DataFrame) -> pd.DataFrame:
    """Mean CRPS by weeks ahead for each method (long format: weeks_ahead, method, crps), from
    the backtest's scored rows (one per origin, market, week and method)."""
    if (backtest["weeks_ahead"] < 1).any():
        raise ValueError("backtest rows at or before their origin")
    out = backtest.groupby(["weeks_ahead", "method"], sort=True)["crps"].mean().reset_index()
    if not np.isfinite(out["crps"]).all():
        raise ValueError("non-finite CRPS in the backtest")
    return out[["weeks_ahead", "method", "crps"]]


def write_report_plots(
    root: Path,
    market_week: pd.DataFrame,
    weekly: pd.DataFrame,
    table: pd.DataFrame,
    interval: float,
) -> list[Path]:
    """The executive report's series for `dvc plots` (called by the report stage)."""
    return [
        _write(streams_per_person(market_week), "streams_per_person.csv", root),
        _write(forecast_band(weekly, interval), "forecast_all_markets.csv", root),
        _write(growth_intervals(table), "growth.csv", root),
    ]


def write_backtest_plot(root: Path, backtest: pd.DataFrame) -> Path:
    """The backtest's error by weeks ahead for `dvc plots` (called by the technical stage)."""
    return _write(backtest_by_horizon(backtest), "backtest_crps.csv", root)


def main() -> None:  # `python -m musicmarkets.dvcplots [PATH]`: write the offline template
    import sys

    from musicmarkets import config

    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else config.repo_root() / ".dvc/plots/offline.html"
    )
    print(write_template(target))


if __name__ == "__main__":
    main()
