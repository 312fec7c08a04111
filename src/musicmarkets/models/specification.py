"""The consumption model's specification: its structure, priors and likelihood, built from
params.yaml (``fit.structure``, ``fit.priors``), and the choices they take. The model itself
is in ``consumption``; the arrays it is built from in ``design``."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from musicmarkets.params import ParamsBlock

PARAMETERIZATIONS = ("centred", "non_centred")
VARIANTS = ("hierarchical", "pooled", "unpooled", "no_covariates", "normal")
LIKELIHOODS = ("student_t", "normal")
COVARIATES = {
    "log_gdp_per_capita": lambda d: np.log(d["gdp_per_capita"]),
    "internet_share": lambda d: d["internet_users_pct"] / 100.0,
    "log_population": lambda d: np.log(d["population"]),
}


@dataclass(frozen=True)
class Priors(ParamsBlock):
    """Prior scales, declared in params.yaml (``fit.priors``), on the log-per-capita scale."""

    level_mu_mean: float
    level_mu_sd: float
    level_sigma: float
    beta_sd: float
    trend_mu_sd: float
    trend_sigma: float
    changepoint_sd: float
    changepoint_sigma: float
    season_sd: float
    season_sigma: float
    holiday_sd: float
    holiday_sigma: float
    shock_sd: float
    shock_sigma: float
    shock_onset_sd_weeks: float
    shock_recovery_weeks: float  # median of a log-normal prior
    shock_recovery_sd: float
    launch_sd: float
    launch_settle_weeks: float  # median of a log-normal prior
    launch_settle_sd: float
    noise_sigma: float
    nu_alpha: float
    nu_beta: float
    phi_mu_mean: float  # AR(1) persistence, pooled on the atanh scale
    phi_mu_sd: float
    phi_sigma: float
    block = "prior"
    path = "fit.priors"

    def validate(self) -> None:
        for f in fields(self):
            if f.name not in ("level_mu_mean", "phi_mu_mean") and not getattr(self, f.name) > 0:
                raise ValueError(f"prior {f.name} must be > 0, got {getattr(self, f.name)}")


@dataclass(frozen=True)
class Structure(ParamsBlock):
    """The model's terms (``fit.model`` in params.yaml)."""

    fourier_order: int
    ar1: bool
    changepoint_weeks: int
    changepoint_last_weeks: int
    holidays: bool
    shock_start: str | None
    launches: dict[str, str] | None
    covariates: tuple[str, ...]
    region_level: str
    likelihood: str
    block = "model"
    path = "fit.model"

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", tuple(self.covariates))

    def validate(self) -> None:
        unknown = sorted(set(self.covariates) - set(COVARIATES))
        if unknown:
            raise ValueError(f"unknown covariates {unknown}; known: {sorted(COVARIATES)}")
        if self.region_level not in ("sub_region", "region"):
            raise ValueError(
                f"region_level must be sub_region or region, got {self.region_level!r}"
            )
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.changepoint_weeks < 1 or self.changepoint_last_weeks < 1:
            raise ValueError("changepoint_weeks and changepoint_last_weeks must be >= 1")
        for market, day in (self.launches or {}).items():
            try:
                pd.Timestamp(day)
            except ValueError as err:
                raise ValueError(f"launches.{market}: {day!r} is not a date") from err
        if self.fourier_order < 0:
            raise ValueError("fourier_order must be >= 0")
