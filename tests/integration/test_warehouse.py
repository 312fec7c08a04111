"""Stream facts through SQLAlchemy from DuckDB (embedded default) and a real PostgreSQL server."""

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from musicmarkets.sources import charts, warehouse
from tests.pgserver import postgres_server


@pytest.fixture(scope="module")
def excerpt(legacy_fixture):
    return charts.read_charts(legacy_fixture)[0]


@pytest.fixture(scope="module")
def postgres_url():
    # outside pytest's temporary tree: another pytest run resets that tree's permissions, which
    # would lock out the server's unprivileged user
    workdir = Path(tempfile.mkdtemp(prefix="musicmarkets-pg-"))
    try:
        with postgres_server(workdir) as url:
            yield url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(params=["duckdb", "postgresql"])
def engine(request, tmp_path, monkeypatch):
    if request.param == "duckdb":
        monkeypatch.delenv("MM_TEST_WAREHOUSE", raising=False)
        eng = warehouse.engine_for("duckdb", "MM_TEST_WAREHOUSE", tmp_path / "warehouse.duckdb")
    else:
        monkeypatch.setenv("MM_TEST_WAREHOUSE", request.getfixturevalue("postgres_url"))
        eng = warehouse.engine_for("postgresql", "MM_TEST_WAREHOUSE", tmp_path / "unused.duckdb")
    yield eng
    with eng.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS chart_weekly"))
    eng.dispose()


def test_round_trip_equals_the_files(engine, excerpt):
    assert warehouse.write_facts(engine, excerpt, "chart_weekly", replace=True) == len(excerpt)
    got, quarantine = warehouse.read_facts(engine, "chart_weekly", None, "2017-01-01", "2017-12-31")
    assert quarantine.empty and len(got) == len(excerpt)
    cols = ["market", "week_start", "week_end", "rank", "track_id", "streams"]
    pd.testing.assert_frame_equal(
        got[cols].astype({"track_id": str}),
        excerpt[cols].astype({"track_id": str}),
        check_dtype=False,
    )
    assert (got["source_format"] == "warehouse").all()


def test_filters_by_market_and_window(engine, excerpt):
    warehouse.write_facts(engine, excerpt, "chart_weekly", replace=True)
    got, _ = warehouse.read_facts(engine, "chart_weekly", ["de"], "2017-05-19", "2017-05-31")
    assert set(got["market"]) == {"de"} and set(got["week_start"]) == {pd.Timestamp("2017-05-19")}


def test_bad_facts_are_quarantined(engine, excerpt):
    bad = excerpt.copy()
    bad.loc[0, "streams"] = -5
    bad.loc[1, "rank"] = 1  # duplicates rank 1 of the same market-week
    warehouse.write_facts(engine, bad, "chart_weekly", replace=True)
    got, quarantine = warehouse.read_facts(engine, "chart_weekly", None, "2017-01-01", "2017-12-31")
    assert len(got) == len(excerpt) - 2
    assert sorted(quarantine["reason"]) == [
        "rank appears twice in the market-week",
        "streams '-5' is not a non-negative integer",
    ]
    assert "table chart_weekly" in quarantine["file"].iloc[0]


def test_postgresql_needs_its_url_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("MM_TEST_WAREHOUSE", raising=False)
    with pytest.raises(KeyError, match="set MM_TEST_WAREHOUSE"):
        warehouse.engine_for("postgresql", "MM_TEST_WAREHOUSE", tmp_path / "x.duckdb")
    monkeypatch.setenv("MM_TEST_WAREHOUSE", "postgresql+psycopg://analyst:s3cret@db.invalid/dw")
    eng = warehouse.engine_for("postgresql", "MM_TEST_WAREHOUSE", tmp_path / "x.duckdb")
    assert "s3cret" not in warehouse.describe(eng)


def test_facts_for_weeks_the_files_delivered_are_quarantined(excerpt, tmp_path, monkeypatch):
    from musicmarkets import contracts

    monkeypatch.delenv("MM_TEST_WAREHOUSE", raising=False)
    eng = warehouse.engine_for("duckdb", "MM_TEST_WAREHOUSE", tmp_path / "w.duckdb")
    files = excerpt[excerpt["week_start"] == "2017-05-12"]
    warehouse.write_facts(eng, excerpt, "chart_weekly", replace=True)
    facts, facts_q = warehouse.read_facts(eng, "chart_weekly", None, "2017-01-01", "2017-12-31")
    table, quarantine = contracts.add_source(
        files, files.iloc[:0][[]], facts, facts_q, "the warehouse"
    )
    assert len(table) == len(excerpt)  # each market-week once
    assert len(quarantine) == len(files)
    assert set(quarantine["reason"]) == {"week already delivered before the warehouse"}


@pytest.mark.slow
def test_ingest_stage_reads_the_warehouse(tmp_path, repo):
    """The ingest notebook with `ingest.warehouse: duckdb`: Spain's week arrives only via SQL."""
    import shutil

    import yaml

    from tests.conftest import copy_project, run

    root = copy_project(tmp_path / "project")
    legacy = root / "data/raw/spotify_weekly_top200_8markets_2017_2020"
    for folder in legacy.iterdir():
        if folder.is_dir() and folder.name.removesuffix("_features") not in {"de", "global"}:
            shutil.rmtree(folder)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["common"] |= {"markets": "all", "start": "2017-05-05", "end": "2017-05-19"}
    params["ingest"]["warehouse"] = "duckdb"
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    spain = charts.read_charts(
        repo / "data/raw/spotify_weekly_top200_8markets_2017_2020",
        None,
        ["es"],
        "2017-05-12",
        "2017-05-12",
    )[0]
    db = tmp_path / "dw.duckdb"
    eng = sa.create_engine(f"duckdb:///{db}")
    warehouse.write_facts(eng, spain, "chart_weekly", replace=True)
    eng.dispose()
    run(
        [
            "musicmarkets",
            "run",
            "ingest",
            "notebooks/10_ingest_charts.py",
            "reports/10_ingest_charts.ipynb",
        ],
        root,
        env={"MUSICMARKETS_WAREHOUSE_URL": f"duckdb:///{db}"},
    )
    table = pd.read_parquet(root / "data/interim/charts.parquet")
    es = table[table["market"] == "es"]
    assert len(es) == 200 and set(es["source_format"]) == {"warehouse"}
    assert set(table["market"]) == {"de", "es", "global"}
