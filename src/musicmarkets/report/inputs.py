"""One loader for what the report pages read: metrics, tables and the fitted model.

Each input is read on first use, so a page reads only what it shows (its stage in dvc.yaml
declares those files); what several pages derive the same way (the failed gates, country
names, regions, the history totals, the opportunity check, provenance) is derived here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from musicmarkets import config, insights, io, opportunity
from musicmarkets.report.trust import gates_failed, provenance, trust_panel, trust_rows


class ReportInputs:
    """The pipeline outputs a report page draws on, under one repository root."""

    _shared: dict[Path, tuple[tuple, ReportInputs]] = {}

    def __init__(self, paths: config.Paths | None = None) -> None:
        self.paths = paths or config.paths()
        self._derived: dict[tuple, Any] = {}

    @classmethod
    def shared(cls, paths: config.Paths | None = None) -> ReportInputs:
        """One loader per process while the files it reads stay as they are: pages rendered
        one after another in one kernel (the partner pages) read and derive everything once.
        Any pipeline output written since (its size or time changed) gives a fresh loader."""
        paths = paths or config.paths()
        signature = _signature(paths)
        cached = cls._shared.get(paths.root)
        if cached is None or cached[0] != signature:
            cached = (signature, cls(paths))
            cls._shared[paths.root] = cached
        return cached[1]

    def _once(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]

    # metrics written by the model stages
    @cached_property
    def fit(self) -> dict[str, Any]:
        return io.read_json(self.paths.metrics / "fit.json")

    @cached_property
    def shares(self) -> dict[str, Any]:
        return io.read_json(self.paths.metrics / "shares.json")

    @property
    def genre_families(self) -> dict[str, list[str]]:
        """The genre mix's families of chart labels (family -> labels), as the model grouped them."""
        return self.shares.get("genre_mix", {}).get("families") or {}

    @cached_property
    def backtest(self) -> dict[str, Any]:
        return io.read_json(self.paths.metrics / "backtest.json")

    @cached_property
    def loo(self) -> dict[str, Any]:
        return io.read_json(self.paths.metrics / "loo.json")

    @cached_property
    def lfo(self) -> dict[str, Any]:
        """The variants scored as forecasters (leave-future-out), for the technical report."""
        return io.read_json(self.paths.metrics / "lfo.json")

    @cached_property
    def recent(self) -> dict[str, Any]:
        return io.read_json(self.paths.metrics / "recent_fit.json")

    @cached_property
    def ingest(self) -> dict[str, Any]:
        return io.read_json(self.paths.metrics / "ingest.json")

    @cached_property
    def sensitivity(self) -> dict[str, Any]:
        """The pre-lockdown refit's metrics."""
        return io.read_json(self.paths.metrics / "sensitivity.json")

    @cached_property
    def enrich(self) -> dict[str, Any]:
        return io.read_json(self.paths.metrics / "enrich.json")

    @cached_property
    def prior_check(self) -> dict[str, Any]:
        """The prior predictive check per market (``prior_check`` stage)."""
        return io.read_json(self.paths.metrics / "prior_check.json")

    @cached_property
    def why(self) -> dict[str, Any] | None:
        """``musicmarkets why``'s last split of a forecast change, where one was made."""
        path = self.paths.reports / "why_forecast_changed.json"
        return io.read_json(path) if path.is_file() else None

    @cached_property
    def failed(self) -> list[str]:
        """Every failed gate, as the stages recorded them: a page with any is a DRAFT."""
        return gates_failed(self.fit, self.shares, self.backtest, recent=self.recent)

    # the fitted consumption model
    @cached_property
    def tree(self) -> Any:
        import xarray as xr

        return xr.open_datatree(self.paths.models / "consumption.nc")

    @cached_property
    def sensitivity_tree(self) -> Any:
        import xarray as xr

        return xr.open_datatree(self.paths.models / "sensitivity.nc")

    @cached_property
    def constant(self) -> Any:
        return self.tree["constant_data"].to_dataset()

    @cached_property
    def posterior(self) -> Any:
        return self.tree["posterior"].to_dataset()

    @cached_property
    def last_weeks(self) -> pd.Series:
        """Each modelled market's last charted week in the fit (market -> week)."""
        markets = [str(m) for m in self.posterior["market"].to_numpy()]
        idx = self.constant["market_idx"].to_numpy()
        weeks = pd.Series(pd.to_datetime(self.constant["week_start"].to_numpy()))
        return weeks.groupby(pd.Index([markets[i] for i in idx], name="market")).max()

    @cached_property
    def lockdown_onset(self) -> pd.Timestamp | None:
        """The 2020 lockdown's estimated onset (posterior median) as a date; None for a fit
        without the estimated lockdown. The model's time runs in years to the latest week."""
        if "shock_onset" not in self.posterior:
            return None
        years = float(self.posterior["shock_onset"].median())
        return self.last_weeks.max() + pd.Timedelta(days=365.25 * years)

    @cached_property
    def lockdown_left(self) -> float | None:
        """The share of the 2020 lockdown's dip not yet recovered at the latest week."""
        return insights.lockdown_left(self.posterior)

    # tables
    def _processed(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.paths.processed / f"{name}.parquet")

    def _interim(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.paths.interim / f"{name}.parquet")

    @cached_property
    def prior_predictive(self) -> pd.DataFrame:
        """Weekly bands simulated from the priors alone, beside the observed weeks."""
        return self._processed("prior_predictive")

    @cached_property
    def market_week(self) -> pd.DataFrame:
        return self._processed("market_week")

    @cached_property
    def shifts(self) -> pd.DataFrame:
        """The share shifts the pages may publish: those whose start (the baseline weeks) the
        ``check_recent_fit`` stage found inside the observed weeks' range (the others are
        withheld, and the trust panel says which). ``now_outside``: the ``recent_fit`` gate
        found the charts' latest weeks outside this share's "now" (the tables say so)."""
        shifts = self._processed("share_shifts")
        measure = shifts["measure"].where(
            shifts["measure"] != "genre_mix", "genre:" + shifts.get("genre", "")
        )
        keys = list(zip(shifts["market"], measure, strict=True))
        missed = {tuple(k) for k in self.recent.get("outside_keys", [])}
        shifts = shifts.assign(now_outside=[k in missed for k in keys])
        withheld = {tuple(k) for k in self.recent.get("shifts_withheld_keys", [])}
        keep = [k not in withheld for k in keys]
        return shifts[keep].reset_index(drop=True)

    @property
    def withheld(self) -> list[tuple[str, str]]:
        """(market, measure) of each share shift left out of the pages (``shifts``)."""
        return [(m, k) for m, k in self.recent.get("shifts_withheld_keys", [])]

    @cached_property
    def weekly(self) -> pd.DataFrame:
        return self._processed("forecast_weekly")

    @cached_property
    def totals(self) -> pd.DataFrame:
        return self._processed("forecast_totals")

    @cached_property
    def table(self) -> pd.DataFrame:
        """The insights table: one row per market."""
        return self._processed("insights")

    @cached_property
    def yoy(self) -> pd.DataFrame:
        """The growth headline per market, checked against the charts (``insights.yoy_growth``
        with a seed): a market whose headline does not hold has none, and a ``reason``."""
        return self._processed("yoy")

    @cached_property
    def ledger_scores(self) -> pd.DataFrame:
        return self._processed("ledger_scores")

    @cached_property
    def scored(self) -> pd.DataFrame:
        """The backtest's scores, one row per method and held-out week."""
        return self._processed("backtest")

    @cached_property
    def ranks(self) -> pd.DataFrame:
        """Probability of each rank (columns 1..n) per market (index)."""
        ranks = self._processed("rank_distribution").set_index("market")
        ranks.columns = ranks.columns.astype(int)
        return ranks

    @cached_property
    def coverage(self) -> pd.DataFrame:
        return self._interim("coverage")

    @cached_property
    def gaps(self) -> pd.DataFrame:
        return self._interim("gaps")

    @cached_property
    def quarantine(self) -> pd.DataFrame:
        return self._interim("quarantine")

    @cached_property
    def covariates(self) -> pd.DataFrame:
        return self._interim("covariates")

    @cached_property
    def no1_scale(self) -> pd.DataFrame:
        return self._interim("no1_scale")

    @cached_property
    def top50_summary(self) -> pd.DataFrame:
        return self._interim("top50_summary")

    @cached_property
    def pointwise(self) -> pd.DataFrame:
        """Pointwise LOO of the production model."""
        return pd.read_parquet(self.paths.models / "loo" / "hierarchical.parquet")

    # derived once for every page
    @cached_property
    def names(self) -> dict[str, str]:
        """Country name per market code."""
        return self.covariates.drop_duplicates("market").set_index("market")["country"].to_dict()

    @cached_property
    def order(self) -> list[str]:
        """The one market order of every chart, table and list of links on every page
        (``insights.market_order``: the momentum league table's)."""
        return insights.market_order(self.table)

    def in_order(self, markets: list[str]) -> list[str]:
        """``markets`` in the pages' one order (any not in it follow, as they came)."""
        return [m for m in self.order if m in markets] + [m for m in markets if m not in self.order]

    @cached_property
    def region_of(self) -> dict[str, str]:
        return insights.regions_of(self.tree)

    @cached_property
    def history(self) -> pd.DataFrame:
        """Observed chart streams per market, region and all markets."""
        return insights.history_totals(self.market_week, self.region_of)

    @cached_property
    def chart_names(self) -> dict[str, str]:
        """``names`` with the Global chart, for charts that draw it beside the markets."""
        return self.names | {"global": "Global chart"}

    def last_year_streams(self, markets: list[str]) -> dict[str, float]:
        """Each market's Top 200 chart streams in its last 52 observed weeks: the size shown
        beside every growth figure."""
        return {m: insights.last_weeks_total(self.history, m, 52) for m in markets}

    def trend_bands(self, interval: float) -> pd.DataFrame:
        """``insights.trend_bands`` of the fitted model (the pages' trend charts)."""
        return self._once(
            ("trend_bands", interval), lambda: insights.trend_bands(self.tree, interval)
        )

    def leave_one_market_out(
        self, level_priors: dict[str, float], interval: float, seed: int
    ) -> pd.DataFrame:
        """Each market's level predicted from the others and the covariates (and with the
        covariates' prior halved and doubled)."""
        return self._once(
            ("leave_one_market_out", tuple(sorted(level_priors.items())), interval, seed),
            lambda: opportunity.leave_one_market_out(
                self.posterior, self.constant, level_priors, interval, seed
            ),
        )

    def opportunity_check(
        self, level_priors: dict[str, float], interval: float, seed: int
    ) -> dict[str, Any]:
        """Whether the levels' gaps to the covariates hold up when each market is left out."""
        return opportunity.verdict(
            self.leave_one_market_out(level_priors, interval, seed), self.names
        )

    def provenance(self) -> dict[str, str]:
        return provenance(self.paths.root, self.paths.models / "consumption.nc")

    def trust_section(
        self,
        gates: dict[str, float],
        markets: Iterable[str],
        detail: bool = False,
        page_market: str | None = None,
    ) -> str:
        """The full trust panel of a page about ``markets`` (their data freshness), in the
        element ``#trust`` that the page's one-line trust status links to; ``detail`` (the
        technical report) adds each failed gate's exact figures; ``page_market``: the market
        whose page this is (a miss in another market says so)."""
        freshness = self.coverage[self.coverage["market"].isin(list(markets))]
        rows = trust_rows(
            self.shares, self.backtest, self.loo, self.fit, self.recent, gates, self.names
        )
        panel = trust_panel(
            self.fit,
            self.failed,
            freshness,
            self.provenance(),
            rows,
            gates,
            self.names,
            detail,
            page_market,
        )
        return f'<div id="trust">{panel}</div>'


def _signature(paths: config.Paths) -> tuple:
    """Name, size and modification time of every file a page may read."""
    folders = (paths.metrics, paths.processed, paths.interim, paths.models, paths.models / "loo")
    files = [paths.reports / "why_forecast_changed.json"]
    for folder in folders:
        files += sorted(folder.iterdir()) if folder.is_dir() else []
    found = []
    for file in files:
        if file.is_file():
            stat = file.stat()
            found.append((str(file), stat.st_size, stat.st_mtime_ns))
    return tuple(found)
