import pandas as pd
import pytest

from musicmarkets import contracts
from musicmarkets.sources import charts as chart_reader


@pytest.fixture(scope="module")
def charts(legacy_fixture):
    return chart_reader.read_charts(legacy_fixture)[0]


def test_real_excerpt_meets_the_contract(charts):
    contracts.check_charts(charts, max_rank=200)


def test_broken_rules_are_all_listed(charts):
    bad = charts.copy()
    bad.loc[0, "streams"] = -5
    bad.loc[1, "rank"] = 1  # duplicates rank 1 of the same market-week
    bad.loc[2, "rank"] = 999
    with pytest.raises(contracts.ContractError) as err:
        contracts.check_charts(bad, max_rank=200)
    msg = str(err.value)
    assert "negative streams" in msg and "duplicate" in msg and "outside 1..200" in msg


def test_gaps_are_listed_not_filled(charts):
    gaps = contracts.find_gaps(charts)
    # Germany lacks the week of 2017-05-26 in the real data; the excerpt keeps that hole
    assert gaps[["market", "week_start"]].values.tolist() == [["de", pd.Timestamp("2017-05-26")]]
    cov = contracts.coverage(charts).set_index("market")
    assert cov.loc["de", "weeks"] == 3 and cov.loc["de", "missing_weeks"] == 1
    assert cov.loc["global", "missing_weeks"] == 0


def test_error_message_names_file_row_field():
    err = contracts.ChartFileError("x/de.csv", 7, "Streams", "bad")
    assert str(err) == "x/de.csv, row 7, field 'Streams': bad"


def test_counts_too_large_for_an_integer_are_refused_with_a_reason():
    # found by the fuzzing test: "1E100" once crashed the cast to Int64
    values, reason = contracts.parse_counts(pd.Series(["12", "1E100", "inf"]), "streams")
    assert values.tolist()[0] == 12 and values.isna().tolist() == [False, True, True]
    assert reason.isna().tolist() == [True, False, False]
