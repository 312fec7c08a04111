import pytest

from musicmarkets.sources import covariates


@pytest.fixture(scope="module")
def cov(repo):
    return covariates.read_covariates(
        repo / "data/raw/country_covariates_worldbank", ["gb", "in", "de"]
    )


def test_spotify_codes_map_to_world_bank_countries(cov):
    names = cov.drop_duplicates("market").set_index("market")["iso3"].to_dict()
    assert names == {"de": "DEU", "gb": "GBR", "in": "IND"}


def test_per_capita_gdp_is_gdp_over_population(cov):
    row = cov[(cov["market"] == "gb") & (cov["year"] == 2019)].iloc[0]
    assert row["gdp_per_capita"] == pytest.approx(row["gdp_usd"] / row["population"])
    assert 50e6 < row["population"] < 80e6


def test_internet_use_after_2016_is_carried_forward_and_flagged(cov):
    de = cov[cov["market"] == "de"].set_index("year")
    assert not de.loc[2016, "internet_carried_forward"] and de.loc[2019, "internet_carried_forward"]
    assert de.loc[2019, "internet_users_pct"] == de.loc[2016, "internet_users_pct"]


def test_unknown_market_code_is_an_error(repo):
    with pytest.raises(ValueError, match="unknown market codes \\['zz'\\]"):
        covariates.read_covariates(repo / "data/raw/country_covariates_worldbank", ["zz"])


def test_namibia_code_is_not_read_as_missing(repo):
    codes = covariates.read_country_codes(repo / "data/raw/country_covariates_worldbank")
    assert "na" in set(codes["market"])
