"""Event-level stream reports: DuckDB and Spark give identical tables; a 10^7-row run end to end;
reports on a real S3-compatible server; bad rows quarantined; the manifest.

The reports are simulated (`musicmarkets.events.generate`, its story stated there) from the
weekly Top 200 totals and the rank-stream curve of the real German excerpt in
tests/fixtures/charts_legacy; Austria is simulated at a tenth of Germany's volume.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from musicmarkets.events import aggregate, generate, manifest
from musicmarkets.sources import charts_legacy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "charts_legacy"
KEYS = {
    "market_week": ["market", "week_start"],
    "track_week": ["market", "week_start", "track_id"],
}


@pytest.fixture(scope="module")
def excerpt():
    files = charts_legacy.discover(FIXTURES, ["de"])
    charts = pd.concat([charts_legacy.read_plain(f) for f in files], ignore_index=True)
    charts["week_start"] = pd.to_datetime(charts["week_start"])
    weekly = charts.groupby("week_start")["streams"].sum()
    top200 = pd.concat(
        [
            pd.DataFrame({"market": "de", "week_start": weekly.index, "top200": weekly.values}),
            pd.DataFrame(
                {"market": "at", "week_start": weekly.index, "top200": weekly.values / 10}
            ),
        ],
        ignore_index=True,
    )
    return top200, generate.fit_rank_curve(charts)


def _bad_rows(root: Path) -> int:
    """A file of rows that break the schema's rules, inside Germany's partition, and a
    partition whose market code is upper case."""
    day = pd.Timestamp("2017-05-13").date()
    bad = pa.table(
        {
            "date": pa.array([None, day, day], pa.date32()),  # date missing
            "track_id": pa.array(["x1", None, "x3"]),  # track_id missing
            "streams": pa.array([10, 5, -3], pa.int64()),  # streams negative
            "product_tier": pa.array(["free", "free", "premium"]),
        }
    )
    pq.write_table(bad, root / "market=de" / "bad-rows.parquet")
    (root / "market=DE").mkdir()
    pq.write_table(bad.slice(2, 1), root / "market=DE" / "upper.parquet")
    return 4


@pytest.fixture(scope="module")
def reports(excerpt, tmp_path_factory):
    top200, curve = excerpt
    root = tmp_path_factory.mktemp("events") / "reports"
    truth = generate.generate(top200, curve, root, rows=150_000, seed=7, tiers=True)
    n_bad = _bad_rows(root)
    return root, truth, n_bad


def test_the_curve_fitted_on_real_charts_is_a_falling_power_law(excerpt):
    _, curve = excerpt
    assert 0.2 < curve.exponent < 1.5
    shares = curve.shares(1000)
    assert np.all(np.diff(shares) < 0) and shares.sum() == pytest.approx(1)


def test_duckdb_panel_reproduces_the_simulated_totals_and_quarantines_bad_rows(reports, tmp_path):
    root, truth, n_bad = reports
    res = aggregate.aggregate(str(root), tmp_path / "duck", engine="duckdb")
    assert res.rows_in == truth["rows"].sum() + n_bad
    assert res.rows_rejected == n_bad
    panel = aggregate.read_sorted(res.market_week, KEYS["market_week"])
    truth = truth.assign(week_start=pd.to_datetime(truth["week_start"]).astype("datetime64[s]"))
    both = truth.merge(panel, on=KEYS["market_week"], suffixes=("_true", ""), validate="1:1")
    assert len(both) == len(truth) == len(panel)
    assert (both["streams"] == both["streams_true"]).all()
    top10 = both["top10_share"] * both["streams"]
    assert np.allclose(top10, both["top10_streams"], rtol=1e-12)
    assert (both["days"] == 7).all()
    assert (panel["week_end"] - panel["week_start"]).dt.days.eq(6).all()
    assert (panel["week_start"].dt.day_of_week == 4).all()  # chart weeks start on Friday
    assert panel["premium_share"].between(0.55, 0.65).all()  # the generator's 0.6, binomially
    refused = pd.read_parquet(res.quarantine)
    assert sorted(refused["reason"]) == sorted(
        [
            "date missing",
            "track_id missing",
            "streams negative",
            "market not a lower-case 2-letter code",
        ]
    )


def test_week_assignment_matches_an_independent_calendar(tmp_path):
    days = pd.date_range("2016-12-20", "2017-01-15", freq="D")
    root = tmp_path / "cal" / "market=de"
    root.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "date": pa.array(days.date, pa.date32()),
                "track_id": pa.array([f"t{i}" for i in range(len(days))]),
                "streams": pa.array(np.arange(len(days)) + 1, pa.int64()),
            }
        ),
        root / "days.parquet",
    )
    res = aggregate.aggregate_duckdb(str(root.parent), tmp_path / "out")
    tw = pd.read_parquet(res.track_week)
    got = tw.set_index("track_id")["week_start"].map(pd.Timestamp)
    friday = pd.Series(days - pd.to_timedelta((days.day_of_week - 4) % 7, unit="D"))
    want = pd.Series(friday.values, index=[f"t{i}" for i in range(len(days))])
    assert (got.sort_index() == want.sort_index()).all()


def test_missing_required_column_is_named_with_the_source(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    pq.write_table(
        pa.table({"date": pa.array([None], pa.date32()), "streams": [1]}), root / "a.parquet"
    )
    with pytest.raises(
        ValueError, match=r"r: stream report lacks required column\(s\) \['market', 'track_id'\]"
    ):
        aggregate.aggregate_duckdb(str(root), tmp_path / "out")
    with pytest.raises(ValueError, match=r"a.parquet: stream report lacks"):
        manifest.build(str(root))
    with pytest.raises(ValueError, match="events.engine"):
        aggregate.aggregate(str(root), tmp_path / "out", engine="pandas")


@pytest.mark.slow
def test_duckdb_and_spark_give_identical_tables(reports, tmp_path):
    pytest.importorskip("pyspark")
    root, _, _ = reports
    duck = aggregate.aggregate(str(root), tmp_path / "duck", engine="duckdb")
    spark = aggregate.aggregate(str(root), tmp_path / "spark", engine="spark")
    assert duck.rows_in == spark.rows_in and duck.rows_rejected == spark.rows_rejected
    for name, keys in KEYS.items():
        a = aggregate.read_sorted(getattr(duck, name), keys)
        b = aggregate.read_sorted(getattr(spark, name), keys)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b, check_exact=True)  # identical, not merely close
    qa = aggregate.read_sorted(duck.quarantine, ["reason"])
    qb = aggregate.read_sorted(spark.quarantine, ["reason"])
    pd.testing.assert_frame_equal(qa[sorted(qa.columns)], qb[sorted(qb.columns)], check_dtype=False)


def test_reports_on_s3_give_the_local_tables_and_the_manifest_their_etags(reports, tmp_path):
    import boto3

    from tests.s3server import DUMMY_ENV, s3_server

    root, _, _ = reports
    local = manifest.build(str(root))
    with s3_server("stream-reports") as endpoint:
        env = {**DUMMY_ENV, "AWS_ENDPOINT_URL": endpoint}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            s3 = boto3.client("s3", endpoint_url=endpoint)
            for p in sorted(root.rglob("*.parquet")):
                s3.upload_file(str(p), "stream-reports", f"daily/{p.relative_to(root).as_posix()}")
            remote = manifest.build("s3://stream-reports/daily")
            res = aggregate.aggregate_duckdb("s3://stream-reports/daily", tmp_path / "s3")
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    assert remote["rows"] == local["rows"] and remote["files"] == local["files"]
    # a single-part upload's ETag is the MD5 of its bytes: both listings name the same files
    assert [(e["key"], e["etag"], e["rows"]) for e in remote["entries"]] == [
        (e["key"], e["md5"], e["rows"]) for e in local["entries"]
    ]
    here = aggregate.aggregate_duckdb(str(root), tmp_path / "local")
    pd.testing.assert_frame_equal(
        aggregate.read_sorted(res.market_week, KEYS["market_week"]),
        aggregate.read_sorted(here.market_week, KEYS["market_week"]),
        check_exact=True,
    )


def test_manifest_changes_with_the_data_and_only_then(reports, tmp_path):
    root, _, _ = reports
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    out = tmp_path / "manifest.json"
    manifest.write(str(copy), out)
    first = out.read_text()
    manifest.write(str(copy), out)
    assert out.read_text() == first
    one = next(iter(sorted((copy / "market=at").glob("week-*.parquet"))))
    table = pq.read_table(one)
    pq.write_table(table.slice(1), one)  # one row fewer
    changed = manifest.write(str(copy), out)
    assert out.read_text() != first and changed["rows"] == manifest.build(str(root))["rows"] - 1


@pytest.mark.slow
def test_ten_million_rows_end_to_end_with_bounded_memory(excerpt, tmp_path):
    """Generate 10^7 rows, list them, aggregate them on DuckDB with a 200 MB cap in a separate
    process, and check the panel against the exact simulated totals. The process's peak memory
    above the interpreter's and libraries' own stays within a few times the cap, below what
    the rows alone take in pandas: they are streamed, never loaded."""
    top200, curve = excerpt
    root = tmp_path / "big"
    truth = generate.generate(top200, curve, root, rows=10_000_000, seed=11, tiers=True)
    listing = manifest.build(str(root))
    assert listing["rows"] == truth["rows"].sum() >= 9_900_000
    script = (
        "import re, sys; from pathlib import Path\n"
        "from musicmarkets.events import aggregate\n"
        "if sys.argv[1] != '-':\n"
        "    r = aggregate.aggregate_duckdb(sys.argv[1], Path(sys.argv[2]), memory_limit='200MB')\n"
        "print(r.rows_in if sys.argv[1] != '-' else 0, "
        "re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text())[1])\n"
    )

    def peak(*args):
        cmd = [sys.executable, "-c", script, *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()

    _, base_kb = peak("-", "-")  # the interpreter and libraries alone
    proc_out = peak(str(root), str(tmp_path / "out"))
    rows_in, peak_kb = map(int, proc_out)
    print(f"peak {peak_kb} kB, libraries alone {base_kb} kB")
    assert rows_in == listing["rows"]
    panel = aggregate.read_sorted(tmp_path / "out" / "market_week.parquet", KEYS["market_week"])
    truth = truth.assign(week_start=pd.to_datetime(truth["week_start"]).astype("datetime64[s]"))
    both = truth.merge(panel, on=KEYS["market_week"], validate="1:1", suffixes=("_true", ""))
    assert len(both) == len(truth) and (both["streams"] == both["streams_true"]).all()
    assert np.allclose(both["top10_share"] * both["streams"], both["top10_streams"], rtol=1e-12)
    in_pandas = pd.read_parquet(next(iter(root.rglob("*.parquet")))).memory_usage(deep=True).sum()
    files = len(list(root.rglob("*.parquet")))
    # the aggregation's own memory stays within a few times DuckDB's cap, far below the rows
    assert (peak_kb - int(base_kb)) * 1024 < 3 * 200e6 < in_pandas * files, (peak_kb, base_kb)


def test_manifest_of_the_same_reports_in_two_copies_of_the_project_is_the_same(reports, tmp_path):
    """The manifest is committed: it names its source as the stage's parameter gives it (a path
    inside the project), never by the folder this copy of the project happens to sit in."""
    root, _, _ = reports
    texts = []
    for where in ("a", "b"):
        copy = tmp_path / where / "data" / "events" / "simulated"
        shutil.copytree(root, copy)
        out = tmp_path / where / "manifest.json"
        manifest.write(str(copy), out, name="data/events/simulated")
        texts.append(out.read_text())
    assert texts[0] == texts[1]
    assert '"source": "data/events/simulated"' in texts[0] and str(tmp_path) not in texts[0]
    # without a name the listing is recorded where it was read (the s3:// form keeps its URL)
    assert manifest.build(str(root))["source"] == str(root)
