"""World Bank covariates (population, GDP, internet use) and ISO / UN M49 country codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

INTERNET_LAST_YEAR = 2016  # the internet-users series in the embedded file stops here


def read_country_codes(folder: Path) -> pd.DataFrame:
    """ISO2 (lower-case, as Spotify's market codes), ISO3, name, M49 region and sub-region."""
    # keep_default_na=False: Namibia's ISO2 code is "NA"
    cc = pd.read_csv(folder / "country-codes.csv", keep_default_na=False, dtype=str)
    out = pd.DataFrame(
        {
            "market": cc["ISO3166-1-Alpha-2"].str.lower(),
            "iso3": cc["ISO3166-1-Alpha-3"],
            "country": cc["CLDR display name"],
            "region": cc["Region Name"],
            "sub_region": cc["Sub-region Name"],
        }
    )
    return out[out["market"] != ""].reset_index(drop=True)


def read_covariates(folder: Path, markets: list[str]) -> pd.DataFrame:
    """Market x year table of population, GDP (current US$), GDP per capita and internet use.

    Markets without a country (``global``) are skipped. Internet use after 2016 carries the
    2016 value forward and says so in ``internet_carried_forward``.
    """
    codes = read_country_codes(folder)
    wanted = codes[codes["market"].isin(markets)]
    unknown = sorted(set(markets) - set(codes["market"]) - {"global"})
    if unknown:
        raise ValueError(f"{folder / 'country-codes.csv'}: unknown market codes {unknown}")
    pop = pd.read_csv(folder / "population.csv")
    gdp = pd.read_csv(folder / "gdp.csv")
    net = pd.read_csv(folder / "internet.csv")
    names = pop[["Country Name", "Country Code"]].drop_duplicates("Country Code")
    base = wanted.merge(names, left_on="iso3", right_on="Country Code", how="left")
    years = pd.DataFrame({"year": np.arange(2010, int(pop["Year"].max()) + 1)})
    grid = base.merge(years, how="cross")
    grid = grid.merge(
        pop.rename(columns={"Country Code": "iso3", "Year": "year", "Value": "population"})[
            ["iso3", "year", "population"]
        ],
        on=["iso3", "year"],
        how="left",
    ).merge(
        gdp.rename(columns={"Country Code": "iso3", "Year": "year", "Value": "gdp_usd"})[
            ["iso3", "year", "gdp_usd"]
        ],
        on=["iso3", "year"],
        how="left",
    )
    net = net.rename(columns={"country": "Country Name", "users": "internet_users_pct"})
    grid = grid.merge(
        net[["Country Name", "year", "internet_users_pct"]], on=["Country Name", "year"], how="left"
    )
    grid = grid.sort_values(["market", "year"])
    grid["internet_carried_forward"] = grid["year"] > INTERNET_LAST_YEAR
    last = grid[grid["year"] == INTERNET_LAST_YEAR].set_index("market")["internet_users_pct"]
    late = grid["internet_carried_forward"]
    grid.loc[late, "internet_users_pct"] = grid.loc[late, "market"].map(last)
    grid["gdp_per_capita"] = grid["gdp_usd"] / grid["population"]
    cols = [
        "market",
        "iso3",
        "country",
        "region",
        "sub_region",
        "year",
        "population",
        "gdp_usd",
        "gdp_per_capita",
        "internet_users_pct",
        "internet_carried_forward",
    ]
    return grid[cols].reset_index(drop=True)
